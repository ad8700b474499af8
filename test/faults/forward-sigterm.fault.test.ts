import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/cli-process.js';
import { expectEachLeadOnceAtDialer } from '../support/dialer-ledger.js';
import { startFakeNoojee, type FakeNoojee, type NoojeeOptions } from '../support/fake-dialers/noojee.js';
import { destinationYaml, eventually, rulesWithDestinations } from '../support/forwarding.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * A `leadgate serve` stopped while its calls to a slow dialer are in flight, then a new process on
 * the same database (SPEC 10.2 point 6). SIGTERM: the calls in flight finish and are recorded
 * within the shutdown bound, the rest stay queued, and the next process sends them. SIGKILL: the
 * calls in flight keep their slots until their lease runs out (twice timeoutMs plus
 * LEADGATE_DELIVERY_LEASE_MARGIN_MS, set small here), then go again as uncertain; the dialer had
 * taken them, answers 112, and that counts as delivered. Either way: every lead at the dialer once.
 * Server PostgreSQL only (two processes on one database).
 */

const SECRET = 'pbx-sigterm-key';
const API_KEY = 'forward-sigterm-key';
const SHUTDOWN_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  db: TestBackend;
  fake: FakeNoojee;
  serve(): Promise<ServerProcess>;
  /** inserts `n` leads through `server`; answers their leadgate ids */
  insert(server: ServerProcess, n: number): Promise<string[]>;
}

const open: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function setup(settings: Record<string, string>, fakeOptions: NoojeeOptions, env: Record<string, string> = {}): Promise<Setup> {
  const db = await openTestBackend();
  open.push(() => db.close());
  const fake = await startFakeNoojee({ apiKey: SECRET, concurrency: 16, ...fakeOptions });
  open.push(() => fake.close());
  const rules = await rulesWithDestinations({ pbx: destinationYaml('noojee', fake.url, { apiKey: '${env:PBX_KEY}' }, { batch: '1', maxConcurrency: '4', ...settings }) });
  open.push(() => rules.remove());
  let phone = 0;
  return {
    db,
    fake,
    async serve() {
      const server = await startServerProcess({
        DATABASE_URL: db.url,
        RULES_DIR: rules.dir,
        PBX_KEY: SECRET,
        LEADGATE_API_KEYS: API_KEY,
        LEADGATE_DEMO: '0',
        LEADGATE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
        ...env,
      });
      open.push(() => server.stop());
      return server;
    },
    async insert(server, n) {
      const url = `${server.base}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=${API_KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`;
      const ids = await Promise.all(
        Array.from({ length: n }, async () => {
          const res = await fetch(url, { method: 'POST', body: JSON.stringify({ phone: `0413 6${String((phone += 1)).padStart(5, '0')}` }) });
          const body = (await res.json()) as { code: number; leadId: string };
          expect(body.code).toBe(0);
          return body.leadId;
        }),
      );
      return ids;
    },
  };
}

const inserts = (fake: FakeNoojee) => fake.requests.filter((r) => r.path.endsWith('/insertLeadFast'));
const queueState = (db: TestBackend) =>
  db.runner.query<{ state: string; leased: boolean; n: number }>(
    `select state, (claim_token is not null) as leased, count(*)::int as n from deliveries group by 1, 2 order by 1, 2`,
  );

