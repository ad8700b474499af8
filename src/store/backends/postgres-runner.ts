import type postgres from 'postgres';
import type { SqlRunner } from '../sql-runner.js';

/**
 * The store's SQL surface over a postgres.js client. Kept apart from the migrator (which reads
 * drizzle/ from disk) so the Workers bundle can use it without pulling in node:fs.
 */
export function postgresRunner(sql: postgres.Sql | postgres.TransactionSql): SqlRunner {
  return {
    async query<R extends object>(text: string, params: readonly unknown[] = []) {
      // Named prepared statements: parsed once per connection, then only bound and executed.
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      return rows as unknown as R[];
    },
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      if (!('begin' in sql)) throw new Error('nested transactions are not supported');
      return (await sql.begin((tx) => fn(postgresRunner(tx)))) as T;
    },
  };
}
