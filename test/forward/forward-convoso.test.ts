import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/crm/build-request.js';
import { admin } from '../support/admin.js';
import { startFakeConvoso, type ConvosoOptions, type FakeConvoso } from '../support/fake-dialers/convoso.js';
import { allInState, appWithDestination, deliveryRows, destinationYaml, eventually, openedThings } from '../support/forwarding.js';
import { postNoojee, type TestApp } from '../support/test-app.js';
import { convoso } from '../dialects/convoso/convoso-client.js';

/*
 * Forwarding to a Convoso account end to end: leads in through leadgate's own Noojee and Convoso
 * endpoints, out through the delivery worker to a fake Convoso API built from SPEC section 4, with
 * its faults: the look-up after an unknown outcome, 429 with Retry-After, refusals, sync mode,
 * DNC additions from every path, and the admin API over the deliveries this leaves.
 */

const TOKEN = 'cv-token-7d1e2a';
const DESTINATION = 'cv';

interface Setup {
  t: TestApp;
  fake: FakeConvoso;
}

const opened = openedThings();
afterEach(opened.closeAll);

async function setup(settings: Record<string, string> = {}, fakeOptions: ConvosoOptions = {}, token = TOKEN): Promise<Setup> {
  const fake = await startFakeConvoso({ authToken: TOKEN, ...fakeOptions });
  opened.add(() => fake.close());
  const t = await appWithDestination(opened, DESTINATION, destinationYaml('convoso', fake.url, { authToken: '${env:CV_TOKEN}' }, settings), { CV_TOKEN: token });
  return { t, fake };
}

let phoneSeq = 0;
/** A national AU landline (Noojee dialect) no other test here uses. */
const phone = () => `0383${String(300000 + ((phoneSeq += 7) % 600000)).padStart(6, '0')}`;
/** The same number as the fake stores it: national digits without the trunk 0. */
const atDialer = (national: string) => national.slice(1);

const deliveries = deliveryRows;
const attempts = (t: TestApp) =>
  t.backend.runner.query<{ delivery_id: string; outcome: string; request: unknown; status: number | null; at_ms: number }>(
    'select delivery_id::text, outcome, request, status, (extract(epoch from at) * 1000)::float8 as at_ms from delivery_attempts order by id',
  );
const allSettled = allInState;
const paths = (fake: FakeConvoso) => fake.requests.map((r) => r.path);
const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('inserts and updates', () => {
  it('delivers an insert to the route\'s list, and stores the data.lead_id Convoso answers as the dialer id', async () => {
    const { t, fake } = await setup();
    const p = phone();
    const answer = await postNoojee(t.app, 'insertLeadFast', { phone: p, firstName: 'Ann' });
    expect(answer.body).toMatchObject({ code: 0 });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ list_id: '5', phone_number: atDialer(p), phone_code: '61', firstName: 'Ann' });
    const [row] = await deliveries(t);
    expect(row).toMatchObject({ lead_id: answer.body.leadId, dialer_lead_id: fake.leads[0]!.id, last_outcome: 'delivered' });
    // auth_token travels in the form body, never in the URL
    const sent = fake.requests[0]!;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/leads/insert', query: {} });
    expect(form(sent.body).auth_token).toBe(TOKEN);
  });

  it('an update goes to /v1/leads/update with the stored lead_id, after the insert was delivered', async () => {
    const { t, fake } = await setup({ forward: '[insert, update]' });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p, njExternalLeadId: 'cv-ext-1' });
    const updated = await postNoojee(t.app, 'updateLeadFast', { phone: p, njExternalLeadId: 'cv-ext-1', njDisposition: 'busy', note: 'no answer' }, { fAllocationId: null });
    expect(updated.body.code).toBe(0);
    expect((await deliveries(t)).map((d) => `${d.event}:${d.state}`)).toEqual(['insert:queued', 'update:queued']);
    t.deliveries.start();
    await eventually('insert and update delivered', () => allSettled(t, 2));
    expect(paths(fake)).toEqual(['/v1/leads/insert', '/v1/leads/update']);
    expect(form(fake.requests[1]!.body)).toMatchObject({ lead_id: fake.leads[0]!.id, status: 'busy', note: 'no answer' });
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ status: 'busy', note: 'no answer' });
  });

  it('an update made through leadgate\'s own /v1/leads/update reaches the dialer lead too', async () => {
    const { t, fake } = await setup({ forward: '[insert, update]' });
    const inserted = await convoso(t.app, 'leads/insert', { list_id: '100', phone_number: '412345678', phone_code: '61', first_name: 'Bo' });
    const leadId = (inserted.body.data as { lead_id: string }).lead_id;
    const updated = await convoso(t.app, 'leads/update', { lead_id: leadId, first_name: 'Bob' });
    expect(updated.body.success).toBe(true);
    t.deliveries.start();
    await eventually('insert and update delivered', () => allSettled(t, 2));
    expect(paths(fake)).toEqual(['/v1/leads/insert', '/v1/leads/update']);
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ phone_number: '412345678', first_name: 'Bob' });
  });
});

