import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pgliteRunner } from '../../src/store/backends/pglite.js';
import { databaseErrorInfo, type SqlRunner } from '../../src/store/sql-runner.js';

/*
 * The embedded store's statements run as named prepared statements (src/store/backends/pglite-prepared.ts)
 * rather than through PGlite's query(): they must answer exactly as query() does. A PGlite in
 * memory (from the test run's migrated snapshot), whatever the test run's store is.
 */

let pg: PGlite;
let runner: SqlRunner;
beforeAll(async () => {
  pg = await PGlite.create({ loadDataDir: new Blob([await readFile(inject('pgliteSnapshot'))]) });
  runner = pgliteRunner(pg);
  await pg.exec('create table things (id int primary key, tags text[], doc jsonb, at timestamptz, note text)');
});
afterAll(async () => {
  if (!pg.closed) await pg.close();
});

const prepared = async () => (await pg.query<{ name: string }>('select name from pg_prepared_statements order by name')).rows.map((r) => r.name);

describe('PGlite statements as named prepared statements', () => {
  it('binds and parses values as PGlite query() does: arrays, jsonb, timestamps, nulls, bigints', async () => {
    const insert = 'insert into things (id, tags, doc, at, note) values ($1, $2::text[], $3::text::jsonb, $4::timestamptz, $5) returning *';
    const params = [1, ['a', 'b,c', '"q"'], JSON.stringify({ n: 1, s: 'x' }), new Date('2026-01-02T03:04:05Z').toISOString(), null];
    const ours = await runner.query(insert, params);
    const select = 'select *, id::bigint as big, $1::int + 1 as next from things where id = $1';
    expect(await runner.query(select, [1])).toEqual((await pg.query(select, [1])).rows);
    expect(ours).toEqual((await pg.query(select.replace(', id::bigint as big, $1::int + 1 as next', ''), [1])).rows);
    // a second call is only bound and executed, and answers the same
    expect(await runner.query(select, [1])).toEqual((await pg.query(select, [1])).rows);
    expect(await runner.query('update things set note = $2 where id = $1', [1, 'n'])).toEqual([]);
  });

  it('reports database errors with the fields the store reads, and keeps working after them', async () => {
    const insert = 'insert into things (id) values ($1)';
    await runner.query(insert, [2]);
    const error = await runner.query(insert, [2]).catch((e: unknown) => e);
    expect(databaseErrorInfo(error)).toMatchObject({ code: '23505', constraint: 'things_pkey' });
    expect(error).toMatchObject({ query: insert, params: [2] });
    await expect(runner.query('selec 1')).rejects.toMatchObject({ code: '42601' });
    expect(await runner.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('runs in transactions: committed together, rolled back together', async () => {
    const insert = 'insert into things (id) values ($1)';
    await runner.transaction(async (tx) => {
      await tx.query(insert, [10]);
      await tx.query(insert, [11]);
    });
    await expect(
      runner.transaction(async (tx) => {
        await tx.query(insert, [12]);
        await tx.query(insert, [10]);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const ids = await runner.query<{ id: number }>('select id from things where id >= 10 order by id');
    expect(ids.map((r) => r.id)).toEqual([10, 11]);
  });

  it('prepares each text once, closes the longest unused beyond its bound, and prepares again after DEALLOCATE', async () => {
    const text = 'select $1::int as n';
    await runner.query(text, [1]);
    const before = await prepared();
    await runner.query(text, [2]);
    expect(await prepared()).toEqual(before);

    for (let i = 0; i < 200; i += 1) expect(await runner.query<{ n: number }>(`select $1::int + ${i} as n`, [1])).toEqual([{ n: 1 + i }]);
    expect((await prepared()).length).toBeLessThanOrEqual(129);

    await pg.exec('deallocate all');
    expect(await runner.query<{ n: number }>(text, [3])).toEqual([{ n: 3 }]);
  });

  it('answers "PGlite is closed" once the database is closed (the store reads it as unavailable)', async () => {
    await pg.close();
    await expect(runner.query('select 1')).rejects.toThrow(/PGlite is closed/);
  });
});
