import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { cpuMeter, cpuPer, cpuPerLead } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadResult } from '../harness/load.js';
import { runPgbench } from '../harness/pgbench.js';
import type { ThrowawayPostgres } from '../harness/postgres-server.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const CONNECTIONS = 16;
const LOAD_SECONDS = 8;
const PGBENCH_SECONDS = 4;
/** what a later part (pglite) compares itself with */
export const SERVER_PG_SINGLE_FIGURE = 'single.rps';

export interface SingleInsertRun {
  result: LoadResult;
  /** CPU seconds over the run (leadgate, PostgreSQL, wall) */
  used: { leadgate: number; postgres: number; wall: number };
}

interface ServerPgLeadgate {
  pg: ThrowawayPostgres;
  database: string;
  /** the measured single-insert load (duplicate check off, 16 connections), which also leaves its rate in ctx.figures */
  measure(): Promise<SingleInsertRun>;
}

/**
 * leadgate on a fresh, migrated server database, warmed up, for `fn` to measure. Shared by this
 * part and by the pglite part (whose reference it is when this part did not run first).
 */
export async function withServerPgLeadgate<T>(ctx: BenchContext, fn: (server: ServerPgLeadgate) => Promise<T>): Promise<T> {
  const pg = await ctx.postgres();
  const database = 'bench_single';
  const url = await pg.freshDatabase(database);
  await migratePostgres(url);
  const leadgate = await startLeadgate('single', { databaseUrl: url, rulesDir: await writeBasicRules('rules-single') });
  const load = new LoadGenerator();
  try {
    const target = `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`;
    const job = { url: target, shape: 'single' as const, leadsPerRequest: 1, connections: CONNECTIONS, timeoutSec: 30, externalIdPrefix: 's', check: 'single' as const };
    await load.run({ ...job, durationSec: 3, phoneBlocks: allocatePhoneBlocks() }); // warm-up: JIT, prepared statements, pool
    return await fn({
      pg,
      database,
      async measure() {
        const cpu = cpuMeter(leadgate.pid, `${pg.dir}/data`);
        const result = await load.run({ ...job, durationSec: LOAD_SECONDS, phoneBlocks: allocatePhoneBlocks() });
        const used = cpu.stop();
        if ((result.codes['0'] ?? 0) !== result.ok2xx) throw new Error(`single: answers other than code 0: ${JSON.stringify(result.codes)}`);
        ctx.figures.set(SERVER_PG_SINGLE_FIGURE, result.rps);
        return { result, used };
      },
    });
  } finally {
    await load.close();
    await leadgate.stop();
  }
}

/**
 * SPEC 9 single-lead insert throughput: insertLeadFast at 16 connections against leadgate on server
 * PostgreSQL, duplicate check off, against pgbench's equivalent four-statement transaction at 16
 * clients on the same database. pgbench runs before and after the HTTP load and the reference is
 * the mean of the two, so a neighbour's burst on the shared machine weighs on both sides.
 */
export async function benchSingle(ctx: BenchContext): Promise<BenchResult[]> {
  return withServerPgLeadgate(ctx, async ({ pg, database, measure }) => {
    const pgbenchCpu = cpuMeter(undefined, `${pg.dir}/data`);
    const before = await runPgbench(pg, database, { clients: CONNECTIONS, seconds: PGBENCH_SECONDS, name: 'pgbench-single-1' });
    const pgbenchUsed = pgbenchCpu.stop();
    const { result, used } = await measure();
    const after = await runPgbench(pg, database, { clients: CONNECTIONS, seconds: PGBENCH_SECONDS, name: 'pgbench-single-2' });

    const reference = (before.tps + after.tps) / 2;
    const ratio = result.rps / reference;
    return [
      {
        name: 'single-lead insert (server PG, 16 conn, dup check off)',
        value: round(result.rps),
        unit: 'inserts/s',
        reference: `${round(reference)} TPS pgbench 4-statement txn, 16 clients (${round(before.tps)} before, ${round(after.tps)} after)`,
        ratio: round(ratio, 2),
        target: '≥ 0.5 × pgbench',
        pass: ratio >= 0.5,
        cpuPerLeadMs: cpuPerLead(used, result.ok2xx),
        detail:
          `latency p50 ${fmtMs(result.latencyMs.p50)} ms, p99 ${fmtMs(result.latencyMs.p99)} ms; ${result.ok2xx} leads; ` +
          `${cpuPer(used, result.ok2xx, 'insert')} (${round((used.leadgate / used.wall) * 100)}% of a core for leadgate); ` +
          `pgbench: latency ${before.latencyMs}/${after.latencyMs} ms, PostgreSQL ${((pgbenchUsed.postgres * 1000) / before.transactions).toFixed(2)} ms CPU per transaction`,
      },
    ];
  });
}
