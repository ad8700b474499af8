/**
 * Diagnosis: the CPU one 1,000-lead batch costs in the store, of this working tree and of BEFORE
 * (another source tree, e.g. `git archive` of an older commit with node_modules beside it): each
 * tree writes through its own createLeadStore().insertLeads on ONE connection to a database of its
 * own, batch after batch, alternating between the trees. The PostgreSQL backend's CPU comes from
 * /proc/<pid>/schedstat and this process's from process.cpuUsage(), per batch, so neighbours on a
 * shared machine change the figures much less than they change throughput. Medians per batch.
 *   npx tsx bench/experiments/batch-store-cpu.ts BEFORE [batches=30] [seed-batches=20]
 */
import { resolve } from 'node:path';
import type * as backendsModule from '../../src/store/backends/postgres.js';
import type * as storesModule from '../../src/store/lead-store.js';
import { runExperiment } from '../harness/cleanup.js';
import { median } from '../harness/context.js';
import { preciseCpuSeconds } from '../harness/cpu.js';
import { allocatePhoneBlocks } from '../harness/leads.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { newLeads } from '../scenarios/batch-http.js';

type Stores = typeof storesModule;
type Backends = typeof backendsModule;

async function main() {
  const [before, batchesText = '30', seedText = '20'] = process.argv.slice(2);
  if (!before) throw new Error('usage: batch-store-cpu.ts BEFORE-TREE [batches] [seed-batches]');
  const pg = await startThrowawayPostgres();
  const trees = [];
  for (const [name, root] of [
    ['before', resolve(before)],
    ['after', resolve(import.meta.dirname, '../..')],
  ] as const) {
    const stores = (await import(`${root}/src/store/lead-store.ts`)) as Stores;
    const backends = (await import(`${root}/src/store/backends/postgres.ts`)) as Backends;
    const backend = await backends.openPostgresBackend(await pg.freshDatabase(`store_cpu_${name}`), { poolSize: 1 });
    const [row] = await backend.runner.query<{ pid: number }>("select pg_backend_pid() as pid");
    const pid = row!.pid;
    trees.push({ name, backend, store: stores.createLeadStore(backend.runner, { backfill: false }), pid, blocks: allocatePhoneBlocks(), next: 0, pgMs: [] as number[], nodeMs: [] as number[] });
  }
  const batches = Number(batchesText);
  const seed = Number(seedText);
  for (let b = 0; b < seed + batches; b += 1) {
    for (const t of b % 2 === 0 ? trees : [...trees].reverse()) {
      const leads = newLeads(t.blocks, t.next);
      t.next += leads.length;
      const pg0 = preciseCpuSeconds(t.pid);
      const node0 = process.cpuUsage();
      const outcomes = await t.store.insertLeads(leads);
      const node = process.cpuUsage(node0);
      const pgMs = (preciseCpuSeconds(t.pid) - pg0) * 1000;
      if (outcomes.some((o) => o.kind !== 'inserted')) throw new Error(`${t.name}: a lead was not inserted`);
      if (b < seed) continue; // warm-up: prepared statements, a table of some size
      t.pgMs.push(pgMs);
      t.nodeMs.push((node.user + node.system) / 1000);
    }
  }
  console.log(`\none 1,000-lead batch at a time, one connection, medians of ${batches} batches (after ${seed} each):`);
  for (const t of trees) {
    console.log(`  ${t.name.padEnd(7)} PostgreSQL backend ${median(t.pgMs).toFixed(1)} ms, this process (store code) ${median(t.nodeMs).toFixed(1)} ms per batch`);
    await t.backend.close();
  }
}

runExperiment(main);
