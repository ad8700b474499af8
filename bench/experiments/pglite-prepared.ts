/**
 * Diagnosis: what the embedded store spends per single lead, without HTTP, by how statements reach
 * PGlite and how single leads are grouped. One PGlite on a fresh data dir (the product's settings)
 * and stores over it taking turns in slices of single-lead inserts from 16 concurrent callers:
 *  - unnamed: every statement through PGlite's query(), which sends it as the unnamed statement
 *    (parsed, analysed and planned on every call), as the store did before;
 *  - prepared: the store's runner (named prepared statements, src/store/backends/pglite-prepared.ts);
 * each with group commit's default slots and with GROUP_SLOTS (e.g. 1: one group written at a time).
 * CPU per lead from process.cpuUsage() (the database runs in this thread); medians of the slices.
 *
 *   npx tsx bench/experiments/pglite-prepared.ts [rounds=4] [GROUP_SLOTS=1]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteBackend } from '../../src/store/backends/pglite.js';
import { DEFAULT_GROUP_COMMIT } from '../../src/store/group-commit.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { median } from '../harness/context.js';
import { storeLead } from '../harness/leads.js';
import { onCleanup, runExperiment } from '../harness/cleanup.js';

const CONCURRENCY = 16;
const SLICE_MS = 3_000;

const lead = storeLead;

async function main() {
  const rounds = Number(process.argv[2] ?? 4);
  const slots = Number(process.argv[3] ?? 1);
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-pglite-prepared-'));
  onCleanup('pglite-prepared temp dir', () => rm(dir, { recursive: true, force: true }));
  const backend = await openPgliteBackend(dir);
  onCleanup('pglite-prepared store', () => backend.close());
  const { pg } = backend;
  const unnamed: SqlRunner = {
    query: async <R extends object>(text: string, params: readonly unknown[] = []) => (await pg.query<R>(text, [...params])).rows,
    transaction: (fn) => pg.transaction((tx) => fn({ query: async <R extends object>(text: string, params: readonly unknown[] = []) => (await tx.query<R>(text, [...params])).rows, transaction: () => Promise.reject(new Error('nested')) })),
  };
  const grouped = { ...DEFAULT_GROUP_COMMIT, concurrentGroups: slots };
  const variants = [
    { name: `unnamed, ${DEFAULT_GROUP_COMMIT.concurrentGroups} group slots`, store: createLeadStore(unnamed, { backfill: false }) },
    { name: `prepared, ${DEFAULT_GROUP_COMMIT.concurrentGroups} group slots`, store: createLeadStore(backend.runner, { backfill: false }) },
    { name: `unnamed, ${slots} group slot(s)`, store: createLeadStore(unnamed, { backfill: false, groupCommit: grouped }) },
    { name: `prepared, ${slots} group slot(s)`, store: createLeadStore(backend.runner, { backfill: false, groupCommit: grouped }) },
  ].map((v) => ({ ...v, cpu: [] as number[], rate: [] as number[] }));
  let next = 0;
  // a first round as warm-up (statement caches, tier-up of the JavaScript), not counted
  for (let round = 0; round <= rounds; round += 1) {
    for (const v of variants) {
      const until = performance.now() + SLICE_MS;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let leads = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < until) {
            const [outcome] = await v.store.insertLeads([lead((next += 1))]);
            if (outcome?.kind !== 'inserted') throw new Error(`unexpected ${JSON.stringify(outcome)}`);
            leads += 1;
          }
        }),
      );
      const cpu = process.cpuUsage(cpu0);
      if (round > 0) {
        v.cpu.push((cpu.user + cpu.system) / 1000 / leads);
        v.rate.push(leads / ((performance.now() - t0) / 1000));
      }
    }
  }
  console.log(`\nstore without HTTP, PGlite on disk, ${CONCURRENCY} callers; medians of ${rounds} rounds of ${SLICE_MS / 1000} s slices`);
  for (const v of variants) console.log(`  ${v.name.padEnd(32)} ${median(v.cpu).toFixed(3)} ms CPU/lead  ${median(v.rate).toFixed(0)} leads/s`);
}

runExperiment(main);
