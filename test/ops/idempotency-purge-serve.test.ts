import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteBackend } from '../../src/store/backends/pglite.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { startServerProcess } from '../support/cli-process.js';
import { BASIC_RULES } from '../support/test-app.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * `leadgate serve` purges expired idempotency keys by itself: a pass at start, then every five
 * minutes, and it stops with the server. On the server store when TEST_DATABASE_URL is set, else
 * on an embedded data folder seeded before the server opens it.
 */

const SEED = `
insert into idempotency_records (key, request_hash, status, expires_at)
select 'k' || g, 'h', 200, case when g <= 1500 then now() - interval '1 hour' else now() + interval '1 hour' end
from generate_series(1, 1600) g`;
const COUNT = `select count(*)::int as n from idempotency_records`;

let dir: string;
let server: TestBackend | undefined;
/** the store the child will open, seeded: DATABASE_URL or LEADGATE_DATA_DIR */
let storeEnv: Record<string, string>;
let reopen: () => Promise<{ runner: SqlRunner; close(): Promise<void> }>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leadgate-purge-'));
  if (SERVER_URL) {
    server = await openTestBackend();
    await server.runner.query(SEED);
    storeEnv = { DATABASE_URL: server.url! };
    reopen = async () => ({ runner: server!.runner, close: async () => {} });
  } else {
    const data = join(dir, 'data');
    const seeded = await openPgliteBackend(data);
    await seeded.runner.query(SEED);
    await seeded.close();
    storeEnv = { LEADGATE_DATA_DIR: data };
    reopen = () => openPgliteBackend(data);
  }
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('leadgate serve', () => {
  it('purges expired keys in batches on its own and stops the purge with the server', async () => {
    const child = await startServerProcess({ ...storeEnv, RULES_DIR: BASIC_RULES, LEADGATE_API_KEYS: 'purge-key', LEADGATE_DEMO: '0' });
    try {
      const deadline = Date.now() + 20_000;
      while (!child.lines.some((l) => l.event === 'idempotency.purged') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(child.lines.find((l) => l.event === 'idempotency.purged')).toMatchObject({ level: 30, deleted: 1500, rounds: 2 });
    } finally {
      expect(await child.stop()).toBe(0);
    }
    expect(child.lines.map((l) => l.event)).toContain('server.stopped');
    expect(child.lines.some((l) => l.event === 'idempotency.purge_failed')).toBe(false);
    const store = await reopen();
    try {
      expect(await store.runner.query(COUNT)).toEqual([{ n: 100 }]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
