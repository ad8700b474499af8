import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_FILTER_REQUIRED } from '../../src/admin/delivery-routes.js';
import { admin, createAdminTestApp } from '../support/admin.js';
import { deliveryState, insertAttempt, insertDelivery, insertLead } from '../support/deliveries.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let off: TestApp;
let close: () => Promise<void>;
const id = {} as { delivered: string; queuedUpdate: string; dead: string; refused: string; dnc: string };
const lead = {} as { a: string; b: string };
const FUTURE = '2099-01-01T00:00:00.000Z';

beforeAll(async () => {
  const made = await createAdminTestApp();
  ({ t, close } = made);
  off = await createTestApp({ backend: t.backend, rulesDir: made.rulesDir, adminToken: null });
  const db = t.backend.runner;
  lead.a = await insertLead(db, ['+61412000001', '+61383208134']);
  lead.b = await insertLead(db, ['+61412000002']);
  id.delivered = await insertDelivery(db, {
    leadId: lead.a,
    event: 'insert',
    state: 'delivered',
    attemptCount: 2,
    dialerLeadId: 'D-77',
    lastOutcome: 'delivered',
    lastAnswer: '{"code":0,"message":"SUCCESS"}',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:02:00.000Z',
  });
  await insertAttempt(db, id.delivered, { at: '2026-01-01T00:00:01.000Z', request: { method: 'POST', url: 'https://pbx/x?apiKey=[redacted]' }, status: null, answer: 'ETIMEDOUT', outcome: 'unknown', latencyMs: 70000 });
  await insertAttempt(db, id.delivered, { at: '2026-01-01T00:02:00.000Z', request: { method: 'POST', url: 'https://pbx/x?apiKey=[redacted]' }, status: 200, answer: '{"code":0,"message":"SUCCESS"}', outcome: 'delivered', latencyMs: 120 });
  id.queuedUpdate = await insertDelivery(db, { leadId: lead.a, event: 'update', state: 'queued', nextAttemptAt: FUTURE, createdAt: '2026-01-01T01:00:00.000Z' });
  id.dead = await insertDelivery(db, { leadId: lead.b, state: 'dead', attemptCount: 48, lastOutcome: 'dead', lastAnswer: '{"code":107}', createdAt: '2026-01-02T00:00:00.000Z' });
  await insertAttempt(db, id.dead, { at: '2026-01-02T00:00:01.000Z', request: {}, status: 200, answer: '{"code":107}', outcome: 'dead', latencyMs: 5 });
  id.refused = await insertDelivery(db, { leadId: lead.b, destination: 'crm2', state: 'refused', attemptCount: 1, lastOutcome: 'refused', createdAt: '2026-01-03T00:00:00.000Z' });
  // a DNC addition: the trigger writes an internal fan-out row, which is never shown
  await db.query(`insert into dnc (e164, campaign_id, reason, source) values ('+61412000003', 0, 'asked', 'test')`);
  id.dnc = await insertDelivery(db, { leadId: null, destination: 'crm2', event: 'dnc', state: 'dead', payload: { e164: '+61412000003', campaignId: 0, reason: 'asked' }, createdAt: '2026-01-04T00:00:00.000Z' });
});
afterAll(() => close());

const list = (query = '') => admin(t.app, 'GET', `/admin/deliveries${query}`);
/** The delivered insert as both the list and the detail answer it (ids known once the rows are written). */
const deliveredSummary = () => ({
  id: id.delivered,
  leadId: lead.a,
  destination: 'pbx',
  event: 'insert',
  state: 'delivered',
  attemptCount: 2,
  dialerLeadId: 'D-77',
  lastOutcome: 'delivered',
  lastAnswer: '{"code":0,"message":"SUCCESS"}',
  nextAttemptAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:02:00.000Z',
});
const ids = (res: { json: Record<string, unknown> }) => (res.json.deliveries as Array<{ id: string }>).map((d) => d.id);
const fanoutIds = async () => (await t.backend.runner.query<{ id: string }>(`select id::text as id from deliveries where state = 'fanout'`)).map((r) => r.id);

