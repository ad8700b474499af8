import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { seedLeads, settle } from '../harness/seed.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const SMALL = 10_000;
const LARGE = Number(process.env.BENCH_DEDUPE_LARGE ?? 1_000_000);
/** a steady, light load (paced: arrivals evenly spread): latency, not queueing */
const RATE = 100;
const CONNECTIONS = 4;
const SLICES = 3;
const SLICE_SECONDS = 4;

/**
 * SPEC 9 de-duplication cost as the store grows: p50 insertLeadFast latency (server PostgreSQL,
 * duplicate check off) with 1,000,000 leads stored against the same with 10,000. Two databases
 * are seeded in bulk SQL exactly as leadgate writes (seed.ts: lead rows and their phone claims in
 * the three scopes), then vacuumed, analysed and checkpointed; one leadgate runs on each. The load
 * is light and steady (100 req/s, evenly paced) and alternates between the two in slices
 * (small, large, small, large…), so a neighbour's burst on the shared machine falls on both sides;
 * the figure is the median of the slices' p50s.
 */
export async function benchDedupeGrowth(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const smallUrl = await pg.freshDatabase('bench_dedupe_small');
  const largeUrl = await pg.freshDatabase('bench_dedupe_large');
  await migratePostgres(smallUrl);
  await migratePostgres(largeUrl);
  const seedStarted = performance.now();
  await seedLeads(smallUrl, 0, SMALL);
  await seedLeads(largeUrl, 0, LARGE);
  await settle(smallUrl);
  await settle(largeUrl);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const small = await startLeadgate('dedupe-small', { databaseUrl: smallUrl, rulesDir: await writeBasicRules('rules-dedupe-small') });
  const large = await startLeadgate('dedupe-large', { databaseUrl: largeUrl, rulesDir: await writeBasicRules('rules-dedupe-large') });
  const load = new LoadGenerator();
  try {
    const job = (base: string): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
      url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: CONNECTIONS,
      overallRate: RATE,
      paced: true,
      timeoutSec: 30,
      externalIdPrefix: 'd',
      check: 'single',
    });
    const slice = async (base: string, seconds: number): Promise<LoadResult> => {
      const run = await load.run({ ...job(base), durationSec: seconds, phoneBlocks: allocatePhoneBlocks() });
      if ((run.codes['0'] ?? 0) !== run.ok2xx) throw new Error(`dedupe: answers other than code 0: ${JSON.stringify(run.codes)}`);
      return run;
    };
    // warm-up both (JIT, prepared statements, pool: closed loop at 4 connections), then alternate
    for (const base of [small.base, large.base]) await load.run({ ...job(base), overallRate: undefined, paced: false, durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
    const smallRuns: LoadResult[] = [];
    const largeRuns: LoadResult[] = [];
    for (let i = 0; i < SLICES; i += 1) {
      smallRuns.push(await slice(small.base, SLICE_SECONDS));
      largeRuns.push(await slice(large.base, SLICE_SECONDS));
    }
    const p50Small = median(smallRuns.map((r) => r.latencyMs.p50));
    const p50Large = median(largeRuns.map((r) => r.latencyMs.p50));
    const ratio = p50Large / p50Small;
    const list = (runs: LoadResult[]) => runs.map((r) => fmtMs(r.latencyMs.p50)).join('/');
    return [
      {
        name: 'de-duplication cost: p50 insert with 1,000,000 vs 10,000 leads stored',
        value: round(p50Large, 2),
        unit: `ms p50 with ${LARGE.toLocaleString('en-US')} leads (${RATE} req/s paced)`,
        reference: `${fmtMs(p50Small)} ms p50 with ${SMALL.toLocaleString('en-US')} leads`,
        ratio: round(ratio, 2),
        target: '≤ 1.3 × with 10,000',
        pass: ratio <= 1.3,
        detail:
          `slice p50s ${list(largeRuns)} vs ${list(smallRuns)} ms; p99 ${fmtMs(median(largeRuns.map((r) => r.latencyMs.p99)))} vs ${fmtMs(median(smallRuns.map((r) => r.latencyMs.p99)))} ms; ` +
          `seeding ${(LARGE + SMALL).toLocaleString('en-US')} leads and ${(3 * (LARGE + SMALL)).toLocaleString('en-US')} claims, vacuum, checkpoint: ${seedSeconds.toFixed(0)} s`,
      },
    ];
  } finally {
    await load.close();
    await large.stop();
    await small.stop();
  }
}