describe('DNC forwarding', () => {
  it('an entry added by the admin API, by leadgate\'s Convoso /v1/dnc/insert, and by a disposition reaches the dialer\'s list exactly once each', async () => {
    const { t, fake } = await setup({ forward: '[insert, dnc]' });
    t.deliveries.start();

    const byAdmin = phone();
    const added = await admin(t.app, 'POST', '/admin/dnc', { body: { phone: byAdmin, reason: 'asked by phone' } });
    expect(added.status).toBe(201);
    // the same number again adds nothing, so nothing more is forwarded
    expect((await admin(t.app, 'POST', '/admin/dnc', { body: { phone: byAdmin, reason: 'again' } })).json).toMatchObject({ added: false });

    const byConvoso = '412000777';
    const viaConvoso = await convoso(t.app, 'dnc/insert', { phone_number: byConvoso, phone_code: '61', campaign_id: '0', reason: 'web form' });
    expect(viaConvoso.body.success).toBe(true);

    // the basic fixture's template 1: disposition "DNC Request" has the dnc action
    const byDisposition = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: byDisposition, njExternalLeadId: 'cv-dnc-1' });
    const disposed = await postNoojee(t.app, 'updateLeadFast', { phone: byDisposition, njExternalLeadId: 'cv-dnc-1', njDisposition: 'DNC Request' }, { fAllocationId: null });
    expect(disposed.body.code).toBe(0);

    const dncDelivered = async () => (await deliveries(t)).filter((d) => d.event === 'dnc' && d.state === 'delivered').length === 3;
    await eventually('three DNC deliveries delivered', dncDelivered);
    await eventually('the disposed lead\'s insert delivered too', () => allSettled(t, 4));
    // a few more polls: nothing is sent twice
    await new Promise((r) => setTimeout(r, 150));
    const numbers = fake.dnc.map((e) => e.phone_number).sort();
    expect(numbers).toEqual([atDialer(byAdmin), byConvoso, atDialer(byDisposition)].sort());
    expect(fake.dnc.every((e) => e.phone_code === '61' && e.campaign_id === '0')).toBe(true);
    expect(paths(fake).filter((p) => p === '/v1/dnc/insert')).toHaveLength(3);
    expect(fake.dnc.find((e) => e.phone_number === byConvoso)?.reason).toBe('web form');
    expect((await deliveries(t)).filter((d) => d.event === 'dnc').every((d) => d.lead_id === null)).toBe(true);
  });

  it('a campaign entry goes only to a destination routing that campaign, and as a global entry (the route names no dialer campaign)', async () => {
    const { t, fake } = await setup({ forward: '[insert, dnc]' });
    t.deliveries.start();
    const routed = await convoso(t.app, 'dnc/insert', { phone_number: '412000888', phone_code: '61', campaign_id: '10' });
    const notRouted = await convoso(t.app, 'dnc/insert', { phone_number: '412000999', phone_code: '61', campaign_id: '11' });
    expect([routed.body.success, notRouted.body.success]).toEqual([true, true]);
    await eventually('the campaign-10 entry delivered', () => allSettled(t, 1));
    await new Promise((r) => setTimeout(r, 150));
    expect(await deliveries(t)).toHaveLength(1);
    expect(fake.dnc.map((e) => [e.phone_number, e.campaign_id])).toEqual([['412000888', '0']]);
  });

  it('a number the dialer already holds (6008 on /v1/dnc/insert) counts as delivered', async () => {
    const { t, fake } = await setup({ forward: '[insert, dnc]' });
    const p = phone();
    fake.dnc.push({ id: '99', phone_number: atDialer(p), phone_code: '61', campaign_id: '0', reason: '', purpose: '' });
    t.deliveries.start();
    expect((await admin(t.app, 'POST', '/admin/dnc', { body: { phone: p, reason: 'asked' } })).status).toBe(201);
    await eventually('delivered', () => allSettled(t, 1));
    expect(fake.dnc).toHaveLength(1);
    expect((await attempts(t)).map((a) => a.outcome)).toEqual(['delivered']);
  });
});

