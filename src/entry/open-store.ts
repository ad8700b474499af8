import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import type { Env } from '../config/env.js';
import { lockDataDir, type LockHolder } from '../store/backends/data-dir-lock.js';
import { openPgliteBackend } from '../store/backends/pglite.js';
import { openPostgresBackend } from '../store/backends/postgres.js';
import type { StoreBackend } from '../store/sql-runner.js';

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite store in LEADGATE_DATA_DIR, held
 * by this process alone until the backend is closed (a second process is refused before it
 * opens anything: see data-dir-lock.ts).
 */
export async function openStoreBackend(env: Env, logger: Logger, who: Pick<LockHolder, 'command' | 'port'>): Promise<StoreBackend> {
  if (env.DATABASE_URL) {
    logger.info({ event: 'store.open', kind: 'postgres' }, 'using PostgreSQL from DATABASE_URL');
    return openPostgresBackend(env.DATABASE_URL);
  }
  // The embedded store shares this process's 250 MB budget (SPEC 9) with PGlite's WASM memory. Once
  // its group commit gathered each event-loop turn, inserts ran 2.4 x faster and V8's heap grew with
  // the rate: 255 MB peak at 16 connections, 326 MB at 64. V8's size-over-speed mode brings that to
  // 205 and 207 MB, for 0-6 % of the embedded insert rate in two comparisons (npm run bench -- pglite-memory pglite).
  // Set here, not in npm start's flags: on server PostgreSQL it cost a quarter of the insert rate.
  setFlagsFromString('--optimize-for-size');
  await mkdir(env.LEADGATE_DATA_DIR, { recursive: true });
  const lock = await lockDataDir(env.LEADGATE_DATA_DIR, who);
  logger.info({ event: 'store.open', kind: 'pglite', dataDir: env.LEADGATE_DATA_DIR }, 'using the embedded PGlite store');
  let backend: StoreBackend;
  try {
    backend = await openPgliteBackend(env.LEADGATE_DATA_DIR);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return {
    ...backend,
    async close() {
      try {
        await backend.close();
      } finally {
        await lock.release();
      }
    },
  };
}
