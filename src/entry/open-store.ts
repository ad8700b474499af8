import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Env } from '../config/env.js';
import { openPgliteBackend } from '../store/backends/pglite.js';
import { openPostgresBackend } from '../store/backends/postgres.js';
import type { StoreBackend } from '../store/sql-runner.js';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite store in LEADGATE_DATA_DIR. */
export async function openStoreBackend(env: Env, logger: Logger): Promise<StoreBackend> {
  if (env.DATABASE_URL) {
    logger.info({ event: 'store.open', kind: 'postgres' }, 'using PostgreSQL from DATABASE_URL');
    return openPostgresBackend(env.DATABASE_URL);
  }
  await mkdir(env.LEADGATE_DATA_DIR, { recursive: true });
  logger.info({ event: 'store.open', kind: 'pglite', dataDir: env.LEADGATE_DATA_DIR }, 'using the embedded PGlite store');
  return openPgliteBackend(env.LEADGATE_DATA_DIR);
}
