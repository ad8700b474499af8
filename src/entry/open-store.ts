import { mkdir } from 'node:fs/promises';
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
