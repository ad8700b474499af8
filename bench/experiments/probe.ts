/**
 * Diagnosis probe: leadgate (as `npm run bench` starts it) on a throwaway PostgreSQL, loaded at
 * several connection counts, while pg_stat_activity is sampled (what backends wait on) and
 * pg_stat_statements times every statement.
 *   npx tsx bench/experiments/probe.ts [single|proxy|batch] [connections,...] [seconds]
 */
import postgres from 'postgres';
import { execFileSync } from 'node:child_process';
import { runExperiment } from '../harness/cleanup.js';
import { cpuMeter, cpuPer } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator } from '../harness/load.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../harness/postgres-server.js';
import { sleep } from '../harness/procs.js';
import { startLeadgate, startStub, writeBasicRules, writeCrmRules } from '../harness/servers.js';

const [mode = 'proxy', connsText = '1,16', secondsText = '5'] = process.argv.slice(2);

/** Restarts the server with pg_stat_statements loaded (experiments only; the bench does not). */
export async function enableStatStatements(pg: ThrowawayPostgres): Promise<void> {
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
  await admin.end();
  const asOwner = (args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', `${pg.bin}/pg_ctl`, ...args], { stdio: 'ignore' });
  asOwner(['-D', `${pg.dir}/data`, '-w', '-m', 'fast', 'restart', '-l', `${pg.dir}/server.log`]);
}

export async function statStatements(url: string, top = 12): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await sql.unsafe(`
    select calls, round(total_exec_time::numeric, 1) as exec_ms, round((total_exec_time / calls)::numeric, 3) as mean_ms,
           round(total_plan_time::numeric, 1) as plan_ms, rows, shared_blks_hit as hit, shared_blks_read as read, wal_records, wal_bytes,
           regexp_replace(left(query, 90), '\\s+', ' ', 'g') as query
    from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
    order by total_exec_time desc limit ${top}`);
  console.table(rows);
  await sql.end();
}

async function main() {
  const pg = await startThrowawayPostgres();
  if (process.env.PROBE_STATEMENTS !== '0') await enableStatStatements(pg);
  const url = await pg.freshDatabase('probe');
  const crm = mode === 'proxy' ? await startStub('crm') : undefined;
  const rulesDir = crm ? await writeCrmRules('rules-probe', crm.base) : await writeBasicRules('rules-probe');
  const leadgate = await startLeadgate('probe', { databaseUrl: url, rulesDir });
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create extension if not exists pg_stat_statements').catch(() => undefined);
  const load = new LoadGenerator();
  const batch = mode === 'batch';
  const job = {
    url: `${leadgate.base}${NOOJEE}/${batch ? 'insertLeadsFast' : 'insertLeadFast'}?${TARGET_QUERY}`,
    shape: batch ? ('batch' as const) : ('single' as const),
    leadsPerRequest: batch ? 1000 : 1,
    timeoutSec: 60,
    externalIdPrefix: 'x',
    check: batch ? ('batch' as const) : ('single' as const),
  };
  await load.run({ ...job, connections: 4, durationSec: 3, phoneBlocks: allocatePhoneBlocks() });
  await admin.unsafe('select pg_stat_statements_reset()').catch(() => undefined);
  for (const connections of connsText.split(',').map(Number)) {
    const waits = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await admin.unsafe<{ w: string }[]>(`
          select coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || state || ' ' || regexp_replace(left(query, 40), '\\s+', ' ', 'g') as w
          from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`);
        for (const r of rows) waits.set(r.w, (waits.get(r.w) ?? 0) + 1);
        await sleep(20);
      }
    })();
    const cpu = cpuMeter(leadgate.pid, `${pg.dir}/data`);
    const r = await load.run({ ...job, connections, durationSec: Number(secondsText), phoneBlocks: allocatePhoneBlocks() });
    const used = cpu.stop();
    sampling = false;
    await sampler;
    console.log(
      `\n${mode} @${connections} conn: ${r.rps.toFixed(0)} req/s (${r.leadsPerSec.toFixed(0)} leads/s), p50 ${fmtMs(r.latencyMs.p50)} p99 ${fmtMs(r.latencyMs.p99)} ms, codes ${JSON.stringify(r.codes)}; ` +
        `${cpuPer(used, r.ok2xx)}; wall ${used.wall.toFixed(1)} s, leadgate ${((used.leadgate / used.wall) * 100).toFixed(0)}% PG ${((used.postgres / used.wall) * 100).toFixed(0)}% of a core`,
    );
    const totalSamples = [...waits.values()].reduce((a, b) => a + b, 0);
    for (const [w, n] of [...waits].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${((n / totalSamples) * 100).toFixed(0).padStart(3)}%  ${w}`);
  }
  await statStatements(url);
  await admin.end();
  await load.close();
  await leadgate.stop();
  await crm?.stop();
}

runExperiment(main);
