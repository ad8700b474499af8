import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { migrationsFolder } from '../migrations-folder.js';
import type { SqlRunner, StoreBackend } from '../sql-runner.js';
import { preparedQuery, preparedQueryInTransaction } from './pglite-prepared.js';
import { pgliteTemplate, pgliteVersion, templateTar, unpackTemplate } from './pglite-template.js';

/** The store's SQL surface over PGlite: every statement a named prepared statement (./pglite-prepared.ts). */
export function pgliteRunner(pg: PGlite): SqlRunner {
  return {
    query: <R extends object>(text: string, params: readonly unknown[] = []) => preparedQuery<R>(pg, text, params),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>) => pg.transaction((tx) => fn(transactionRunner(pg, tx))),
  };
}

function transactionRunner(pg: PGlite, tx: Transaction): SqlRunner {
  return {
    query<R extends object>(text: string, params: readonly unknown[] = []) {
      if (tx.closed) return Promise.reject(new Error('Transaction is closed'));
      return preparedQueryInTransaction<R>(pg, text, params);
    },
    transaction: <T>(fn: (inner: SqlRunner) => Promise<T>) => pg.transaction((inner) => fn(transactionRunner(pg, inner))),
  };
}

/**
 * PostgreSQL settings for the embedded store, passed as `-c` options at every start (so they hold
 * for data directories made before they were chosen, too).
 *
 * The whole database runs inside one WASM linear memory, which can grow but never shrink: every
 * byte PostgreSQL ever touches stays in the process's RSS. PostgreSQL's defaults are sized for a
 * server that owns the machine's memory, so:
 *  - shared_buffers: the buffer pool is allocated and zeroed at start, so its size is resident from
 *    the first second; 128 MB (what initdb picks) was the largest single part of the process. The
 *    files are read through the operating system's page cache anyway, and the insert path's hot
 *    pages (index roots and inner pages, the tables' last pages) are few: 8 MB (1,024 pages) cost
 *    no measurable CPU per lead against 128 MB (bench/experiments/pglite-wasm-tiers.ts).
 *    wal_buffers follows it (1/32: 256 kB).
 *  - maintenance_work_mem: 64 MB by default, used by CREATE INDEX and VACUUM; once a maintenance
 *    command has used it, the WASM memory keeps that size for good. 16 MB bounds it.
 * Durability is untouched: these are cache and working-memory sizes only (see BENCHMARKS.md).
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '8MB',
  maintenance_work_mem: '16MB',
};

/**
 * V8 compiles WebAssembly with Liftoff, its baseline compiler, then re-compiles each function that
 * gets hot with TurboFan on background threads. For PostgreSQL's 9 MB of WASM those re-compilations
 * run through the first minutes of use (migrations, the first requests), and the memory they free
 * stays in the compiler threads' malloc arenas (glibc does not hand it back): about 100 MB of RSS
 * that never goes away. So PGlite's module is compiled with --liftoff-only: no second tier. Which
 * tiers a module uses is fixed when it is compiled, so the flag is set only around PGlite's start
 * (which compiles the module) and cleared again; WebAssembly compiled later (undici's HTTP parser,
 * for CRM calls) is not affected.
 * What it costs: the SQL runs as baseline code. In the store alone (no HTTP) a single-lead insert
 * took 1.24× the CPU and a 1,000-lead batch 1.6× (bench/experiments/pglite-wasm-tiers.ts); through
 * HTTP, where JavaScript does much of the work, less. Start-up gets faster (no TurboFan compiling
 * the migrations' code paths). See BENCHMARKS.md.
 */
async function withBaselineWasm<T>(fn: () => Promise<T>): Promise<T> {
  // an operator who starts node with --liftoff-only keeps it
  const alreadyOn = process.execArgv.includes('--liftoff-only');
  setFlagsFromString('--liftoff-only');
  try {
    return await fn();
  } finally {
    if (!alreadyOn) setFlagsFromString('--no-liftoff-only');
  }
}

export interface PgliteStoreOptions {
  /** settings over PGLITE_SETTINGS (diagnosis: bench/experiments/pglite-settings.ts) */
  settings?: Record<string, string>;
  /**
   * How a new database is made: 'template' (default) unpacks the data directory PGlite's initdb
   * made for this PGlite version (./pglite-template.ts), 'initdb' runs PGlite's own initdb in
   * this process (peaks near 900 MB; the fallback when there is no template for the installed PGlite).
   */
  create?: 'template' | 'initdb';
  /** 'baseline' (default): PGlite's WASM is compiled by Liftoff only (see withBaselineWasm); 'optimizing': V8's default tiering */
  wasm?: 'baseline' | 'optimizing';
}

/** PGlite's own start-up options with PGLITE_SETTINGS (and any overrides) appended as -c options. */
export function pgliteStartParams(settings: Record<string, string> = {}): string[] {
  const merged = { ...PGLITE_SETTINGS, ...settings };
  return [...PGlite.defaultStartParams, ...Object.entries(merged).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

let warnedNoTemplate = false;

/** The template for a new database, or undefined (PGlite's initdb), warning once when there is none. */
function templateFor(options: PgliteStoreOptions): string | undefined {
  if (options.create === 'initdb') return undefined;
  let version = 'of unknown version';
  let template: string | undefined;
  try {
    version = pgliteVersion();
    template = pgliteTemplate();
  } catch {
    // no template: PGlite's initdb makes the database, as it always did
  }
  if (!template && !warnedNoTemplate) {
    warnedNoTemplate = true;
    process.emitWarning(
      `no data-directory template for @electric-sql/pglite ${version}: a new database is made by PGlite's initdb, which peaks near 900 MB RSS (npx tsx src/store/backends/pglite-template.ts makes one)`,
      { code: 'LEADGATE_PGLITE_TEMPLATE' },
    );
  }
  return template;
}

/**
 * The embedded store: PostgreSQL compiled to WASM, one connection, data in `dataDir`
 * (undefined = in memory, for tests). A new database comes from the template (see
 * PgliteStoreOptions.create); migrations run before the store is handed out.
 */
export async function openPgliteBackend(dataDir?: string, options: PgliteStoreOptions = {}): Promise<StoreBackend & { pg: PGlite }> {
  const pgOptions: PGliteOptions = { startParams: pgliteStartParams(options.settings) };
  // a plain path (or file://) is a directory on disk; no dataDir (or memory://) is in memory
  const onDisk = dataDir?.startsWith('file://') ? dataDir.slice('file://'.length) : dataDir?.includes('://') ? undefined : dataDir;
  const inMemory = !dataDir || dataDir.startsWith('memory://');
  if (onDisk && !existsSync(join(onDisk, 'PG_VERSION'))) {
    const template = templateFor(options);
    if (template) await unpackTemplate(template, onDisk);
  } else if (inMemory) {
    const template = templateFor(options);
    if (template) pgOptions.loadDataDir = new Blob([templateTar(template)]);
  }
  const create = () => (dataDir ? PGlite.create(dataDir, pgOptions) : PGlite.create(pgOptions));
  const pg = options.wasm === 'optimizing' ? await create() : await withBaselineWasm(create);
  await migrate(drizzle(pg), { migrationsFolder: migrationsFolder() });
  return {
    kind: 'pglite',
    pg,
    runner: pgliteRunner(pg),
    close: () => pg.close(),
  };
}
