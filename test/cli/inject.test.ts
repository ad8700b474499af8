import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { serve, type ServerType } from '@hono/node-server';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_KEY, BASIC_RULES, createTestApp, type TestApp } from '../support/test-app.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';
import { runCli as runLeadgate } from '../support/cli-process.js';
import { COLUMNS, expectations, writeFixtureCsv } from './inject-fixture.js';

/** 100,000 rows on a PostgreSQL server; 20,000 on PGlite, which is slower and runs in the CLI's own process. */
const ROWS = SERVER_URL ? 100_000 : 20_000;
/** Peak RSS of the CLI process: Node, tsx and leadgate take about 200 MB; PGlite about 300 MB more. */
const RSS_BOUND_MB = SERVER_URL ? 400 : 600;
const TARGET = ['--template', '1', '--campaign', '10', '--allocation', '100'];

interface Summary {
  rows: number;
  accepted: number;
  alreadyImported: number;
  alreadyApplied: number;
  rejected: number;
  byCode: Record<string, number>;
  rejectedFile: string | null;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  stopped: string | null;
}

/** Runs `leadgate inject` as its own process, with the test's rules. */
const runCli = (args: string[], env: Record<string, string>) => runLeadgate(['inject', ...args], { RULES_DIR: BASIC_RULES, ...env });

