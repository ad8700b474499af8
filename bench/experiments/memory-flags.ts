/**
 * Diagnosis of the memory figure: leadgate's peak RSS during the `memory` part's 64-connection
 * load (server PostgreSQL), under different V8 heap settings given through NODE_OPTIONS (what a
 * `npm start` script or a container could set), each on a fresh database and a fresh process.
 *   npx tsx bench/experiments/memory-flags.ts ["" "--max-semi-space-size=4" ...]
 */
import { runExperiment } from '../harness/cleanup.js';
import { NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import { rssUnderLoad } from '../scenarios/memory.js';

const DEFAULT_FLAGS = ['', '--max-semi-space-size=4', '--max-semi-space-size=2', '--max-old-space-size=96', '--max-semi-space-size=4 --max-old-space-size=96'];

async function main() {
  const flagSets = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_FLAGS;
  const pg = await startThrowawayPostgres();
  const load = new LoadGenerator();
  const mb = (mib: number) => (mib * 1.048576).toFixed(0);
  for (const [i, flags] of flagSets.entries()) {
    const url = await pg.freshDatabase(`memory_${i}`);
    const leadgate = await startLeadgate(`memory-${i}`, { databaseUrl: url, rulesDir: await writeBasicRules(`rules-memory-${i}`), env: { NODE_OPTIONS: flags } });
    try {
      const r = await rssUnderLoad(load, leadgate, `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, 'single');
      console.log(
        `${(flags || '(none)').padEnd(48)} idle ${mb(r.idleMiB)} MB, peak ${mb(r.peakMiB)} MB, mean ${mb(r.meanMiB)} MB; ${r.run.rps.toFixed(0)} inserts/s, p99 ${r.run.latencyMs.p99.toFixed(1)} ms`,
      );
    } finally {
      await leadgate.stop();
    }
  }
  await load.close();
}

runExperiment(main);