describe('GET /admin/deliveries', () => {
  it('lists deliveries newest first in the shape of SPEC 10.3, without the internal fan-out rows', async () => {
    const fanout = await fanoutIds();
    expect(fanout).toHaveLength(1);
    const res = await list();
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['total', 'deliveries']);
    expect(res.json.total).toBe(5);
    expect(ids(res)).toEqual([id.dnc, id.refused, id.dead, id.queuedUpdate, id.delivered]);
    expect(ids(res)).not.toContain(fanout[0]);
    const deliveries = res.json.deliveries as Array<Record<string, unknown>>;
    expect(deliveries.at(-1)).toEqual(deliveredSummary());
    expect(deliveries.find((d) => d.id === id.queuedUpdate)).toMatchObject({ state: 'queued', event: 'update', nextAttemptAt: FUTURE, lastOutcome: null, dialerLeadId: null });
    expect(deliveries[0]).toMatchObject({ leadId: null, event: 'dnc', destination: 'crm2' });
  });

  it('filters by destination, state and lead', async () => {
    expect(ids(await list('?destination=crm2'))).toEqual([id.dnc, id.refused]);
    expect(ids(await list('?state=dead'))).toEqual([id.dnc, id.dead]);
    expect(ids(await list('?state=dead&destination=pbx'))).toEqual([id.dead]);
    expect(ids(await list(`?leadId=${lead.a}`))).toEqual([id.queuedUpdate, id.delivered]);
    expect((await list('?destination=nowhere')).json).toEqual({ total: 0, deliveries: [] });
  });

  it("filters by phone in any form the template's country reads: the lead's phones, or a DNC delivery's number", async () => {
    expect(ids(await list(`?phone=${encodeURIComponent('0412 000 002')}`))).toEqual([id.refused, id.dead]);
    // the lead's second phone, in E.164
    expect(ids(await list(`?phone=${encodeURIComponent('+61383208134')}`))).toEqual([id.queuedUpdate, id.delivered]);
    expect(ids(await list('?phone=0412000003'))).toEqual([id.dnc]);
    expect(ids(await list('?phone=412000001&templateId=1'))).toEqual([id.queuedUpdate, id.delivered]);
    expect((await list('?phone=0499999999')).json).toEqual({ total: 0, deliveries: [] });
  });

  it('pages with limit and offset; the total is of every match', async () => {
    const page = await list('?limit=2&offset=1');
    expect(page.json.total).toBe(5);
    expect(ids(page)).toEqual([id.refused, id.dead]);
    expect(ids(await list('?limit=2&offset=4'))).toEqual([id.delivered]);
    expect((await list('?offset=5')).json).toEqual({ total: 5, deliveries: [] });
  });

  it.each([
    ['?state=fanout', 'invalid query: state: Invalid option: expected one of "queued"|"delivered"|"refused"|"dead"'],
    ['?state=lost', 'invalid query: state: Invalid option: expected one of "queued"|"delivered"|"refused"|"dead"'],
    ['?leadId=abc', 'invalid query: leadId: expected a lead id'],
    ['?limit=0', 'invalid query: limit: Too small: expected number to be >=1'],
    ['?offset=x', 'invalid query: offset: expected a whole number'],
    ['?lead=1', 'invalid query: Unrecognized key: "lead"'],
    ['?phone=hello', "phone: 'hello' is not a phone number (read with country AU)"],
    ['?phone=0412000001&templateId=9', 'templateId 9 names no template'],
  ])('refuses %s with 400', async (query, error) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error });
  });
});

