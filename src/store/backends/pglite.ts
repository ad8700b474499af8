import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { migrationsFolder } from '../migrations-folder.js';
import type { SqlRunner, StoreBackend } from '../sql-runner.js';

interface PgliteQueryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

function runnerOver(db: PgliteQueryable & { transaction?: PGlite['transaction'] }, root: PGlite): SqlRunner {
  return {
    async query<R extends object>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<R>(text, [...params]);
      return result.rows;
    },
    transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      return root.transaction((tx) => fn(runnerOver(tx, root)));
    },
  };
}

export function pgliteRunner(pg: PGlite): SqlRunner {
  return runnerOver(pg, pg);
}

/**
 * The embedded store: PostgreSQL compiled to WASM, one connection, data in `dataDir`
 * (undefined = in memory, for tests). Migrations run before the store is handed out.
 */
export async function openPgliteBackend(dataDir?: string): Promise<StoreBackend & { pg: PGlite }> {
  const pg = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  await migrate(drizzle(pg), { migrationsFolder: migrationsFolder() });
  return {
    kind: 'pglite',
    pg,
    runner: pgliteRunner(pg),
    close: () => pg.close(),
  };
}