function summaryOf(run: { stdout: string; stderr: string }): Summary {
  try {
    return JSON.parse(run.stdout) as Summary;
  } catch {
    throw new Error(`no JSON summary; stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** The rejected file as firstName → code, checking its header on the way. */
async function rejectedRows(path: string): Promise<Map<string, number>> {
  const records = parse(await readFile(path, 'utf8'), { bom: true }) as string[][];
  expect(records[0]).toEqual([...COLUMNS, 'code', 'message']);
  const nameAt = COLUMNS.indexOf('firstName');
  return new Map(records.slice(1).map((r) => [r[nameAt]!, Number(r[COLUMNS.length])]));
}

/** Row counts of a store the CLI wrote to (opened after the CLI has exited, for PGlite). */
interface StoreProbe {
  env: Record<string, string>;
  counts(): Promise<{ leads: number; callRecords: number }>;
  close(): Promise<void>;
}

async function openStoreProbe(dir: string): Promise<StoreProbe> {
  const countSql = `select (select count(*)::int from leads) as leads, (select count(*)::int from call_records) as "callRecords"`;
  if (SERVER_URL) {
    const backend = await openTestBackend();
    return {
      env: { DATABASE_URL: backend.url! },
      counts: async () => (await backend.runner.query<{ leads: number; callRecords: number }>(countSql))[0]!,
      close: () => backend.close(),
    };
  }
  // a data directory that already holds the migrated database (as after the server's first start)
  const dataDir = join(dir, 'data');
  const seeded = await PGlite.create(dataDir, { loadDataDir: new Blob([await readFile(inject('pgliteSnapshot'))]) });
  await seeded.close();
  return {
    env: { LEADGATE_DATA_DIR: dataDir },
    async counts() {
      const pg = await PGlite.create(dataDir);
      try {
        return (await pg.query<{ leads: number; callRecords: number }>(countSql)).rows[0]!;
      } finally {
        await pg.close();
      }
    },
    close: async () => {},
  };
}

describe(`leadgate inject in process (${ROWS.toLocaleString('en-US')} rows, ${SERVER_URL ? 'PostgreSQL server' : 'PGlite'})`, () => {
  let dir: string;
  let csv: string;
  let store: StoreProbe;
  let first: Summary;
  let firstRejected: string;
  const expected = expectations(ROWS);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-inject-'));
    csv = join(dir, 'leads.csv');
    await writeFixtureCsv(csv, ROWS);
    store = await openStoreProbe(dir);
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports the file: counts add up, exactly the rejected rows are in the rejected file, memory stays flat', async () => {
    const run = await runCli([csv, ...TARGET, '--json', '--progress-interval', '1'], store.env);
    first = summaryOf(run);
    console.log(`inject ${ROWS} rows (${SERVER_URL ? 'server' : 'PGlite'}), first run: ${first.seconds} s, ${first.rowsPerSecond} rows/s, peak RSS ${first.peakRssMb} MB`);
    expect(run.code).toBe(1); // some rows are rejected
    expect(first).toMatchObject({
      rows: ROWS,
      accepted: expected.accepted,
      alreadyImported: 0,
      alreadyApplied: 0,
      rejected: expected.rejected,
      byCode: expected.byCode,
      stopped: null,
    });
    expect(first.accepted + first.rejected).toBe(ROWS);
    // not a TTY: plain progress lines
    expect(run.stderr).toMatch(/^[\d,]+ rows, [\d,]+ ok, [\d,]+ rejected, [\d,]+ rows\/s/m);

    expect(first.rejectedFile).toBe(`${csv}.rejected.csv`);
    expect(await rejectedRows(first.rejectedFile!)).toEqual(expected.rejectedRows);
    // the cells come back as written, quotes, commas and line breaks included
    const records = parse(await readFile(first.rejectedFile!, 'utf8')) as string[][];
    const name13 = records.find((r) => r[COLUMNS.indexOf('firstName')] === 'Name 13')!;
    expect(name13[COLUMNS.indexOf('note')]).toBe('quote " comma , and\na line break');
    expect(name13.slice(COLUMNS.length)).toEqual(['102', 'NO_PHONE_FIELDS: none of the phone fields (phone, mobile) holds a usable AU number']);

    expect((await store.counts()).leads).toBe(expected.leads);
    expect(first.peakRssMb).toBeLessThan(RSS_BOUND_MB);
  }, 300_000);

  it('a second run of the same file changes nothing: ADD rows already imported, updates skipped, the same rows rejected', async () => {
    expect(first, 'needs the first run').toBeDefined();
    firstRejected = `${csv}.first.rejected.csv`;
    await copyFile(first.rejectedFile!, firstRejected);
    const before = await store.counts();

    const run = await runCli([csv, ...TARGET, '--json'], store.env);
    const second = summaryOf(run);
    console.log(`inject ${ROWS} rows, second run: ${second.seconds} s, ${second.rowsPerSecond} rows/s, peak RSS ${second.peakRssMb} MB`);
    expect(run.code).toBe(1);
    const rejectedCodes = Object.fromEntries(Object.entries(expected.byCode).filter(([code]) => code !== '0'));
    expect(second).toMatchObject({
      rows: ROWS,
      accepted: 0,
      alreadyImported: expected.addsAccepted,
      alreadyApplied: expected.updatesAccepted,
      rejected: expected.rejected,
      byCode: { ...rejectedCodes, '112': expected.addsAccepted },
    });
    expect(await readFile(second.rejectedFile!, 'utf8')).toBe(await readFile(firstRejected, 'utf8'));
    expect(await store.counts()).toEqual(before);
    expect(second.peakRssMb).toBeLessThan(RSS_BOUND_MB);
  }, 300_000);

  it('refuses an unknown target before reading a row (exit 2)', async () => {
    const run = await runCli([csv, '--template', '1', '--campaign', '99', '--allocation', '100'], store.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('117 CAMPAIGN_ID_REQUIRED: fCampaignId 99 names no campaign');
    expect(run.stdout).toBe('');
  }, 120_000);
});

describe('leadgate inject --url against a running server', () => {
  const URL_ROWS = 2_000;
  const expected = expectations(URL_ROWS);
  let dir: string;
  let csv: string;
  let backend: TestBackend;
  let t: TestApp;
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-inject-url-'));
    csv = join(dir, 'leads.csv');
    await writeFixtureCsv(csv, URL_ROWS);
    backend = await openTestBackend();
    t = await createTestApp({ backend, maxBatch: 1000, maxBodyBytes: 10 * 1024 * 1024 });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const leads = async () => (await backend.runner.query<{ n: number }>('select count(*)::int as n from leads'))[0]!.n;

  it('posts the batches and gets the same answers as in process; a second run changes nothing', async () => {
    const run = await runCli([csv, ...TARGET, '--url', base, '--api-key', API_KEY, '--batch-size', '250', '--json'], {});
    const first = summaryOf(run);
    expect(run.code).toBe(1);
    expect(first).toMatchObject({ rows: URL_ROWS, accepted: expected.accepted, rejected: expected.rejected, byCode: expected.byCode, stopped: null });
    expect(await rejectedRows(first.rejectedFile!)).toEqual(expected.rejectedRows);
    expect(await leads()).toBe(expected.leads);

    const again = summaryOf(await runCli([csv, ...TARGET, '--url', base, '--batch-size', '250', '--json'], { LEADGATE_API_KEY: API_KEY }));
    expect(again).toMatchObject({ accepted: 0, alreadyImported: expected.addsAccepted, alreadyApplied: expected.updatesAccepted, rejected: expected.rejected });
    expect(await leads()).toBe(expected.leads);
  }, 180_000);

  it('stops with exit 2 on a wrong key, and on a batch larger than the server takes, and prints a table without --json', async () => {
    const wrongKey = await runCli([csv, ...TARGET, '--url', base, '--api-key', 'nope'], {});
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain('HTTP 401');
    expect(wrongKey.stderr).not.toContain('nope');

    const tooLarge = await runCli([csv, ...TARGET, '--url', base, '--api-key', API_KEY, '--batch-size', '1500'], {});
    expect(tooLarge.code).toBe(2);
    expect(tooLarge.stderr).toContain('use a smaller --batch-size');

    const table = await runCli([csv, ...TARGET, '--url', base, '--api-key', API_KEY], {});
    expect(table.stdout).toMatch(/^ +112 {2}DUPLICATE_EXTERNAL_ID \(already imported\) +[\d,]+$/m);
    expect(table.stdout).toMatch(/^ +105 {2}DUPLICATE +20$/m);
    expect(table.stdout).toMatch(/2,000 rows in [\d.]+ s \([\d,]+ rows\/s\): 0 accepted, 1,840 already imported, 160 rejected/);
    expect(table.stdout).toContain(`rejected rows: ${csv}.rejected.csv`);
  }, 180_000);
});