describe.runIf(SERVER_URL)('forwarding across a stopped process', () => {
  it('SIGTERM: the calls in flight finish within the bound, the rest stay queued, the next process sends them; each lead once', async () => {
    const { db, fake, serve, insert } = await setup({ timeoutMs: '5000' }, { minCallMs: 50, delayMs: 800 });
    const first = await serve();
    const accepted = await insert(first, 20);
    await eventually('four calls at the dialer', () => inserts(fake).length >= 4);
    const signalled = Date.now();
    const exitCode = await first.stop();
    const stoppedIn = Date.now() - signalled;
    const callsByFirst = inserts(fake).length;
    const afterFirst = await queueState(db);

    expect(exitCode).toBe(0);
    expect(stoppedIn).toBeLessThan(SHUTDOWN_MS);
    expect(first.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['server.stopping', 'server.stopped']));
    expect(first.lines.some((l) => l.event === 'server.stop_forced')).toBe(false);
    // every call the dialer got was answered and recorded before the exit; nothing left holding a lease
    expect(fake.leads).toHaveLength(callsByFirst);
    expect(afterFirst).toEqual([
      { state: 'delivered', leased: false, n: callsByFirst },
      { state: 'queued', leased: false, n: 20 - callsByFirst },
    ]);
    // the stop waited for calls that take 800 ms
    expect(stoppedIn).toBeGreaterThan(300);

    const second = await serve();
    await eventually('all delivered by the second process', async () => (await queueState(db)).every((r) => r.state === 'delivered'), 30_000);
    await sleep(300);
    const ledger = await expectEachLeadOnceAtDialer(db.runner, fake, accepted);
    // nothing was sent twice: one call per lead
    expect(ledger.calls).toBe(20);
    expect(ledger.deliveredAsDuplicate).toBe(0);
    console.log(`forward sigterm: stopped in ${stoppedIn} ms with ${callsByFirst} calls in flight (all finished and recorded), ${20 - callsByFirst} left queued and sent by the next process; ${ledger.calls} calls for 20 leads`);
    expect(await second.stop()).toBe(0);
  }, 90_000);

  it('SIGTERM with calls longer than the bound: they are cut at the bound and left queued as uncertain; the next process re-sends them; each lead once', async () => {
    const bound = 1000;
    const { db, fake, serve, insert } = await setup({ timeoutMs: '4000' }, { minCallMs: 50, delayMs: 3000 }, { LEADGATE_SHUTDOWN_TIMEOUT_MS: String(bound) });
    const first = await serve();
    const accepted = await insert(first, 8);
    await eventually('four calls at the dialer', () => inserts(fake).length >= 4);
    const signalled = Date.now();
    expect(await first.stop()).toBe(0);
    const stoppedIn = Date.now() - signalled;
    // the bound, and a moment to record the cut calls: not the 3 s the dialer holds them
    expect(stoppedIn).toBeLessThan(bound + 1500);
    expect(await queueState(db)).toEqual([{ state: 'queued', leased: false, n: 8 }]);
    const cut = await db.runner.query<{ outcome: string; uncertain: boolean }>(
      `select a.outcome, d.uncertain from delivery_attempts a join deliveries d on d.id = a.delivery_id order by a.id`,
    );
    expect(cut).toEqual(Array.from({ length: 4 }, () => ({ outcome: 'unknown', uncertain: true })));

    const second = await serve();
    await eventually('all delivered by the second process', async () => (await queueState(db)).every((r) => r.state === 'delivered'), 30_000);
    await sleep(300);
    const ledger = await expectEachLeadOnceAtDialer(db.runner, fake, accepted);
    // the dialer took the four cut calls anyway; their re-sends were answered 112 and counted delivered
    expect(ledger.deliveredAsDuplicate).toBe(4);
    expect(ledger.calls).toBe(12);
    console.log(`forward sigterm past the bound: stopped in ${stoppedIn} ms (bound ${bound} ms, calls of 3 s), 4 calls cut and left queued as uncertain, re-sent and counted on a 112; ${ledger.calls} calls for 8 leads`);
    expect(await second.stop()).toBe(0);
  }, 90_000);

  it('SIGKILL: the calls in flight hold their slots until the lease ends, then go again; the dialer\'s 112 counts them delivered; each lead once', async () => {
    // lease: 2 × 2000 + 1000 ms
    const leaseMs = 5000;
    const { db, fake, serve, insert } = await setup({ timeoutMs: '2000' }, { minCallMs: 50, delayMs: 1000 }, { LEADGATE_DELIVERY_LEASE_MARGIN_MS: '1000' });
    const first = await serve();
    const accepted = await insert(first, 12);
    await eventually('four calls at the dialer', () => inserts(fake).length >= 4);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();
    const killedAt = Date.now();
    const inFlight = inserts(fake).length;
    expect(inFlight).toBe(4);
    const [lease] = await db.runner.query<{ ends: number; n: number }>(
      `select (extract(epoch from max(lease_until)) * 1000)::float8 as ends, count(*)::int as n from deliveries where lease_until > now()`,
    );
    expect(lease!.n).toBe(inFlight);
    expect(lease!.ends - killedAt).toBeLessThanOrEqual(leaseMs);

    const second = await serve();
    await eventually('all delivered by the second process', async () => (await queueState(db)).every((r) => r.state === 'delivered'), 30_000);
    await sleep(300);
    const ledger = await expectEachLeadOnceAtDialer(db.runner, fake, accepted);
    const later = inserts(fake).slice(inFlight);
    // the dead process's calls kept all four slots: nothing went to the dialer before their lease ended
    expect(Math.min(...later.map((r) => r.receivedAt))).toBeGreaterThanOrEqual(lease!.ends - 50);
    // the four were sent again (uncertain) and counted delivered on the dialer's 112; the other eight once
    expect(ledger.deliveredAsDuplicate).toBe(inFlight);
    expect(ledger.calls).toBe(12 + inFlight);
    console.log(`forward sigkill: ${inFlight} calls in flight at the kill held their slots ${Math.round(lease!.ends - killedAt)} ms more, re-sent and counted on a 112; ${ledger.calls} calls for 12 leads, attempts ${JSON.stringify(ledger.outcomes)}`);
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
