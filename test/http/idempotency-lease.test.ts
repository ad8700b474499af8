import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildNodeDeps } from '../../src/entry/node-deps.js';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import { onceByKey } from '../../src/http/idempotency.js';
import { createIdempotencyStore } from '../../src/store/idempotency-store.js';
import { CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { API_KEY, loadRules, memoryLog, noojeeUrl } from '../support/test-app.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

/*
 * A request that claimed its Idempotency-Key and never answered (its process died, or hangs) holds
 * the key for the lease only. The in-memory variant of test/faults/killed-claim.fault.test.ts: the
 * "dead" process is an app whose CRM call never comes back, the one started in its place a second
 * app over the same database.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DAY_MS = 24 * 3_600_000;

let backend: TestBackend;
let crm: FakeCrm;
let rulesDir: string;
/** when the fake CRM received each request */
const arrivals: number[] = [];
beforeAll(async () => {
  backend = await openTestBackend();
  crm = await startFakeCrm();
  // the first lookup never gets an answer; every later one is "no match": create the lead
  crm.setHandler((_request, index) => {
    arrivals.push(Date.now());
    return index === 0 ? { kind: 'hang' } : { status: 200, json: {} };
  });
  rulesDir = await rulesWithCrm(crm.url, { connect: { timeoutMs: 4000, retries: 0 } });
});
afterAll(async () => {
  await crm.close();
  await backend.close();
  await rm(rulesDir, { recursive: true, force: true });
});

/** A leadgate "process" over the shared database, its claims leased for `leaseMs`. */
async function leadgateOn(leaseMs: number) {
  const deps = buildNodeDeps({
    backend,
    rules: await loadRules(rulesDir, { CRM_TOKEN }),
    logger: memoryLog().logger,
    config: { isApiKey: createApiKeyCheck([API_KEY]), maxBatch: 100, maxBodyBytes: 1 << 20, demo: false, adminToken: undefined },
    admission: { slots: 8, queueTimeoutMs: 60_000 },
    idempotencyLeaseMs: leaseMs,
  });
  const app = createApp(deps);
  return {
    async post(key: string, lead: unknown) {
      const res = await app.request(noojeeUrl('insertLeadFast'), { method: 'POST', headers: { 'idempotency-key': key }, body: JSON.stringify(lead) });
      return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
    },
    close: () => deps.close(),
  };
}

const leadsWithPhone = async (e164: string) =>
  (await backend.runner.query<{ n: number }>('select count(*)::int as n from leads where phones @> array[$1]::text[]', [e164]))[0]!.n;

describe('a claim left in progress', () => {
  it('holds its key for the lease: the retry waits, then takes the key over, and its answer is the one kept', async () => {
    const lead = { phone: '0413 200 001' };
    const dead = await leadgateOn(1500);
    // claims the key, then waits on the CRM for good (within this test: 4 s)
    const abandoned = dead.post('lease-1', lead);
    while (crm.requests.length < 1) await sleep(10);
    const [held] = await backend.runner.query<{ status: number | null; lease_end: number }>(
      `select status, (extract(epoch from expires_at) * 1000)::float8 as lease_end from idempotency_records`,
    );
    expect(held!.status).toBeNull();

    const restarted = await leadgateOn(1500);
    // The retry waits for the first (up to 65 s) and, once the lease ends, does the work itself.
    const retry = await restarted.post('lease-1', lead);
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.text)).toMatchObject({ code: 0 });
    expect(retry.replayed).toBeNull();
    expect(crm.requests).toHaveLength(2);
    // not before the lease ended (a few ms of rounding between the two clocks)
    expect(arrivals[1]!).toBeGreaterThanOrEqual(held!.lease_end - 5);
    expect(await leadsWithPhone('+61413200001')).toBe(1);

    // The first was only slow: its CRM call gives up, its insert finds the retry's lead (105),
    // and its late answer is not kept over the retry's.
    const late = await abandoned;
    expect(JSON.parse(late.text)).toMatchObject({ code: 105 });
    expect(await leadsWithPhone('+61413200001')).toBe(1);
    expect(await restarted.post('lease-1', lead)).toEqual({ status: 200, text: retry.text, replayed: 'true' });
    await dead.close();
    await restarted.close();
  });

  it('answers "in progress" to a copy that outwaits its wait while the lease still runs, then runs it', async () => {
    const store = createIdempotencyStore(backend.runner, { leaseMs: 1500 });
    // a request that claimed its key and died
    expect((await store.claim('lease-2', 'h')).kind).toBe('claimed');
    const options = { store, ttlMs: DAY_MS, waitMs: 200, pollMs: 20 };
    let runs = 0;
    const work = async () => (runs++, new Response('done'));
    expect(await onceByKey(options, 'lease-2', 'h', work)).toBe('inProgress');
    expect(runs).toBe(0);
    await sleep(1500);
    const answer = await onceByKey(options, 'lease-2', 'h', work);
    expect(answer instanceof Response && (await answer.text())).toBe('done');
    expect(runs).toBe(1);
    // and kept: the next copy gets it replayed
    const again = await onceByKey(options, 'lease-2', 'h', work);
    expect(again instanceof Response && again.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });
});
