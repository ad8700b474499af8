import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import { pgliteRunner } from '../../src/store/backends/pglite.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import type { StoreBackend } from '../../src/store/sql-runner.js';
import { databaseUrl, TEMPLATE_DATABASE } from './database-url.js';

export const SERVER_URL = process.env.TEST_DATABASE_URL;
export const STORE_KIND: 'postgres' | 'pglite' = SERVER_URL ? 'postgres' : 'pglite';

export interface TestBackend extends StoreBackend {
  /** a URL other processes or pools can use for the same database (server only) */
  url?: string;
}

/**
 * A fresh, migrated database for one test file: a clone of the template database on the server
 * when TEST_DATABASE_URL is set, else an in-memory PGlite loaded from the migrated snapshot.
 */
export async function openTestBackend(): Promise<TestBackend> {
  if (!SERVER_URL) {
    const snapshot = await readFile(inject('pgliteSnapshot'));
    const pg = await PGlite.create({ loadDataDir: new Blob([snapshot]) });
    return { kind: 'pglite', runner: pgliteRunner(pg), close: () => pg.close() };
  }
  const name = `leadgate_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(SERVER_URL, name);
  const backend = await openPostgresBackend(url, { poolSize: 20 });
  return {
    ...backend,
    url,
    async close() {
      await backend.close();
      const dropper = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