describe('unknown outcomes: one lead at the dialer', () => {
  it('Convoso inserts and cuts the connection: the next attempt searches first, finds the lead, and counts it delivered', async () => {
    const { t, fake } = await setup();
    await fake.set({ cutAfterInsert: 1 });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(fake.leads).toHaveLength(1);
    expect(paths(fake)).toEqual(['/v1/leads/insert', '/v1/leads/search']);
    expect(form(fake.requests[1]!.body)).toMatchObject({ phone_number: atDialer(p), list_id: '5' });
    expect((await attempts(t)).map((a) => a.outcome)).toEqual(['unknown', 'delivered']);
    const [row] = await deliveries(t);
    expect(row).toMatchObject({ dialer_lead_id: fake.leads[0]!.id, uncertain: false });
  });

  it('an update queued behind an uncertain insert waits for it, then goes to the lead the search found', async () => {
    const { t, fake } = await setup({ forward: '[insert, update]' });
    await fake.set({ cutAfterInsert: 1 });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p, njExternalLeadId: 'cv-ext-9' });
    await postNoojee(t.app, 'updateLeadFast', { phone: p, njExternalLeadId: 'cv-ext-9', njDisposition: 'SALE' }, { fAllocationId: null });
    t.deliveries.start();
    await eventually('insert and update delivered', () => allSettled(t, 2));
    expect(paths(fake)).toEqual(['/v1/leads/insert', '/v1/leads/search', '/v1/leads/update']);
    expect(form(fake.requests[2]!.body).lead_id).toBe(fake.leads[0]!.id);
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]!.status).toBe('SALE');
  });

  it('the dialer never got it (connection refused): the search finds nothing and the insert is sent again', async () => {
    const { t, fake } = await setup({ circuit: '{ failureThreshold: 50, openMs: 1000 }' });
    await fake.set({ down: 'refuse' });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('an unknown outcome', async () => (await attempts(t)).some((a) => a.outcome === 'unknown'));
    expect((await deliveries(t))[0]).toMatchObject({ state: 'queued', uncertain: true });
    await fake.set({ down: false });
    await eventually('delivered', () => allSettled(t, 1));
    expect(paths(fake)).toEqual(['/v1/leads/search', '/v1/leads/insert']);
    expect(fake.leads).toHaveLength(1);
  });
});

