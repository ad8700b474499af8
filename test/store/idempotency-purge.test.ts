import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdempotencyPurge } from '../../src/store/idempotency-purge.js';
import { createIdempotencyStore } from '../../src/store/idempotency-store.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { memoryLog } from '../support/test-app.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let backend: TestBackend;
beforeAll(async () => {
  backend = await openTestBackend();
});
afterAll(async () => {
  await backend.close();
});
beforeEach(async () => {
  await backend.runner.query('delete from idempotency_records');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keysLeft = async () => (await backend.runner.query<{ key: string }>('select key from idempotency_records order by key')).map((r) => r.key);

/** `n` rows: expired answers and claims past their lease alike, or live ones. */
async function seed(prefix: string, n: number, state: 'expired answer' | 'expired claim' | 'live answer' | 'live claim') {
  const expires = state.startsWith('expired') ? `now() - interval '1 minute' - g * interval '1 millisecond'` : `now() + interval '1 hour'`;
  const status = state.endsWith('answer') ? '200' : 'null';
  await backend.runner.query(
    `insert into idempotency_records (key, request_hash, status, expires_at, claim_token)
     select $1 || lpad(g::text, 6, '0'), 'h', ${status}, ${expires}, 't' from generate_series(1, $2::int) g`,
    [prefix, n],
  );
}

describe('purge of expired keys', () => {
  it('deletes only expired rows, a batch per round: 2,500 with a batch of 1,000 take three rounds', async () => {
    await seed('old-answer-', 2000, 'expired answer');
    await seed('dead-claim-', 500, 'expired claim');
    await seed('answer-', 100, 'live answer');
    await seed('claim-', 10, 'live claim');
    const rounds: number[] = [];
    const store = createIdempotencyStore(backend.runner);
    const counting = { purgeExpired: async (limit: number) => rounds[rounds.push(await store.purgeExpired(limit)) - 1]! };
    const log = memoryLog();
    const purge = createIdempotencyPurge({ store: counting, logger: log.logger, batch: 1000, pauseMs: 1 });

    expect(await purge.runOnce()).toEqual({ deleted: 2500, rounds: 3 });
    expect(rounds).toEqual([1000, 1000, 500]);
    const left = await keysLeft();
    expect(left).toHaveLength(110);
    expect(left.every((k) => k.startsWith('answer-') || k.startsWith('claim-'))).toBe(true);
    expect(log.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 30, event: 'idempotency.purged', deleted: 2500, rounds: 3 }),
    ]);

    // nothing left to purge: one round, one index probe, no log line
    expect(await purge.runOnce()).toEqual({ deleted: 0, rounds: 1 });
    expect(log.lines).toHaveLength(1);
  });

  it('runs in several processes at once without errors, waits or rows deleted twice', async () => {
    await seed('old-', 5000, 'expired answer');
    await seed('live-', 50, 'live answer');
    // three "processes": their own store objects over the same database (own connections on a server)
    const passes = await Promise.all(
      Array.from({ length: 3 }, () => createIdempotencyPurge({ store: createIdempotencyStore(backend.runner), logger: memoryLog().logger, batch: 400, pauseMs: 0 }).runOnce()),
    );
    expect(passes.reduce((sum, p) => sum + p.deleted, 0)).toBe(5000);
    expect(await keysLeft()).toHaveLength(50);
  });

  it('finds expired rows through the expiry index and deletes them by row address', async () => {
    await seed('live-', 50_000, 'live answer');
    await seed('old-', 2500, 'expired answer');
    await backend.runner.query('analyze idempotency_records');
    // the statement exactly as the store sends it
    const sent: string[] = [];
    const recording: SqlRunner = {
      query: (text, params) => (sent.push(text), backend.runner.query(text, params)),
      transaction: (fn) => backend.runner.transaction(fn),
    };
    await createIdempotencyStore(recording).purgeExpired(0);
    const [plan] = await backend.runner.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sent[0]!.replace('$1', '1000')}`);
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (node: Record<string, unknown>) => {
      nodes.push(node);
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
    };
    walk((plan!['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
    const scans = nodes.filter((n) => String(n['Node Type']).endsWith('Scan') && n['Relation Name'] === 'idempotency_records').map((n) => `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`);
    expect(scans.sort()).toEqual(['Index Scan using idempotency_expires_idx', 'Tid Scan']);
  });

  it('stops between rounds when asked, and only runs again after start', async () => {
    await seed('old-', 3000, 'expired answer');
    const purge = createIdempotencyPurge({ store: createIdempotencyStore(backend.runner), logger: memoryLog().logger, batch: 1000, pauseMs: 60_000, intervalMs: 60_000 });
    purge.start();
    while ((await keysLeft()).length > 2000) await sleep(20);
    const asked = Date.now();
    await purge.stop();
    expect(Date.now() - asked).toBeLessThan(1000);
    await sleep(100);
    expect(await keysLeft()).toHaveLength(2000);
  });
});
