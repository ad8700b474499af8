import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_URL } from '../support/test-backend.js';

/*
 * postgres.js 3.4.9 queues small writes behind setImmediate. When a transaction's connection dies,
 * `sql.begin` still sends ROLLBACK on it; the queued write then dereferenced the closed (null)
 * socket and threw from the timer, an uncaught exception that takes the process down
 * (porsager/postgres#1154, #1208; seen here when PostgreSQL restarted under load).
 * patches/postgres+3.4.9.patch settles such a write as CONNECTION_CLOSED instead.
 */
describe.runIf(SERVER_URL)('the PostgreSQL driver when a transaction loses its backend', () => {
  let sql: postgres.Sql;
  let killer: postgres.Sql;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeAll(() => {
    sql = postgres(SERVER_URL!, { max: 2, onnotice: () => {} });
    killer = postgres(SERVER_URL!, { max: 1, onnotice: () => {} });
    process.on('uncaughtException', onUncaught);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await sql.end({ timeout: 5 });
    await killer.end({ timeout: 5 });
  });

  it('rejects the transaction catchably, survives the ROLLBACK write, and reconnects', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const outcome = await sql
        .begin(async (tx) => {
          const [row] = await tx<Array<{ pid: number }>>`select pg_backend_pid() as pid`;
          await killer`select pg_terminate_backend(${row!.pid})`;
          await new Promise((resolve) => setTimeout(resolve, 20));
          await tx`select 1 as one`;
        })
        .then(
          () => 'committed',
          (error: { code?: string }) => error.code ?? 'error',
        );
      expect(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01']).toContain(outcome);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(uncaught).toEqual([]);
      expect(await sql`select ${attempt}::int as n`).toEqual([{ n: attempt }]);
    }
  });
});
