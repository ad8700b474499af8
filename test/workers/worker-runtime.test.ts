import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adaptorRequest, CRM_FAULTS, TABLE_DECISIONS, type DecisionCase } from '../cases/duplicate-check-cases.js';
import {
  batchInRequestOrder,
  DEDUPE_SCOPES,
  DUPLICATE_PHONE,
  FIRST_FAILING_CHECK,
  LEAD_REJECTIONS,
  MALFORMED_BODIES,
  placeQuery,
  REQUEST_LEVEL_FAILURES,
  SAME_NUMBER,
  UNAUTHORISED_QUERIES,
} from '../cases/noojee-insert-cases.js';
import { accepted, contact, SIGNATURE_REFUSALS, standardHeaders } from '../cases/hooks-cases.js';
import { CRM_TOKEN } from '../support/crm-rules.js';
import { SKIP_REASON, startWorkerFixture, type WorkerFixture } from './worker-fixture.js';
import { startWranglerDev, withPassword } from './wrangler.js';

/**
 * The Worker (src/entry/worker.ts) as wrangler builds it, on workerd, over PostgreSQL through the
 * local Hyperdrive binding, calling the loopback fake CRM with the platform fetch: the same case
 * tables as the Node suite (test/dialects/noojee, test/pipeline/duplicate-check-insert,
 * test/dialects/hooks), exact statuses and bodies.
 */
if (SKIP_REASON) console.warn(`test/workers/worker-runtime.test.ts ${SKIP_REASON}`);

let w: WorkerFixture;
beforeAll(async () => {
  if (!SKIP_REASON) w = await startWorkerFixture();
});
afterAll(async () => {
  await w?.close();
});
beforeEach(() => w?.crm.reset());

let serial = 0;
const freshMobile = () => `04${String(40_000_000 + serial++ * 7919).slice(-8)}`;
const e164 = (national: string) => `+61${national.slice(1)}`;
const insert = (body: unknown, query = {}) => w.post('insertLeadFast', body, query);
const leadCount = async () => (await w.backend.runner.query<{ n: number }>('select count(*)::int as n from leads'))[0]!.n;
const leadStatus = async (id: unknown) => (await w.backend.runner.query<{ status: string | null }>('select status from leads where id = $1::bigint', [id]))[0]?.status;

describe.skipIf(SKIP_REASON)('on workerd: insertLeadFast request and lead checks', () => {
  it.each(UNAUTHORISED_QUERIES)('answers 401 for %s', async (_name, query, description) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect([res.status, res.body]).toEqual([401, { code: 401, message: 'UNAUTHORIZED', description }]);
  });

  it.each(REQUEST_LEVEL_FAILURES)('answers %s with its code', async (_name, query, code, message, description) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect([res.status, res.body]).toEqual([400, { code, message, description }]);
  });

  it.each(MALFORMED_BODIES)('answers 204 when the body is %s', async (_name, body, description) => {
    const res = await insert(body);
    expect([res.status, res.body]).toEqual([400, { code: 204, message: 'MALFORMED_REQUEST', description }]);
  });

  it.each(LEAD_REJECTIONS)('rejects %s, writing nothing', async (_name, lead, code, description) => {
    const before = await leadCount();
    const res = await insert(lead);
    expect([res.status, res.body]).toEqual([400, { code, message: expect.any(String), description }]);
    expect(await leadCount()).toBe(before);
  });

  it.each(FIRST_FAILING_CHECK)('answers the first failing check: %s', async (_name, lead, code) => {
    expect((await insert(lead)).body.code).toBe(code);
  });
});

describe.skipIf(SKIP_REASON)('on workerd: duplicates in the store', () => {
  it('treats one number written four ways as one number (105)', async () => {
    expect((await insert({ phone: SAME_NUMBER.first })).body.code).toBe(0);
    for (const phone of SAME_NUMBER.otherForms) {
      const res = await insert({ phone });
      expect([res.status, res.body]).toEqual([400, DUPLICATE_PHONE]);
    }
    expect((await insert({ phone: freshMobile(), mobile: SAME_NUMBER.mobileForm })).body.code).toBe(105);
  });

  it.each(DEDUPE_SCOPES)('%s', async (_name, steps) => {
    const phones = { a: freshMobile(), b: freshMobile() };
    for (const [slot, at, code] of steps) expect((await insert({ phone: phones[slot] }, placeQuery(at))).body.code).toBe(code);
  });

  it('insertLeadsFast answers every lead in request order with counts', async () => {
    const expected = batchInRequestOrder(freshMobile);
    const res = await w.post('insertLeadsFast', expected.leads);
    expect([res.status, res.body]).toEqual([expected.status, expected.body]);
  });
});

