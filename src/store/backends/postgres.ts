import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { migrationsFolder } from '../migrations-folder.js';
import type { StoreBackend } from '../sql-runner.js';
import { postgresRunner } from './postgres-runner.js';

export interface PostgresOptions {
  poolSize?: number;
  /** seconds to wait for a connection before a query fails (keeps outages from hanging requests) */
  connectTimeoutSeconds?: number;
}

const MIGRATION_LOCK = 7_240_001;

/*
 * Session settings of the store's connections. JIT off: the store runs short statements, and
 * PostgreSQL JIT-compiles any whose estimated cost passes jit_above_cost, a bar the precheck
 * always passes (jsonb_to_recordset estimates 100 leads of 100 claims each, whatever it is given):
 * 100–400 ms of LLVM work on every call of a statement that runs in 0.1 ms (npm run bench -- dupcheck).
 */
export const STORE_SESSION_SETTINGS = { jit: 'off' } as const;

/**
 * Applies migrations on a connection of its own, under an advisory lock, so several leadgate
 * processes starting together against one database migrate it exactly once.
 */
export async function migratePostgres(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder: migrationsFolder() });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Seconds before a connection is tried again after `failures` failed attempts. postgres.js counts
 * the failures of the whole pool together and by default waits 3^failures / 100 s (up to 20 s,
 * less a random half): a two-second PostgreSQL restart under load fails some ten connection
 * attempts, and the pool then stayed away for 10–20 s after the server was back, every request
 * waiting (bench soak). A short, capped wait reconnects within a second of the server's return;
 * while the server is down each request still fails at once on its refused connection.
 */
const reconnectDelaySeconds = (failures: number): number => Math.min(0.05 * 2 ** failures, 1);

/** The options of the store's pool: its size and timeouts, the reconnect wait, the session settings. */
export function storePoolOptions(options: PostgresOptions = {}) {
  return {
    max: options.poolSize ?? 20,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    connection: STORE_SESSION_SETTINGS,
  } satisfies postgres.Options<Record<string, never>>;
}

/** The store's connection pool (no migration: openPostgresBackend migrates first). */
export function storePool(url: string, options: PostgresOptions = {}): postgres.Sql {
  return postgres(url, storePoolOptions(options));
}

export async function openPostgresBackend(url: string, options: PostgresOptions = {}): Promise<StoreBackend> {
  await migratePostgres(url);
  const sql = storePool(url, options);
  return {
    kind: 'postgres',
    runner: postgresRunner(sql),
    close: () => sql.end({ timeout: 5 }),
  };
}
