import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { createTestApp, noojeeUrl, type NoojeeQuery, type TestApp } from '../support/test-app.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';
import { startPgCutProxy, type PgCutProxy } from './pg-cut-proxy.js';

/*
 * The sequence behind "55 requests were answered 207 and one of them had been committed": the
 * database commits a lead, then the connection dies before the answer reaches leadgate. Here a
 * proxy between leadgate's pool and the server closes the connection right after the server's
 * ReadyForQuery for the lead's insert (a single statement: committed by then), or for the COMMIT
 * of a batch. The client gets 207; its retry finds the lead. Server PostgreSQL only: PGlite has no
 * connection to cut.
 */

const LEAD_INSERT = (sql: string) => sql.includes('insert into leads');
const COMMIT = (sql: string) => /^\s*commit\b/i.test(sql);

describe.runIf(SERVER_URL)('a connection cut after the commit, before the answer', () => {
  let db: TestBackend;
  let proxy: PgCutProxy;
  let t: TestApp;
  beforeAll(async () => {
    db = await openTestBackend();
    proxy = await startPgCutProxy(db.url!);
    t = await createTestApp({ backend: await openPostgresBackend(proxy.url, { poolSize: 4 }) });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await db.close();
  });

  const post = async (endpoint: string, body: unknown, key?: string, query: NoojeeQuery = {}) => {
    const res = await t.app.request(noojeeUrl(endpoint, query), { method: 'POST', headers: key ? { 'idempotency-key': key } : {}, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { code?: number; leadId?: string; results?: Array<{ code: number }> }, retryAfter: res.headers.get('retry-after'), replayed: res.headers.get('idempotent-replayed') };
  };
  /** read on a connection of its own, not through the proxy */
  const leadsWithPhone = async (e164: string) =>
    db.runner.query<{ id: string; external_id: string | null }>('select id::text, external_id from leads where phones @> array[$1]::text[]', [e164]);
  const STORE_UNAVAILABLE = { status: 503, body: { code: 207, message: 'STORE_UNAVAILABLE', description: expect.any(String) }, retryAfter: '5', replayed: null };

  it('answers 207 for a lead it stored; the retry with the same njExternalLeadId answers 112', async () => {
    const lead = { phone: '0413 300 001', njExternalLeadId: 'CUT-1' };
    const cut = proxy.cutAfter(LEAD_INSERT);
    expect(await post('insertLeadFast', lead)).toEqual(STORE_UNAVAILABLE);
    expect(await cut).toContain('insert into leads');
    expect(await leadsWithPhone('+61413300001')).toEqual([{ id: expect.any(String), external_id: 'CUT-1' }]);

    const retry = await post('insertLeadFast', lead);
    expect(retry).toMatchObject({ status: 400, body: { code: 112 } });
    expect(await leadsWithPhone('+61413300001')).toHaveLength(1);
  });

  it('without an external id, the retry with the same phone answers 105', async () => {
    const lead = { phone: '0413 300 002' };
    const cut = proxy.cutAfter(LEAD_INSERT);
    expect(await post('insertLeadFast', lead)).toEqual(STORE_UNAVAILABLE);
    await cut;
    expect(await leadsWithPhone('+61413300002')).toHaveLength(1);
    expect(await post('insertLeadFast', lead)).toMatchObject({ status: 400, body: { code: 105 } });
    expect(await leadsWithPhone('+61413300002')).toHaveLength(1);
  });

  it('with an Idempotency-Key the 207 is not kept: the retry runs, answers 112 (or 105), and that answer is kept', async () => {
    const lead = { phone: '0413 300 003', njExternalLeadId: 'CUT-3' };
    const cut = proxy.cutAfter(LEAD_INSERT);
    expect(await post('insertLeadFast', lead, 'cut-3')).toEqual(STORE_UNAVAILABLE);
    await cut;
    // the key was handed back (a 5xx is no final answer) on a fresh connection
    expect(await db.runner.query('select key from idempotency_records where status is null')).toEqual([]);
    const retry = await post('insertLeadFast', lead, 'cut-3');
    expect(retry).toMatchObject({ status: 400, body: { code: 112 }, replayed: null });
    expect(await post('insertLeadFast', lead, 'cut-3')).toEqual({ ...retry, replayed: 'true' });

    const phoneOnly = { phone: '0413 300 004' };
    const cutAgain = proxy.cutAfter(LEAD_INSERT);
    expect(await post('insertLeadFast', phoneOnly, 'cut-4')).toEqual(STORE_UNAVAILABLE);
    await cutAgain;
    expect(await post('insertLeadFast', phoneOnly, 'cut-4')).toMatchObject({ status: 400, body: { code: 105 }, replayed: null });
    expect(await leadsWithPhone('+61413300003')).toHaveLength(1);
    expect(await leadsWithPhone('+61413300004')).toHaveLength(1);
  });

  // A limit, not a wish: the README tells clients to send an njExternalLeadId with allowDuplicates.
  it('with allowDuplicates and no external id nothing tells the retry apart: it stores a second lead', async () => {
    const lead = { phone: '0413 300 007' };
    const cut = proxy.cutAfter(LEAD_INSERT);
    expect(await post('insertLeadFast', lead, 'cut-7', { allowDuplicates: 'true' })).toEqual(STORE_UNAVAILABLE);
    await cut;
    expect(await post('insertLeadFast', lead, 'cut-7', { allowDuplicates: 'true' })).toMatchObject({ status: 200, body: { code: 0 } });
    expect(await leadsWithPhone('+61413300007')).toHaveLength(2);
  });

  it('a batch whose COMMIT went through answers 207; its retry answers each lead 112', async () => {
    const batch = [
      { phone: '0413 300 005', njExternalLeadId: 'CUT-5' },
      { phone: '0413 300 006', njExternalLeadId: 'CUT-6' },
    ];
    const cut = proxy.cutAfter(COMMIT);
    expect(await post('insertLeadsFast', batch)).toEqual(STORE_UNAVAILABLE);
    await cut;
    expect(await leadsWithPhone('+61413300005')).toHaveLength(1);
    expect(await leadsWithPhone('+61413300006')).toHaveLength(1);
    const retry = await post('insertLeadsFast', batch);
    expect(retry.status).toBe(200);
    expect(retry.body.results?.map((r) => r.code)).toEqual([112, 112]);
  });
});
