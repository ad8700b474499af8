/**
 * Diagnosis: what PostgreSQL and leadgate spend on forwarding, from pg_stat_statements. Starts a
 * throwaway server with the extension preloaded, the 0 ms Noojee stub, leadgate with a queue
 * destination (`batch`), optionally a backlog of queued deliveries, then a closed-loop
 * insertLeadFast load at 16 connections; prints the statements by total time per inserted lead,
 * the backends' wait events, deliveries made and the calls that carried them.
 *   npx tsx bench/experiments/forward-statements.ts [batch=100] [backlog=0] [seconds=6]
 * BENCH_CPU_PROF=DIR profiles leadgate (summarise with profile-summary.ts).
 */
import postgres from 'postgres';
import { runExperiment } from '../harness/cleanup.js';
import { enqueueBacklog, queueCounts } from '../harness/delivery-queue.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { seedLeads, settle } from '../harness/seed.js';
import { printWaitEvents, sampleWaitEvents } from '../harness/wait-sampler.js';
import { NOOJEE_STUB_KEY, startLeadgate, startStub, writeForwardRules } from '../harness/servers.js';

async function main() {
  const [batchText = '100', backlogText = '0', secondsText = '6'] = process.argv.slice(2);
  const backlog = Number(backlogText);
  process.env.PG_EXTRA_CONF = "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_planning = on";
  const pg = await startThrowawayPostgres();
  const url = await pg.freshDatabase('forward_statements');
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create extension if not exists pg_stat_statements');
  const dialer = await startStub('noojee');
  const rulesDir = await writeForwardRules('rules-forward-statements', dialer.base, Number(batchText));
  const leadgate = await startLeadgate('forward-statements', { databaseUrl: url, rulesDir, env: { NOOJEE_API_KEY: NOOJEE_STUB_KEY } });
  if (backlog > 0) {
    await seedLeads(url, 0, backlog);
    await settle(url);
  }
  const load = new LoadGenerator();
  const job = { url: `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, shape: 'single' as const, leadsPerRequest: 1, connections: 16, timeoutSec: 30, externalIdPrefix: 'q', check: 'single' as const };
  await load.run({ ...job, durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
  await admin.unsafe('analyze');
  if (backlog > 0) await enqueueBacklog(admin, 0, backlog);
  await admin.unsafe('select pg_stat_statements_reset()');
  const before = await queueCounts(admin);
  const calls0 = ((await (await fetch(`${dialer.base}/count`)).json()) as { calls: number }).calls;
  const waits = sampleWaitEvents(admin, 50);
  const run = await load.run({ ...job, durationSec: Number(secondsText), phoneBlocks: allocatePhoneBlocks() });
  const samples = await waits.stop();
  const after = await queueCounts(admin);
  const calls = ((await (await fetch(`${dialer.base}/count`)).json()) as { calls: number }).calls - calls0;
  const delivered = after.delivered - before.delivered;
  console.log(`batch ${batchText}, backlog ${backlog}: ${run.ok2xx} inserts (${run.rps.toFixed(0)}/s), ${delivered} delivered (${(delivered / run.durationSec).toFixed(0)}/s) in ${calls} calls; queue ${before.queued} → ${after.queued}`);
  printWaitEvents(samples, 12);
  const rows = await admin.unsafe<Array<{ calls: string; exec_ms: number; plan_ms: number; plans: string; rows: string; query: string }>>(
    `select calls, total_exec_time as exec_ms, total_plan_time as plan_ms, plans, rows, regexp_replace(query, '\\s+', ' ', 'g') as query
     from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
     order by total_exec_time + total_plan_time desc limit 14`,
  );
  console.log('per inserted lead:');
  for (const r of rows) {
    const per = (ms: number) => ((ms * 1000) / run.ok2xx).toFixed(0).padStart(5);
    console.log(`exec ${per(r.exec_ms)} µs  plan ${per(r.plan_ms)} µs  calls ${String(r.calls).padStart(7)} plans ${String(r.plans).padStart(7)} rows ${String(r.rows).padStart(7)}  ${r.query.slice(0, 100)}`);
  }
  await admin.end();
  await load.close();
  await leadgate.stop();
  await dialer.stop();
}

runExperiment(main);
