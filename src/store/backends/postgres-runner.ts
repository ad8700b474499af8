import type postgres from 'postgres';
import type { SqlRunner, Statement } from '../sql-runner.js';

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
    ...('reserve' in sql ? { pipeline: (statements: readonly Statement[]) => pipelined(sql, statements) } : {}),
  };
}

/**
 * begin, the statements and commit written to one reserved connection at once. A statement that
 * fails aborts the transaction: the ones after it fail as aborted, and the commit then rolls it
 * back (PostgreSQL answers a commit of an aborted transaction with a rollback), so the connection
 * goes back to the pool outside any transaction, whatever failed.
 */
async function pipelined(sql: postgres.Sql, statements: readonly Statement[]): Promise<unknown[][]> {
  const connection = await sql.reserve();
  try {
    const sent = [
      connection.unsafe('begin'),
      ...statements.map((s) => connection.unsafe(s.text, (s.params ?? []) as postgres.ParameterOrJSON<never>[], { prepare: true })),
      connection.unsafe('commit'),
    ];
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.slice(1, -1).map((r) => (r as PromiseFulfilledResult<unknown[]>).value);
  } finally {
    connection.release();
  }
}
