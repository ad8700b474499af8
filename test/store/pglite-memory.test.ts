import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteBackend, PGLITE_SETTINGS, pgliteStartParams } from '../../src/store/backends/pglite.js';
import { pgliteTemplate, pgliteVersion, templateFileName, templateFolder } from '../../src/store/backends/pglite-template.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';

/*
 * The embedded store's memory settings and its data-directory template. (What they save is measured
 * by `npm run bench -- pglite-memory`, not here.)
 */

let temp: string;
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'leadgate-pglite-memory-'));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

const show = async (runner: SqlRunner, name: string) => Object.values((await runner.query<Record<string, string>>(`show ${name}`))[0]!)[0];

describe('the embedded store (PGlite)', () => {
  it('has a data-directory template for the installed PGlite version', () => {
    // if this fails after a PGlite upgrade: npx tsx src/store/backends/pglite-template.ts
    expect(pgliteTemplate(), `${templateFileName(pgliteVersion())} in ${templateFolder()}`).toBeDefined();
  });

  it('starts with the chosen memory settings, on a new data dir and on the one it left', async () => {
    const dir = join(temp, 'data');
    const first = await openPgliteBackend(dir);
    try {
      expect(await show(first.runner, 'shared_buffers')).toBe(PGLITE_SETTINGS.shared_buffers);
      expect(await show(first.runner, 'maintenance_work_mem')).toBe(PGLITE_SETTINGS.maintenance_work_mem);
      expect(await show(first.runner, 'wal_buffers')).toBe('256kB');
      await first.runner.query(`insert into dnc (e164, campaign_id, reason, source) values ('+61418000009', 0, 'test', 'test')`);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);

    const second = await openPgliteBackend(dir);
    try {
      expect(await show(second.runner, 'shared_buffers')).toBe(PGLITE_SETTINGS.shared_buffers);
      expect(await second.runner.query(`select reason from dnc where e164 = '+61418000009'`)).toEqual([{ reason: 'test' }]);
    } finally {
      await second.close();
    }
  });

  it('unpacks the template again over a first start cut short (no PG_VERSION yet)', async () => {
    const dir = join(temp, 'cut-short');
    await mkdir(join(dir, 'global'), { recursive: true });
    await writeFile(join(dir, 'global', 'pg_control'), 'half-written');
    const backend = await openPgliteBackend(dir);
    try {
      expect(await show(backend.runner, 'server_version')).toMatch(/^\d+\.\d+/);
      expect(await backend.runner.query(`select count(*)::int as n from leads`)).toEqual([{ n: 0 }]);
    } finally {
      await backend.close();
    }
    expect((await readFile(join(dir, 'PG_VERSION'), 'utf8')).trim()).toMatch(/^\d+$/);
  });

  it('passes the settings to PostgreSQL after PGlite’s own start-up options', () => {
    const params = pgliteStartParams({ work_mem: '2MB' });
    expect(params[0]).toBe('--single');
    expect(params.join(' ')).toContain(`-c shared_buffers=${PGLITE_SETTINGS.shared_buffers} -c maintenance_work_mem=${PGLITE_SETTINGS.maintenance_work_mem} -c work_mem=2MB`);
  });

  it('gives, from the template, the database PGlite’s own initdb makes', { timeout: 120_000 }, async () => {
    const describeDb = async (runner: SqlRunner) => ({
      version: await show(runner, 'server_version'),
      databases: await runner.query(
        `select datname, pg_encoding_to_char(encoding) as encoding, datcollate, datctype, datlocprovider, datistemplate, datallowconn from pg_database order by datname`,
      ),
      // the settings initdb wrote into postgresql.conf (the -c options above override some at start)
      config: await runner.query(`select name, setting from pg_file_settings where error is null order by name`),
      catalog: await runner.query(`select count(*)::int as relations from pg_class`),
    });
    const fromTemplate = await openPgliteBackend(join(temp, 'template'));
    const fromInitdb = await openPgliteBackend(join(temp, 'initdb'), { create: 'initdb' });
    try {
      const [a, b] = [await describeDb(fromTemplate.runner), await describeDb(fromInitdb.runner)];
      expect(a).toEqual(b);
      expect(a.databases).toHaveLength(3);
    } finally {
      await fromTemplate.close();
      await fromInitdb.close();
    }
  });
});
