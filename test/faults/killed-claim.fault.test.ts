import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/cli-process.js';
import { CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * A `leadgate serve` killed (SIGKILL) between claiming an Idempotency-Key and answering: the
 * request waits on a CRM that never answers when the process dies, so its key stays "in
 * progress". A new process on the same database holds the retry until the lease (12 s here, set
 * through LEADGATE_IDEMPOTENCY_LEASE_MS) has run out, then processes it. Server PostgreSQL only:
 * the embedded store's variant is test/http/idempotency-lease.test.ts.
 */

const API_KEY = 'killed-claim-key';
const LEASE_MS = 12_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(SERVER_URL)('a process killed between claim and answer', () => {
  let db: TestBackend;
  let crm: FakeCrm;
  let rulesDir: string;
  const servers: ServerProcess[] = [];
  /** when the fake CRM received each request */
  const arrivals: number[] = [];
  beforeAll(async () => {
    db = await openTestBackend();
    crm = await startFakeCrm();
    crm.setHandler((_request, index) => {
      arrivals.push(Date.now());
      return index === 0 ? { kind: 'hang' } : { status: 200, json: {} };
    });
    rulesDir = await rulesWithCrm(crm.url, { connect: { timeoutMs: 30_000, retries: 0 } });
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await crm.close();
    await db.close();
    await rm(rulesDir, { recursive: true, force: true });
  });

  const serve = async () => {
    const server = await startServerProcess({
      DATABASE_URL: db.url,
      RULES_DIR: rulesDir,
      CRM_TOKEN,
      LEADGATE_API_KEYS: API_KEY,
      LEADGATE_DEMO: '0',
      LEADGATE_IDEMPOTENCY_LEASE_MS: String(LEASE_MS),
    });
    servers.push(server);
    return server;
  };
  const post = (server: ServerProcess) =>
    fetch(`${server.base}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=${API_KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`, {
      method: 'POST',
      headers: { 'idempotency-key': 'killed-1', 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '0413 400 001' }),
    });
  const keyRow = async () =>
    (await db.runner.query<{ status: number | null; lease_end: number }>(`select status, (extract(epoch from expires_at) * 1000)::float8 as lease_end from idempotency_records`))[0];
  const leads = async () => (await db.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones @> array['+61413400001']`))[0]!.n;

  it('leaves the key in progress for the lease only: the retry on a new process runs after it', async () => {
    const first = await serve();
    const lost = post(first).then(
      (res) => `answered ${res.status}`,
      () => 'no answer',
    );
    while (crm.requests.length < 1) await sleep(20);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();
    expect(await lost).toBe('no answer');
    const held = await keyRow();
    expect(held!.status).toBeNull();
    expect(await leads()).toBe(0);

    const second = await serve();
    const sent = Date.now();
    // sent while the lease runs: held (a copy waits up to 65 s) and processed once it ends
    expect(sent).toBeLessThan(held!.lease_end);
    const retry = await post(second);
    const answered = Date.now();
    expect(retry.status).toBe(200);
    const body = (await retry.json()) as { code: number; leadId: string };
    expect(body).toMatchObject({ code: 0 });
    expect(crm.requests).toHaveLength(2);
    // a few ms of rounding between the database's clock and ours
    expect(arrivals[1]!).toBeGreaterThanOrEqual(held!.lease_end - 5);
    expect(answered - sent).toBeLessThan(LEASE_MS + 5000);
    expect(await leads()).toBe(1);
    expect((await keyRow())!.status).toBe(200);

    const again = await post(second);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(body);
    expect(crm.requests).toHaveLength(2);
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
