import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { databaseErrorInfo, runTogether, type SqlRunner, type StoreBackend } from '../../src/store/sql-runner.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * runTogether: statements in one transaction, sent together on PostgreSQL (begin, the statements
 * and commit pipelined on one reserved connection), one by one in a transaction on PGlite. On the
 * server the pipeline runs on a pool of ONE connection, so what a failed pipeline leaves on its
 * connection is what the next statement meets.
 */

let backend: TestBackend;
let single: StoreBackend | undefined;
let runner: SqlRunner;
beforeAll(async () => {
  backend = await openTestBackend();
  single = SERVER_URL ? await openPostgresBackend(backend.url!, { poolSize: 1 }) : undefined;
  runner = (single ?? backend).runner;
  await runner.query('create table pipeline_probe (v int primary key)');
});
afterAll(async () => {
  await single?.close();
  await backend.close();
});

const values = async () => (await backend.runner.query<{ v: number }>('select v from pipeline_probe order by v')).map((r) => r.v);

describe('runTogether', () => {
  it('answers each statement in order; a statement sees what the ones before it wrote', async () => {
    const answers = await runTogether(runner, [
      { text: 'insert into pipeline_probe (v) values ($1::int)', params: [1] },
      { text: 'select count(*)::int as n from pipeline_probe where v = $1::int', params: [1] },
      { text: 'select $1::text as echo', params: ['two'] },
    ]);
    expect(answers).toEqual([[], [{ n: 1 }], [{ echo: 'two' }]]);
    expect(await values()).toEqual([1]);
  });

  it('is one transaction: a failing statement keeps nothing of the others and answers its own error', async () => {
    const failing = runTogether(runner, [
      { text: 'insert into pipeline_probe (v) values ($1::int)', params: [2] },
      { text: 'insert into pipeline_probe (v) values ($1::int)', params: [1] },
      { text: 'insert into pipeline_probe (v) values ($1::int)', params: [3] },
    ]);
    await expect(failing).rejects.toSatisfy((error) => databaseErrorInfo(error).code === '23505');
    expect(await values()).toEqual([1]);
  });

  it('leaves its connection outside any transaction after a failure: the next statement commits on its own', async () => {
    await expect(runTogether(runner, [{ text: 'select 1 / $1::int', params: [0] }])).rejects.toSatisfy((error) => databaseErrorInfo(error).code === '22012');
    await runner.query('insert into pipeline_probe (v) values ($1::int)', [4]);
    // read through the test's own pool: on the server another connection, which sees only what committed
    expect(await values()).toEqual([1, 4]);
  });
});