describe('GET /admin/deliveries/{id}', () => {
  it('answers the delivery with every attempt, oldest first', async () => {
    const res = await admin(t.app, 'GET', `/admin/deliveries/${id.delivered}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      ...deliveredSummary(),
      attempts: [
        { at: '2026-01-01T00:00:01.000Z', request: { method: 'POST', url: 'https://pbx/x?apiKey=[redacted]' }, status: null, answer: 'ETIMEDOUT', outcome: 'unknown', latencyMs: 70000 },
        { at: '2026-01-01T00:02:00.000Z', request: { method: 'POST', url: 'https://pbx/x?apiKey=[redacted]' }, status: 200, answer: '{"code":0,"message":"SUCCESS"}', outcome: 'delivered', latencyMs: 120 },
      ],
    });
    expect((await admin(t.app, 'GET', `/admin/deliveries/${id.queuedUpdate}`)).json).toMatchObject({ state: 'queued', attempts: [] });
  });

  it('answers 404 for an unknown id and for a fan-out row, 400 for what is not an id', async () => {
    const [fanout] = await fanoutIds();
    for (const unknown of ['999999', fanout!]) {
      const res = await admin(t.app, 'GET', `/admin/deliveries/${unknown}`);
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: `no delivery with id ${unknown}` });
    }
    for (const bad of ['abc', '0', '-1', '1.5', '12345678901234567890']) {
      const res = await admin(t.app, 'GET', `/admin/deliveries/${bad}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'invalid delivery id: id: expected a delivery id' });
    }
  });
});

const auditRows = async () =>
  (await admin(t.app, 'GET', '/admin/audit')).json.entries as Array<{ action: string; target: string; detail: Record<string, unknown> | null; actor: string }>;

describe('POST /admin/deliveries/{id}/retry', () => {
  it('puts a dead delivery back in the queue, due now, its attempts kept, and audits it', async () => {
    const before = await deliveryState(t.backend.runner, id.dead);
    expect(before).toMatchObject({ state: 'dead', attemptCount: 48, leased: true, attempts: 1 });
    const res = await admin(t.app, 'POST', `/admin/deliveries/${id.dead}/retry`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: id.dead, state: 'queued' });
    expect(await deliveryState(t.backend.runner, id.dead)).toEqual({ state: 'queued', attemptCount: 0, due: true, leased: false, uncertain: false, lastAnswer: '{"code":107}', attempts: 1 });
    const shown = (await admin(t.app, 'GET', `/admin/deliveries/${id.dead}`)).json;
    expect(shown).toMatchObject({ state: 'queued', attemptCount: 0, nextAttemptAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) });
    expect(shown.attempts).toHaveLength(1);
    const [entry] = await auditRows();
    expect(entry).toMatchObject({ action: 'POST /admin/deliveries/{id}/retry', target: id.dead, actor: expect.stringMatching(/^admin:[0-9a-f]{8}$/) });
  });

  it('answers 409 for a queued or delivered delivery and 404 for an unknown one or a fan-out row, auditing nothing', async () => {
    const audited = (await auditRows()).length;
    for (const [target, status, error] of [
      [id.queuedUpdate, 409, `delivery ${id.queuedUpdate} is queued or delivered: only dead or refused deliveries can be retried`],
      [id.delivered, 409, `delivery ${id.delivered} is queued or delivered: only dead or refused deliveries can be retried`],
      ['999999', 404, 'no delivery with id 999999'],
      [(await fanoutIds())[0]!, 404, `no delivery with id ${(await fanoutIds())[0]}`],
      ['x1', 400, 'invalid delivery id: id: expected a delivery id'],
    ] as const) {
      const res = await admin(t.app, 'POST', `/admin/deliveries/${target}/retry`);
      expect(res.status, target).toBe(status);
      expect(res.json).toEqual({ error });
    }
    expect(await deliveryState(t.backend.runner, id.delivered)).toMatchObject({ state: 'delivered', attemptCount: 2 });
    expect(await fanoutIds()).toHaveLength(1);
    expect(await auditRows()).toHaveLength(audited);
  });
});