describe.skipIf(SKIP_REASON)('on workerd: the duplicate check over the platform fetch', () => {
  it('sends the request exactly as the adaptor maps it, the secret resolved from the bindings', async () => {
    w.crm.respond({ json: { customer: null } });
    const expected = adaptorRequest(freshMobile());
    expect((await insert(expected.lead)).body.code).toBe(0);
    expect(w.crm.requests).toHaveLength(1);
    const sent = w.crm.requests[0]!;
    expect([sent.method, sent.url, sent.headers.authorization]).toEqual([expected.method, expected.url, `Bearer ${CRM_TOKEN}`]);
    expect(JSON.parse(sent.body)).toEqual(expected.body);
    expect(w.dev.output()).not.toContain(CRM_TOKEN);
  });

  it.each(Object.entries(TABLE_DECISIONS) as Array<[string, DecisionCase]>)('the table decides: %s', async (_name, decision) => {
    w.crm.respond({ json: decision.answer });
    const phone = freshMobile();
    const res = await insert({ phone });
    expect([res.status, res.body]).toEqual([decision.status, decision.body]);
    if (decision.leadStatus !== undefined) expect(await leadStatus(res.body.leadId)).toBe(decision.leadStatus);
    const dnc = await w.backend.runner.query<{ reason: string }>('select reason from dnc where e164 = $1', [e164(phone)]);
    expect(dnc.map((d) => d.reason)).toEqual(decision.dncReason ? [decision.dncReason] : []);
  });

  it.each(CRM_FAULTS)('a CRM fault ends in onError: %s', async (_name, reply, attempts, failure) => {
    w.crm.respond(reply);
    const phone = freshMobile();
    const res = await insert({ phone });
    expect(res.body.code).toBe(0);
    expect(await leadStatus(res.body.leadId)).toBe('CRM_ERROR');
    expect(w.crm.requests).toHaveLength(attempts);
    const [record] = await w.backend.runner.query<{ decision: Record<string, unknown> }>('select decision from decision_records where phone = $1', [e164(phone)]);
    expect(record!.decision).toMatchObject({ source: 'onError', crmFailure: failure });
  });
});

describe.skipIf(SKIP_REASON)('on workerd: concurrent requests', () => {
  // Each request checks and writes its own lead on its own connection: a precheck grouped with
  // another request's would be answered from that request's I/O, which workerd refuses.
  it('answers every one of concurrent duplicate-checked inserts, each lead checked and created once', async () => {
    w.crm.respond({ json: { customer: null } });
    const phones = Array.from({ length: 8 }, freshMobile);
    const answers = await Promise.all(phones.map((phone) => insert({ phone })));
    expect(answers.map((a) => [a.status, a.body.code])).toEqual(phones.map(() => [200, 0]));
    expect(new Set(answers.map((a) => a.body.leadId)).size).toBe(phones.length);
    expect(w.crm.requests).toHaveLength(phones.length);
    const stored = await w.backend.runner.query<{ n: number }>('select count(*)::int as n from leads where phones && $1::text[]', [phones.map(e164)]);
    expect(stored[0]!.n).toBe(phones.length);
  });
});

describe.skipIf(SKIP_REASON)('on workerd: signed webhooks (node:crypto under nodejs_compat)', () => {
  const deliver = async (body: string, headers: Record<string, string>) => {
    const res = await fetch(`${w.dev.url}/hooks/crm`, { method: 'POST', body, headers });
    return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
  };

  it('creates the lead once, however often the event is redelivered', async () => {
    const body = contact('W-H1', freshMobile());
    const first = await deliver(body, standardHeaders('w-evt-1', body));
    // the fixture's duplicate-check table applies to hooks too: the CRM answered {}, so noMatch decided
    expect([first.status, JSON.parse(first.text)]).toEqual([200, { ...accepted('crm', 'w-evt-1'), rule: { row: null } }]);
    expect(await deliver(body, standardHeaders('w-evt-1', body))).toEqual({ status: 200, text: first.text, replayed: 'true' });
  });

  it.each(SIGNATURE_REFUSALS)('refuses %s with 401 and writes nothing', async (_name, headers, error) => {
    const body = contact('W-HX', freshMobile());
    const res = await deliver(body, headers(body));
    expect([res.status, JSON.parse(res.text)]).toEqual([401, { error }]);
    expect(await w.backend.runner.query("select 1 from leads where external_id = 'W-HX'")).toEqual([]);
  });
});

describe.skipIf(SKIP_REASON)('on workerd: the Cron Trigger delivers the outbox', () => {
  it('one scheduled() pass sends a disposition webhook once, with its delivery id as Idempotency-Key', async () => {
    const phone = freshMobile();
    expect((await insert({ phone, njExternalLeadId: 'W-CRON' })).body.code).toBe(0);
    const update = await w.post('updateLeadFast', { njExternalLeadId: 'W-CRON', phone: '<No Change>', njDisposition: 'Notify' }, { fAllocationId: null });
    expect(update.body.code).toBe(0);
    w.crm.reset();
    const [entry] = await w.backend.runner.query<{ delivery_id: string }>('select delivery_id from outbox where delivered_at is null');
    const scheduled = await fetch(`${w.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
    expect(scheduled.status).toBe(200);
    expect(w.crm.requests.map((r) => r.headers['idempotency-key'])).toEqual([entry!.delivery_id]);
    expect(await w.backend.runner.query('select 1 from outbox where delivered_at is null')).toEqual([]);
  });
});

describe.skipIf(SKIP_REASON)('on workerd: a configuration error', () => {
  it("answers every request 500 and logs the loader's error; nothing half-starts", async () => {
    const dev = await startWranglerDev({
      rulesDir: w.rulesDir,
      databaseUrl: withPassword(w.backend.url!),
      vars: { LEADGATE_API_KEYS: 'k', LEADGATE_DEMO: '0' },
      readyStatus: 500,
    });
    try {
      for (const path of ['/healthz', '/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=k']) {
        const res = await fetch(`${dev.url}${path}`, { method: path === '/healthz' ? 'GET' : 'POST', body: path === '/healthz' ? undefined : '{}' });
        expect([res.status, await res.json()]).toEqual([500, { error: 'leadgate is misconfigured; the Worker log names the problem' }]);
      }
      const until = Date.now() + 10_000;
      while (!dev.output().includes('isolate.config_error') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(dev.output()).toContain('connects/crm.yaml at headers.Authorization: environment variable CRM_TOKEN is not set');
    } finally {
      await dev.stop();
    }
  });
});
