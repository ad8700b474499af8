import { readdirSync, readFileSync } from 'node:fs';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { cpuPer, cpuPerLead, cpuSeconds, postgresCpuSeconds } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadResult } from '../harness/load.js';
import { runPgbench } from '../harness/pgbench.js';
import { sleep } from '../harness/procs.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const CONNECTIONS = 16;
const LOAD_SECONDS = 8;
const PGBENCH_SECONDS = 4;
/** ABBA: a neighbour's burst on the shared machine weighs on both counts alike */
const ORDER = [1, 2, 2, 1] as const;

/** CPU seconds of a process and its live children (the server processes under a LEADGATE_PROCESSES primary). */
function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) total += cpuSeconds(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

async function waitForLogLine(file: string, needle: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!readFileSync(file, 'utf8').includes(needle)) {
    if (Date.now() > until) throw new Error(`${file}: no ${needle} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

interface Run {
  processes: number;
  result: LoadResult;
  cpu: { leadgate: number; postgres: number; wall: number };
  /** the primary's own share of `cpu.leadgate` (it hands connections over; with keep-alive, few) */
  primary: number;
}

/**
 * The `single` figure (insertLeadFast, 16 connections, server PostgreSQL, duplicate check off)
 * with LEADGATE_PROCESSES=1 and =2 in the same run (in the order 1, 2, 2, 1; each figure the mean of
 * its two loads), each as a ratio to pgbench's equivalent
 * four-statement transaction at 16 clients on the same database (pgbench before the first and
 * after the last, the mean of the two). leadgate's CPU is the primary's plus its server processes'.
 * On this 2-core shared machine the load generator and PostgreSQL compete with the server
 * processes for the same cores: the load average is in the run's summary.
 */
export async function benchSingleProcesses(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const database = 'bench_single_processes';
  const url = await pg.freshDatabase(database);
  await migratePostgres(url);
  const rulesDir = await writeBasicRules('rules-single-processes');
  const pgDataDir = `${pg.dir}/data`;

  const before = await runPgbench(pg, database, { clients: CONNECTIONS, seconds: PGBENCH_SECONDS, name: 'pgbench-single-processes-1' });
  const runs: Run[] = [];
  for (const [index, processes] of ORDER.entries()) {
    const name = `single-p${processes}-${index}`;
    const leadgate = await startLeadgate(name, { databaseUrl: url, rulesDir, env: { LEADGATE_PROCESSES: String(processes) } });
    const load = new LoadGenerator();
    try {
      // with several processes, /readyz answers as soon as the first does; the primary says when all do
      await waitForLogLine(leadgate.logFile, '"event":"server.listening"');
      const target = `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`;
      const job = { url: target, shape: 'single' as const, leadsPerRequest: 1, connections: CONNECTIONS, timeoutSec: 30, externalIdPrefix: `sp${index}`, check: 'single' as const };
      await load.run({ ...job, durationSec: 3, phoneBlocks: allocatePhoneBlocks() }); // warm-up: JIT, prepared statements, pools

      const lg0 = treeCpuSeconds(leadgate.pid);
      const primary0 = cpuSeconds(leadgate.pid);
      const pg0 = postgresCpuSeconds(pgDataDir);
      const wall0 = performance.now();
      const result = await load.run({ ...job, durationSec: LOAD_SECONDS, phoneBlocks: allocatePhoneBlocks() });
      const cpu = { leadgate: treeCpuSeconds(leadgate.pid) - lg0, postgres: postgresCpuSeconds(pgDataDir) - pg0, wall: (performance.now() - wall0) / 1000 };
      const primary = processes > 1 ? cpuSeconds(leadgate.pid) - primary0 : 0;
      if ((result.codes['0'] ?? 0) !== result.ok2xx) throw new Error(`${name}: answers other than code 0: ${JSON.stringify(result.codes)}`);
      runs.push({ processes, result, cpu, primary });
    } finally {
      await load.close();
      await leadgate.stop();
    }
  }
  const after = await runPgbench(pg, database, { clients: CONNECTIONS, seconds: PGBENCH_SECONDS, name: 'pgbench-single-processes-2' });

  const reference = (before.tps + after.tps) / 2;
  const rate = (processes: number) => mean(runs.filter((r) => r.processes === processes).map((r) => r.result.rps));
  return [1, 2].map((processes) => {
    const mine = runs.filter((r) => r.processes === processes);
    const rps = rate(processes);
    const ratio = rps / reference;
    const aim = processes === 1 ? 0.5 : 1.0;
    return {
      name: `single-lead insert, LEADGATE_PROCESSES=${processes} (server PG, 16 conn)`,
      value: round(rps),
      unit: 'inserts/s',
      reference: `${round(reference)} TPS pgbench 4-statement txn, 16 clients (${round(before.tps)} before, ${round(after.tps)} after)`,
      ratio: round(ratio, 2),
      target: processes === 1 ? '≥ 0.5 × pgbench' : '≥ 1.0 × pgbench (issue 16 aim)',
      pass: ratio >= aim,
      cpuPerLeadMs: cpuPerLead(
        { leadgate: mine.reduce((a, r) => a + r.cpu.leadgate, 0), postgres: mine.reduce((a, r) => a + r.cpu.postgres, 0) },
        mine.reduce((a, r) => a + r.result.ok2xx, 0),
      ),
      detail:
        `mean of ${mine.map((r) => round(r.result.rps)).join(' and ')}${processes === 1 ? '' : `; ${round(rps / rate(1), 2)} × the 1-process figure of this run`}; ` +
        mine.map(describeRun).join('; '),
    };
  });
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function describeRun({ processes, result, cpu, primary }: Run): string {
  const share = (seconds: number) => `${round((seconds / cpu.wall) * 100)}%`;
  return (
    `p50 ${fmtMs(result.latencyMs.p50)} ms, p99 ${fmtMs(result.latencyMs.p99)} ms, ` +
    `${cpuPer(cpu, result.ok2xx, 'insert')} (of a core: leadgate ${share(cpu.leadgate)} in all${processes > 1 ? `, its primary ${share(primary)}` : ''}, PostgreSQL ${share(cpu.postgres)})`
  );
}