describe('POST /admin/deliveries/retry', () => {
  it('retries what the filter selects, one audit entry naming the filter and the count', async () => {
    const db = t.backend.runner;
    const early = await insertDelivery(db, { leadId: lead.b, destination: 'crm3', state: 'dead', createdAt: '2025-06-01T00:00:00.000Z' });
    const late = await insertDelivery(db, { leadId: lead.b, destination: 'crm3', state: 'refused', createdAt: '2025-06-03T00:00:00.000Z' });
    const body = { destination: 'crm3', from: '2025-06-02T00:00:00Z', to: '2025-06-04T00:00:00+00:00' };
    const res = await admin(t.app, 'POST', '/admin/deliveries/retry', { body });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ retried: 1 });
    expect((await deliveryState(db, late))?.state).toBe('queued');
    expect((await deliveryState(db, early))?.state).toBe('dead');
    expect((await auditRows())[0]).toMatchObject({
      action: 'POST /admin/deliveries/retry',
      target: 'crm3',
      detail: { filter: { state: null, destination: 'crm3', from: '2025-06-02T00:00:00.000Z', to: '2025-06-04T00:00:00.000Z' }, retried: 1 },
    });

    // by state alone: the dead ones anywhere, not the refused one
    expect((await admin(t.app, 'POST', '/admin/deliveries/retry', { body: { state: 'dead' } })).json).toEqual({ retried: 2 });
    expect((await deliveryState(db, early))?.state).toBe('queued');
    expect((await deliveryState(db, id.dnc))?.state).toBe('queued');
    expect((await deliveryState(db, id.refused))?.state).toBe('refused');
    // without a state: dead and refused
    expect((await admin(t.app, 'POST', '/admin/deliveries/retry', { body: { destination: 'crm2' } })).json).toEqual({ retried: 1 });
    expect((await deliveryState(db, id.refused))?.state).toBe('queued');
    // nothing left: 0, and no audit entry for a retry that changed nothing
    const audited = (await auditRows()).length;
    expect((await admin(t.app, 'POST', '/admin/deliveries/retry', { body: { state: 'refused' } })).json).toEqual({ retried: 0 });
    expect(await auditRows()).toHaveLength(audited);
    expect(await fanoutIds()).toHaveLength(1);
  });

  it.each([
    [{}, RETRY_FILTER_REQUIRED],
    ['', RETRY_FILTER_REQUIRED],
    [{ to: '2026-01-01T00:00:00Z' }, RETRY_FILTER_REQUIRED],
    [{ state: 'queued' }, 'invalid body: state: Invalid option: expected one of "dead"|"refused"'],
    [{ state: 'dead', from: 'yesterday' }, 'invalid body: from: Invalid ISO datetime'],
    [{ state: 'dead', ids: [1] }, 'invalid body: Unrecognized key: "ids"'],
    ['{"state":', expect.stringMatching(/\S/)],
  ])('refuses %j with 400', async (body, error) => {
    const res = await admin(t.app, 'POST', '/admin/deliveries/retry', { body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error });
  });
});

describe('the admin token', () => {
  const ROUTES: Array<[string, string, object?]> = [
    ['GET', '/admin/deliveries'],
    ['GET', '/admin/deliveries/1'],
    ['POST', '/admin/deliveries/1/retry'],
    ['POST', '/admin/deliveries/retry', { state: 'dead' }],
  ];
  it.each(ROUTES)('%s %s answers 401 without a valid token and 403 with the admin API off, changing nothing', async (method, path, body) => {
    const before = await t.backend.runner.query('select id, state, attempt_count from deliveries order by id');
    for (const token of [null, 'wrong-token']) {
      const res = await admin(t.app, method, path, { body, token });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'a valid admin bearer token is required' });
      const disabled = await admin(off.app, method, path, { body, token });
      expect(disabled.status).toBe(403);
    }
    expect(await t.backend.runner.query('select id, state, attempt_count from deliveries order by id')).toEqual(before);
  });
});