describe('answers', () => {
  it('429 with Retry-After: the next attempt waits at least that long', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: { status: 429, body: { success: false, code: 429, text: 'Too Many Requests' }, headers: { 'retry-after': '1' } }, times: 1 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    const [first, second] = await attempts(t);
    expect([first!.outcome, second!.outcome]).toEqual(['retry', 'delivered']);
    expect(first!.status).toBe(429);
    // the destination's own backoff here is 25-50 ms: only the Retry-After explains a second's wait
    expect(second!.at_ms - first!.at_ms).toBeGreaterThanOrEqual(1000);
    expect(fake.leads).toHaveLength(1);
  });

  it.each([
    [6009, 'The phone number already exists', 'refused'],
    [6010, 'The phone number is on the DNC list', 'refused'],
    [6001, 'No such Lead', 'dead'],
    [6002, 'No such List', 'dead'],
  ])('code %i is %s: %s after one attempt', async (code, text, state) => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: { status: 200, body: { success: false, code, text } } } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually(state, () => allSettled(t, 1, state));
    await new Promise((r) => setTimeout(r, 150));
    expect((await attempts(t)).map((a) => a.outcome)).toEqual([state]);
    expect(fake.requests).toHaveLength(1);
  });

  it('a wrong auth token (the dialer\'s own 403) is dead, and the token is stored nowhere', async () => {
    const { t, fake } = await setup({}, {}, 'not-the-token');
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead', () => allSettled(t, 1, 'dead'));
    expect(fake.requests).toHaveLength(1);
    expect(form(fake.requests[0]!.body).auth_token).toBe('not-the-token');
    const [attempt] = await attempts(t);
    expect(attempt).toMatchObject({ outcome: 'dead', status: 403 });
    expect(JSON.stringify(attempt!.request)).not.toContain('not-the-token');
    expect(t.logLines.join('\n')).not.toContain('not-the-token');
  });

  it('a list the account does not have: the dialer\'s own 6002, dead', async () => {
    const { t, fake } = await setup({}, { lists: { '7': '70' } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead', () => allSettled(t, 1, 'dead'));
    expect(fake.leads).toHaveLength(0);
    expect((await deliveries(t))[0]!.last_outcome).toBe('dead');
  });
});

describe('sync mode through leadgate\'s Convoso /v1/leads/insert', () => {
  const insert = (t: TestApp, phoneNumber: string) => convoso(t.app, 'leads/insert', { list_id: '100', phone_number: phoneNumber, phone_code: '61' });

  it('delivered: data carries the dialer\'s lead id beside leadgate\'s', async () => {
    const { t, fake } = await setup({ mode: 'sync' });
    const answer = await insert(t, '412111222');
    expect(answer.status).toBe(200);
    expect(fake.leads).toHaveLength(1);
    expect(answer.body).toEqual({ success: true, data: { lead_id: expect.stringMatching(/^\d+$/), dialer_lead_id: fake.leads[0]!.id } });
    expect((await deliveries(t))[0]!.state).toBe('delivered');
  });

  it.each([
    [6009, 'The phone number already exists'],
    [6010, 'The phone number is on the DNC list'],
  ])('refused with %i: the caller gets that code with the destination\'s name, and the lead is closed', async (code, text) => {
    const { t, fake } = await setup({ mode: 'sync' });
    await fake.set({ answerOverride: { answer: { status: 200, body: { success: false, code, text } }, times: 1 } });
    const answer = await insert(t, '412111333');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ success: false, code, text, dialer: DESTINATION });
    const leadId = (answer.body.data as { lead_id: string }).lead_id;
    const [lead] = await t.backend.runner.query<{ state: string; status: string }>('select state, status from leads where id = $1', [leadId]);
    expect(lead).toEqual({ state: 'closed', status: 'REFUSED_BY_DIALER' });
    expect((await deliveries(t))[0]!.state).toBe('refused');
    // its phone no longer counts as a duplicate
    const again = await insert(t, '412111333');
    expect(again.body).toMatchObject({ success: true });
  });

  it('no verdict in time: answered with data.queued, delivered later', async () => {
    const { t, fake } = await setup({ mode: 'sync', syncTimeoutMs: '100' });
    await fake.set({ delayMs: 400 });
    const started = Date.now();
    const answer = await insert(t, '412111444');
    expect(Date.now() - started).toBeLessThan(380);
    expect(answer.body).toEqual({ success: true, data: { lead_id: expect.stringMatching(/^\d+$/), queued: true } });
    t.deliveries.start();
    await eventually('delivered in the background', () => allSettled(t, 1));
    expect(fake.leads).toHaveLength(1);
  });
});

