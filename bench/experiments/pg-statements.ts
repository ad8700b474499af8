/**
 * Diagnosis: what PostgreSQL spends its time on during a benchmark load, from pg_stat_statements.
 * Starts a throwaway server with the extension preloaded, leadgate on it, and a closed-loop
 * insertLeadFast load at 16 connections (the duplicate check against the 0 ms CRM stub with
 * `crm`, off with `plain`), then prints the statements by total execution and planning time.
 *   npx tsx bench/experiments/pg-statements.ts [crm|plain] [seconds=6]
 */
import postgres from 'postgres';
import { runExperiment } from '../harness/cleanup.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { printWaitEvents, sampleWaitEvents } from '../harness/wait-sampler.js';
import { startLeadgate, startStub, writeBasicRules, writeCrmRules } from '../harness/servers.js';

async function main() {
  const [mode = 'crm', secondsText = '6'] = process.argv.slice(2);
  process.env.PG_EXTRA_CONF = "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_planning = on";
  const pg = await startThrowawayPostgres();
  const url = await pg.freshDatabase('statements');
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create extension if not exists pg_stat_statements');
  const crm = mode === 'crm' ? await startStub('crm') : undefined;
  const rulesDir = crm ? await writeCrmRules('rules-statements', crm.base) : await writeBasicRules('rules-statements');
  const leadgate = await startLeadgate('statements', { databaseUrl: url, rulesDir });
  const load = new LoadGenerator();
  const job = { url: `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, shape: 'single' as const, leadsPerRequest: 1, connections: 16, timeoutSec: 30, externalIdPrefix: 'q', check: 'single' as const };
  await load.run({ ...job, durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
  if (process.env.ANALYZE_FIRST) await admin.unsafe('analyze');
  await admin.unsafe('select pg_stat_statements_reset()');
  const waits = sampleWaitEvents(admin, 40);
  const run = await load.run({ ...job, durationSec: Number(secondsText), phoneBlocks: allocatePhoneBlocks() });
  const samples = await waits.stop();
  printWaitEvents(samples, 10);
  const rows = await admin.unsafe<Array<{ calls: string; exec_ms: number; plan_ms: number; plans: string; mean_ms: number; query: string }>>(
    `select calls, total_exec_time as exec_ms, total_plan_time as plan_ms, plans, mean_exec_time as mean_ms, regexp_replace(query, '\\s+', ' ', 'g') as query
     from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
     order by total_exec_time + total_plan_time desc limit 12`,
  );
  console.log(`${mode}: ${run.ok2xx} answers (${run.rps.toFixed(0)}/s), per answer:`);
  for (const r of rows) {
    const per = (ms: number) => ((ms * 1000) / run.ok2xx).toFixed(0).padStart(5);
    console.log(`exec ${per(r.exec_ms)} µs  plan ${per(r.plan_ms)} µs  calls ${String(r.calls).padStart(7)} plans ${String(r.plans).padStart(7)}  ${r.query.slice(0, 110)}`);
  }
  if (process.env.EXPLAIN_PRECHECK) {
    const source = (await import('node:fs')).readFileSync(new URL('../../src/store/precheck.ts', import.meta.url), 'utf8');
    const text = /const PRECHECK = `([\s\S]*?)`;/.exec(source)![1]!;
    const param = JSON.stringify([{ ord: 0, phones: ['+61400000001'], campaign_id: 10, external_id: 'x1', scope: 'c10' }]);
    await admin.unsafe('set plan_cache_mode = force_generic_plan');
    await admin.unsafe(`prepare pc(text) as ${text}`);
    const plan = await admin.unsafe<Array<{ 'QUERY PLAN': string }>>(`explain (analyze, buffers) execute pc('${param}')`);
    console.log(plan.map((p) => p['QUERY PLAN']).join('\n'));
  }
  await admin.end();
  await load.close();
  await leadgate.stop();
}

runExperiment(main);
