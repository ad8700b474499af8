/**
 * EXPLAIN (ANALYZE, BUFFERS) of the duplicate-check path's precheck statement (store/precheck.ts)
 * for one lead, with the custom and the generic plan (prepared statements switch to the generic
 * plan after five executions), on 10,000 and 100,000 seeded leads.
 *   npx tsx bench/experiments/precheck-plan.ts
 */
import postgres from 'postgres';
import { readFileSync } from 'node:fs';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { runExperiment } from '../harness/cleanup.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { REPO } from '../harness/procs.js';
import { seedLeads, settle } from '../harness/seed.js';

const source = readFileSync(`${REPO}/src/store/precheck.ts`, 'utf8');
const found = /const PRECHECK = `([\s\S]*?)`;/.exec(source)?.[1];
if (!found) throw new Error('src/store/precheck.ts: PRECHECK not found');
const PRECHECK: string = found;

async function main() {
  const pg = await startThrowawayPostgres();
  const url = await pg.freshDatabase('precheck');
  await migratePostgres(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const param = JSON.stringify([{ ord: 0, phones: ['+61400000001'], campaign_id: 10, external_id: 'x1', scope: 'c10' }]);
  for (const n of [10_000, 100_000]) {
    await seedLeads(url, n === 10_000 ? 0 : 10_000, n);
    await settle(url);
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      await sql.unsafe(`set plan_cache_mode = ${mode}`);
      await sql.unsafe('deallocate all');
      await sql.unsafe(`prepare pc(text) as ${PRECHECK}`);
      const plan = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) execute pc('${param}')`);
      console.log(`\n== ${n.toLocaleString('en-US')} leads, ${mode}\n${plan.map((p) => p['QUERY PLAN']).join('\n')}`);
    }
  }
  await sql.end();
}
runExperiment(main);