describe('the admin API over real deliveries', () => {
  it('lists a dead delivery, shows its attempts with the token redacted, and a retry delivers it once the dialer is fixed', async () => {
    const { t, fake } = await setup();
    // one 6002, then the account is fixed
    await fake.set({ answerOverride: { answer: { status: 200, body: { success: false, code: 6002, text: 'No such List' } }, times: 1 } });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p });
    t.deliveries.start();
    await eventually('dead', () => allSettled(t, 1, 'dead'));

    const dead = await admin(t.app, 'GET', '/admin/deliveries?state=dead');
    expect(dead.status).toBe(200);
    expect(dead.json.total).toBe(1);
    const [summary] = dead.json.deliveries as Array<Record<string, unknown>>;
    expect(summary).toMatchObject({ destination: DESTINATION, event: 'insert', state: 'dead', attemptCount: 1, lastOutcome: 'dead', dialerLeadId: null });
    expect(String(summary!.lastAnswer)).toContain('6002');
    const id = summary!.id as string;

    const byPhone = await admin(t.app, 'GET', `/admin/deliveries?phone=${p}`);
    expect((byPhone.json.deliveries as Array<{ id: string }>).map((d) => d.id)).toEqual([id]);

    const detail = await admin(t.app, 'GET', `/admin/deliveries/${id}`);
    expect(detail.status).toBe(200);
    const shown = detail.json.attempts as Array<{ request: { url: string; body: Record<string, string> }; outcome: string; status: number; latencyMs: number; at: string }>;
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ outcome: 'dead', status: 200 });
    expect(shown[0]!.request.url).toBe(`${fake.url}/v1/leads/insert`);
    expect(shown[0]!.request.body).toMatchObject({ auth_token: REDACTED, phone_number: atDialer(p), list_id: '5' });
    expect(detail.text).not.toContain(TOKEN);

    expect(fake.leads).toHaveLength(0);
    const retried = await admin(t.app, 'POST', `/admin/deliveries/${id}/retry`);
    expect(retried.json).toEqual({ id, state: 'queued' });
    await eventually('delivered after the retry', () => allSettled(t, 1));
    expect(fake.leads).toHaveLength(1);
    const after = await admin(t.app, 'GET', `/admin/deliveries/${id}`);
    expect(after.json).toMatchObject({ state: 'delivered', dialerLeadId: fake.leads[0]!.id });
    expect((after.json.attempts as Array<{ outcome: string }>).map((a) => a.outcome)).toEqual(['dead', 'delivered']);
    const audit = await t.backend.runner.query<{ action: string; target: string }>(`select action, target from audit_log where action like '%deliveries%'`);
    expect(audit).toEqual([{ action: 'POST /admin/deliveries/{id}/retry', target: id }]);
  });

  it('a bulk retry of refused deliveries of one destination puts them back, and they are delivered', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: { status: 200, body: { success: false, code: 6009, text: 'The phone number already exists' } }, times: 2 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('both refused', () => allSettled(t, 2, 'refused'));
    const other = await admin(t.app, 'POST', '/admin/deliveries/retry', { body: { state: 'refused', destination: 'elsewhere' } });
    expect(other.json).toEqual({ retried: 0 });
    const retried = await admin(t.app, 'POST', '/admin/deliveries/retry', { body: { state: 'refused', destination: DESTINATION } });
    expect(retried.json).toEqual({ retried: 2 });
    await eventually('both delivered', () => allSettled(t, 2));
    expect(fake.leads).toHaveLength(2);
  });
});
