import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInRequestOrder } from '../../cases/noojee-insert-cases.js';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ maxBatch: 1500 });
});
afterAll(async () => {
  await t.close();
});

let serial = 0;
const freshMobile = () => `04${String(20_000_000 + serial++ * 7919).slice(-8)}`;
const insertBatch = (body: unknown, query = {}) => postNoojee(t.app, 'insertLeadsFast', body, query);
const leadCount = async () => (await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads'))[0]!.n;

describe('insertLeadsFast', () => {
  it('answers every lead in request order with counts; one bad lead undoes nothing', async () => {
    const expected = batchInRequestOrder(freshMobile);
    const res = await insertBatch(expected.leads);
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual(expected.body);
    const results = res.body.results as Array<{ leadId?: string }>;
    const stored = await t.backend.runner.query<{ id: string; priority: number }>(
      'select id::text, priority from leads where id = any($1::bigint[]) order by id',
      [[results[0]!.leadId, results[4]!.leadId]],
    );
    expect(stored.map((r) => r.priority)).toEqual([10, 7]);
  });

  it('treats a single object as a one-element batch', async () => {
    const res = await insertBatch({ phone: freshMobile() });
    expect(res.body).toEqual({ code: 0, message: 'OK', results: [{ index: 0, code: 0, message: 'OK', leadId: expect.any(String) }], counts: { '0': 1 } });
  });

  it('answers an empty batch with no results', async () => {
    const res = await insertBatch([]);
    expect(res.body).toEqual({ code: 0, message: 'OK', results: [], counts: {} });
  });

  it('answers request-level failures with their own code and no results', async () => {
    const missing = await insertBatch([{ phone: freshMobile() }], { fAllocationId: null });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ code: 115, message: 'ALLOCATION_ID_REQUIRED', description: 'fAllocationId is required' });
    const unauthorised = await insertBatch([{ phone: freshMobile() }], { apiKey: 'wrong' });
    expect(unauthorised.status).toBe(401);
    const notJson = await insertBatch('[{"phone": "0412');
    expect(notJson.body).toEqual({ code: 204, message: 'MALFORMED_REQUEST', description: 'the body is not valid JSON: an unclosed string at line 1, column 12' });
  });

  it('answers 203 for a batch over LEADGATE_MAX_BATCH, writing nothing', async () => {
    const before = await leadCount();
    const res = await insertBatch(Array.from({ length: 1501 }, () => ({ phone: freshMobile() })));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 203, message: 'PAYLOAD_TOO_LARGE', description: 'a batch may hold at most 1500 leads, got 1501' });
    expect(await leadCount()).toBe(before);
  });

  it('sees DNC, existing external ids and existing phones in bulk', async () => {
    const existing = freshMobile();
    expect((await insertBatch([{ phone: existing, njExternalLeadId: 'B-EX' }])).body.counts).toEqual({ '0': 1 });
    const dnc = freshMobile();
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ($1, 10, 'test')`, [`+61${dnc.slice(1)}`]);
    const res = await insertBatch([
      { phone: existing },
      { phone: freshMobile(), njExternalLeadId: 'B-EX' },
      { phone: dnc },
      { phone: freshMobile(), njExternalLeadId: 'B-EX-2' },
    ]);
    expect((res.body.results as Array<{ code: number }>).map((r) => r.code)).toEqual([105, 112, 104, 0]);
  });

  it('keeps one-by-one semantics when an earlier lead of the batch is rolled back', async () => {
    const taken = freshMobile();
    const shared = freshMobile();
    expect((await insertBatch([{ phone: taken }])).body.counts).toEqual({ '0': 1 });
    // Lead 0 claims `shared` but loses `taken`; lead 1 must then get `shared`, and lead 2 its external id.
    const res = await insertBatch([
      { phone: taken, mobile: shared, njExternalLeadId: 'B-RB' },
      { phone: shared },
      { phone: freshMobile(), njExternalLeadId: 'B-RB' },
      { phone: shared },
    ]);
    expect((res.body.results as Array<{ code: number }>).map((r) => r.code)).toEqual([105, 0, 0, 105]);
    const owners = await t.backend.runner.query<{ n: number }>(
      `select count(*)::int as n from leads where phones @> array[$1]::text[]`,
      [`+61${shared.slice(1)}`],
    );
    expect(owners[0]!.n).toBe(1);
  });

  it('writes a 1,000-lead batch with every lead answered', async () => {
    const leads = Array.from({ length: 1000 }, (_, i) => ({ phone: freshMobile(), surname: `S${i}`, njExternalLeadId: `BULK-${i}` }));
    const res = await insertBatch(leads);
    expect(res.body.counts).toEqual({ '0': 1000 });
    const again = await insertBatch(leads.slice(0, 10));
    expect(again.body.counts).toEqual({ '112': 10 });
  });
});
