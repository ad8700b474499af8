import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { cpuMeter, cpuPer, cpuPerLead } from '../harness/cpu.js';
import { createFloorClient, type FloorRun } from '../harness/floor-client.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { settle } from '../harness/seed.js';
import { startPlainAndChecked } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const CONNECTIONS = 16;
const SLICES = 3;
const SLICE_SECONDS = 4;
const PACED_SLICES = 3;
const PACED_SECONDS = 6;

/**
 * SPEC 9's two duplicate-check rows, each against a reference measured in the same run:
 * - throughput: insertLeadFast with the duplicate check asking a 0 ms CRM stub, closed loop at 16
 *   connections, against the plain single-lead insert path (no duplicate check) of another
 *   leadgate on the same PostgreSQL server. The two alternate in slices (plain, checked, plain…),
 *   so a neighbour's burst on the shared machine falls on both; each side's figure is the median
 *   of its slices.
 * - latency: the checked path paced at a third of its capacity against the floor client
 *   (harness/floor-client.ts: precheck, CRM call, insert statement; postgres.js + undici, no HTTP
 *   server) at the same rate, alternating; each side's p99 is the median of its slices.
 */
export async function benchDupCheck(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const { crm, plain, checked, plainUrl, checkedUrl } = await startPlainAndChecked(pg, 'dupcheck');
  const floor = createFloorClient(checkedUrl, crm.base, CONNECTIONS);
  const load = new LoadGenerator();
  try {
    const job = (base: string, prefix: string): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
      url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: CONNECTIONS,
      timeoutSec: 30,
      externalIdPrefix: prefix,
      check: 'single',
    });
    const run = async (j: Omit<LoadJob, 'durationSec' | 'phoneBlocks'>, extra: Partial<LoadJob> & { durationSec: number }): Promise<LoadResult> => {
      const result = await load.run({ ...j, phoneBlocks: allocatePhoneBlocks(), ...extra });
      if ((result.codes['0'] ?? 0) !== result.ok2xx || result.ok2xx === 0) throw new Error(`dupcheck: answers other than code 0: ${JSON.stringify(result.codes)}`);
      return result;
    };
    const plainJob = job(plain.base, 'dp');
    const checkedJob = job(checked.base, 'dc');
    // Warm-up (JIT, pools, prepared statements). It fills tables that were empty when the prepared
    // statements got their generic plans; until autovacuum's first ANALYZE (up to a minute on a
    // fresh database) those plans scan phone_claims whole on every precheck. Measure the steady
    // state, as a running gateway has it: statistics current (bench/experiments/pg-statements.ts).
    await run(plainJob, { durationSec: 2 });
    await run(checkedJob, { durationSec: 2 });
    await floor.paced(100, 1, allocatePhoneBlocks(), 'dfw');
    await settle(plainUrl);
    await settle(checkedUrl);

    const plainRuns: LoadResult[] = [];
    const checkedRuns: LoadResult[] = [];
    const plainCpu = { leadgate: 0, postgres: 0, syscallWrites: 0, syscallReads: 0, n: 0 };
    const checkedCpu = { leadgate: 0, postgres: 0, syscallWrites: 0, syscallReads: 0, n: 0 };
    const metered = async (pid: number, into: typeof plainCpu, fn: () => Promise<LoadResult>) => {
      const meter = cpuMeter(pid, `${pg.dir}/data`);
      const result = await fn();
      const used = meter.stop();
      into.leadgate += used.leadgate;
      into.postgres += used.postgres;
      into.syscallWrites += used.syscallWrites;
      into.syscallReads += used.syscallReads;
      into.n += result.ok2xx;
      return result;
    };
    for (let i = 0; i < SLICES; i += 1) {
      plainRuns.push(await metered(plain.pid, plainCpu, () => run(plainJob, { durationSec: SLICE_SECONDS })));
      checkedRuns.push(await metered(checked.pid, checkedCpu, () => run(checkedJob, { durationSec: SLICE_SECONDS })));
    }
    const plainRps = median(plainRuns.map((r) => r.rps));
    const checkedRps = median(checkedRuns.map((r) => r.rps));
    const throughputRatio = checkedRps / plainRps;

    const rate = Math.max(20, Math.round(checkedRps / 3));
    const pacedRuns: LoadResult[] = [];
    const floorRuns: FloorRun[] = [];
    for (let i = 0; i < PACED_SLICES; i += 1) {
      floorRuns.push(await floor.paced(rate, PACED_SECONDS, allocatePhoneBlocks(), `df${i}-`));
      pacedRuns.push(await run(checkedJob, { overallRate: rate, paced: true, durationSec: PACED_SECONDS }));
    }
    if (floorRuns.some((r) => r.failed > 0)) throw new Error(`dupcheck: the floor client failed ${floorRuns.map((r) => r.failed).join('/')} leads`);
    const p99 = median(pacedRuns.map((r) => r.latencyMs.p99));
    const floorP99 = median(floorRuns.map((r) => r.latencyMs.p99));
    const latencyRatio = p99 / floorP99;
    ctx.figures.set('dupcheck.rps', checkedRps);

    const list = (values: number[]) => values.map((v) => fmtMs(v)).join('/');
    return [
      {
        name: 'duplicate-check path throughput (0 ms CRM, 16 conn, closed loop)',
        value: round(checkedRps),
        unit: 'inserts/s',
        reference: `${round(plainRps)} inserts/s plain single-lead path (dup check off), same run`,
        ratio: round(throughputRatio, 2),
        target: '≥ 0.7 × plain path',
        pass: throughputRatio >= 0.7,
        cpuPerLeadMs: cpuPerLead(checkedCpu, checkedCpu.n),
        detail:
          `slices ${checkedRuns.map((r) => round(r.rps)).join('/')} vs ${plainRuns.map((r) => round(r.rps)).join('/')} req/s; ` +
          `p99 ${fmtMs(median(checkedRuns.map((r) => r.latencyMs.p99)))} vs ${fmtMs(median(plainRuns.map((r) => r.latencyMs.p99)))} ms; ` +
          `checked: ${cpuPer(checkedCpu, checkedCpu.n, 'insert')}; plain: ${cpuPer(plainCpu, plainCpu.n, 'insert')}`,
      },
      {
        name: 'duplicate-check path latency p99 vs floor client (paced)',
        value: round(p99, 2),
        unit: `ms p99 at ${rate} req/s (paced)`,
        reference: `${fmtMs(floorP99)} ms p99 of the floor client (precheck, CRM call, insert; postgres.js + undici) at the same rate`,
        ratio: round(latencyRatio, 2),
        target: '≤ 2 × floor p99',
        pass: latencyRatio <= 2,
        detail:
          `p99 slices ${list(pacedRuns.map((r) => r.latencyMs.p99))} vs floor ${list(floorRuns.map((r) => r.latencyMs.p99))} ms; ` +
          `p50 ${fmtMs(median(pacedRuns.map((r) => r.latencyMs.p50)))} vs floor ${fmtMs(median(floorRuns.map((r) => r.latencyMs.p50)))} ms; ` +
          `achieved ${pacedRuns.map((r) => round(r.rps)).join('/')} vs floor ${floorRuns.map((r) => round(r.rps)).join('/')} req/s`,
      },
    ];
  } finally {
    await load.close();
    await floor.close();
    await checked.stop();
    await plain.stop();
    await crm.stop();
  }
}
