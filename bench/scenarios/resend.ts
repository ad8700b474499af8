import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { cpuMeter, cpuPer, cpuPerLead } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { settle } from '../harness/seed.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const CONNECTIONS = 16;
const SLICES = 3;
const SLICE_SECONDS = 4;
/** every second request resends a stored lead's phone */
const RESEND_EVERY = 2;

/**
 * A vendor resending leads: the single-lead insert (server PostgreSQL, 16 connections, duplicate
 * check off) with every second request a lead whose phone is already stored, under a new external
 * id (answered 105), against the same load with every lead new. One leadgate, alternating slices
 * (new, resent, new…), each side the median of its slices. The group statement answers a resent
 * lead itself (src/store/insert-group.ts); before it did, each went on to insert-one's failing
 * statement and a precheck, and this ratio was 0.56. No SPEC target: reported, so a change that
 * makes duplicates expensive again shows.
 */
export async function benchResend(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const url = await pg.freshDatabase('bench_resend');
  await migratePostgres(url);
  const leadgate = await startLeadgate('resend', { databaseUrl: url, rulesDir: await writeBasicRules('rules-resend') });
  const load = new LoadGenerator();
  try {
    const job = (resendEvery: number | undefined): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
      url: `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: CONNECTIONS,
      timeoutSec: 30,
      externalIdPrefix: resendEvery ? 'rs' : 'rn',
      check: 'single',
      ...(resendEvery ? { resendEvery } : {}),
    });
    await load.run({ ...job(undefined), durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
    await load.run({ ...job(RESEND_EVERY), durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
    await settle(url);

    const side = () => ({ runs: [] as LoadResult[], cpu: { leadgate: 0, postgres: 0, syscallWrites: 0, syscallReads: 0, n: 0 } });
    const sides = { fresh: side(), resent: side() };
    for (let i = 0; i < SLICES; i += 1) {
      for (const [name, resendEvery] of [['fresh', undefined], ['resent', RESEND_EVERY]] as const) {
        const meter = cpuMeter(leadgate.pid, `${pg.dir}/data`);
        const run = await load.run({ ...job(resendEvery), durationSec: SLICE_SECONDS, phoneBlocks: allocatePhoneBlocks() });
        const used = meter.stop();
        // Noojee answers a duplicate 105 with HTTP 400
        const { ['0']: created = 0, ['http400:105']: duplicates = 0, ...other } = run.codes;
        const answered = created + duplicates;
        if (Object.keys(other).length > 0 || created !== run.ok2xx) throw new Error(`resend: answers other than 0 and 105: ${JSON.stringify(run.codes)}`);
        // every resent lead answered is a duplicate; up to one a connection was still out when the slice ended
        const unanswered = run.resent - duplicates;
        if (unanswered < 0 || unanswered > CONNECTIONS) throw new Error(`resend: ${duplicates} duplicates answered, ${run.resent} leads resent`);
        const { runs, cpu } = sides[name];
        runs.push(run);
        cpu.leadgate += used.leadgate;
        cpu.postgres += used.postgres;
        cpu.syscallWrites += used.syscallWrites;
        cpu.syscallReads += used.syscallReads;
        cpu.n += answered;
      }
    }
    /** answers a second, the duplicates (HTTP 400) included */
    const answersPerSecond = (r: LoadResult) => (r.ok2xx + r.non2xx) / r.durationSec;
    const rps = (side: keyof typeof sides) => median(sides[side].runs.map(answersPerSecond));
    const ratio = rps('resent') / rps('fresh');
    const resentCodes = sides.resent.runs.reduce((all, r) => ({ created: all.created + (r.codes['0'] ?? 0), duplicates: all.duplicates + (r.codes['http400:105'] ?? 0) }), { created: 0, duplicates: 0 });
    return [
      {
        name: 'resent leads: single-lead insert with every second lead a duplicate (105) vs every lead new',
        value: round(rps('resent')),
        unit: 'requests/s (server PG, 16 conn, dup check off)',
        reference: `${round(rps('fresh'))} requests/s with every lead new, same leadgate, alternating slices`,
        ratio: round(ratio, 2),
        target: 'report',
        pass: true,
        cpuPerLeadMs: cpuPerLead(sides.resent.cpu, sides.resent.cpu.n),
        detail:
          `slices ${sides.resent.runs.map((r) => round(answersPerSecond(r))).join('/')} vs ${sides.fresh.runs.map((r) => round(answersPerSecond(r))).join('/')} req/s; ` +
          `created leads' p50 ${fmtMs(median(sides.resent.runs.map((r) => r.latencyMs.p50)))} vs ${fmtMs(median(sides.fresh.runs.map((r) => r.latencyMs.p50)))} ms, ` +
          `p99 ${fmtMs(median(sides.resent.runs.map((r) => r.latencyMs.p99)))} vs ${fmtMs(median(sides.fresh.runs.map((r) => r.latencyMs.p99)))} ms; ` +
          `resent side answered ${resentCodes.created} created, ${resentCodes.duplicates} duplicates (105); ` +
          `resent: ${cpuPer(sides.resent.cpu, sides.resent.cpu.n, 'request')}; new: ${cpuPer(sides.fresh.cpu, sides.fresh.cpu.n, 'request')}`,
      },
    ];
  } finally {
    await load.close();
    await leadgate.stop();
  }
}
