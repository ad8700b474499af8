import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteBackend, PGLITE_SETTINGS, pgliteStartParams } from '../../src/store/backends/pglite.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';

/*
 * The embedded store's memory settings. (What they save is measured
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

  it('passes the settings to PostgreSQL after PGlite’s own start-up options', () => {
    const params = pgliteStartParams({ work_mem: '2MB' });
    expect(params[0]).toBe('--single');
    expect(params.join(' ')).toContain(`-c shared_buffers=${PGLITE_SETTINGS.shared_buffers} -c maintenance_work_mem=${PGLITE_SETTINGS.maintenance_work_mem} -c work_mem=2MB`);
  });
});
