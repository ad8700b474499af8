import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { cpuMeter } from '../harness/cpu.js';
import { enqueueBacklog, openSql, queueCounts, waitForEmptyQueue, type Sql } from '../harness/delivery-queue.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { seedLeads, settle } from '../harness/seed.js';
import { NOOJEE_STUB_KEY, startLeadgate, startStub, writeBasicRules, writeForwardRules, type Leadgate } from '../harness/servers.js';
import type { BenchResult } from '../result.js';
import { benchClaimGrowth } from './forward-claim.js';

const CONNECTIONS = 16;
const SLICE_SECONDS = 4;
/** insert-cost rounds (four slices each) and delivery-rate rounds (one slice per batch size) */
const COST_ROUNDS = 5;
const RATE_ROUNDS = 3;
/** queued before each delivery-rate slice, so the worker never runs dry (see benchForward) */
const BACKLOG = { 100: 30_000, 1: 8_000 } as const;
const DRAIN_TIMEOUT_MS = 120_000;

interface Slice {
  run: LoadResult;
  cpu: { leadgate: number; postgres: number; wall: number };
  /** queue depth and delivered count before and after, with the seconds between the two reads */
  before?: { queued: number; delivered: number };
  after?: { queued: number; delivered: number };
  seconds?: number;
}

const deliveredPerSec = (s: Slice) => (s.after!.delivered - s.before!.delivered) / s.seconds!;

/**
 * SPEC 9's two forwarding rows, and the claim's cost as the deliveries table grows
 * (forward-claim.ts). Everything runs on the run's throwaway PostgreSQL against a 0 ms Noojee
 * (harness/noojee-stub.ts, a process of its own); the destination is `maxConcurrency` 16.
 *
 * 1. Cost on the insert path: closed-loop insertLeadFast at 16 connections (as `single`) against
 *    leadgate without a destination (plain) and with a `queue` destination, batch 100, its delivery
 *    worker running and keeping up (the queue starts empty; the deliveries of the slice's leads
 *    are made during it): ≥ 0.9 ×. The enqueue cost alone: the same destination on the
 *    diagnosis server (experiments/variant-server.ts, which starts no delivery worker) against the
 *    plain variant server. Slices alternate between the four servers, every queue empty first.
 * 2. Delivery rate: a backlog of queued deliveries (seeded leads, BACKLOG) is put in front of the
 *    worker, then the same single-insert load runs; the deliveries settled during the slice per
 *    second against the slice's inserts per second: ≥ 1.0 × means the queue did not grow under
 *    the load (its depth is read at the start and the end). With batch 1 (one insertLeadFast call
 *    a lead, a server of its own): ≥ 0.5 ×. The backlog keeps the worker busy for the whole slice,
 *    so the figure is what it can do, not what the load happened to offer; if it runs out the
 *    figure is a lower bound and says so.
 * The machine is shared and its load swings several-fold within a minute, so the insert-cost ratio
 * is the median of each round's own ratio (its slices a few seconds apart, their order reversed
 * every other round), and the delivery figures the median of RATE_ROUNDS slices.
 */
export async function benchForward(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const pgData = `${pg.dir}/data`;
  const names = ['plain', 'plain_variant', 'queue', 'enqueue', 'queue1'] as const;
  const urls = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await pg.freshDatabase(`bench_fwd_${n}`)] as const))) as Record<(typeof names)[number], string>;
  for (const url of Object.values(urls)) await migratePostgres(url);
  await seedLeads(urls.queue, 0, RATE_ROUNDS * BACKLOG[100]);
  await seedLeads(urls.queue1, 0, RATE_ROUNDS * BACKLOG[1]);
  await settle(urls.queue);
  await settle(urls.queue1);

  const dialer = await startStub('noojee');
  const env = { NOOJEE_API_KEY: NOOJEE_STUB_KEY };
  const servers: Leadgate[] = [];
  const sqls: Sql[] = [];
  const load = new LoadGenerator();
  try {
    const plainRules = await writeBasicRules('rules-fwd-plain');
    const start = async (name: string, url: string, rulesDir: string, variant?: string) => {
      const server = await startLeadgate(name, { databaseUrl: url, rulesDir, env, ...(variant !== undefined ? { variant } : {}) });
      servers.push(server);
      return server;
    };
    const plain = await start('fwd-plain', urls.plain, plainRules);
    const plainVariant = await start('fwd-plain-variant', urls.plain_variant, plainRules, '');
    const queue = await start('fwd-queue', urls.queue, await writeForwardRules('rules-fwd-100', dialer.base, 100));
    const enqueue = await start('fwd-enqueue', urls.enqueue, await writeForwardRules('rules-fwd-enqueue', dialer.base, 100), '');
    const queue1 = await start('fwd-queue1', urls.queue1, await writeForwardRules('rules-fwd-1', dialer.base, 1));
    const queueSql = openSql(urls.queue);
    const queue1Sql = openSql(urls.queue1);
    sqls.push(queueSql, queue1Sql);

    const job = (base: string): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
      url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: CONNECTIONS,
      timeoutSec: 30,
      externalIdPrefix: 'f',
      check: 'single',
    });
    const slice = async (server: Leadgate, sql?: Sql): Promise<Slice> => {
      const before = sql && (await queueCounts(sql));
      const from = performance.now();
      const cpu = cpuMeter(server.pid, pgData);
      const run = await load.run({ ...job(server.base), durationSec: SLICE_SECONDS, phoneBlocks: allocatePhoneBlocks() });
      const used = cpu.stop();
      const after = sql && (await queueCounts(sql));
      if ((run.codes['0'] ?? 0) !== run.ok2xx || run.ok2xx === 0) throw new Error(`forward: answers other than code 0 from ${server.name}: ${JSON.stringify(run.codes)}`);
      return { run, cpu: used, before, after, seconds: (performance.now() - from) / 1000 };
    };
    const drained = async () => {
      for (const sql of [queueSql, queue1Sql]) if (!(await waitForEmptyQueue(sql, DRAIN_TIMEOUT_MS))) throw new Error(`forward: the queue did not drain within ${DRAIN_TIMEOUT_MS} ms`);
    };

    // warm-up (JIT, prepared statements, pools, the dialer connections), then statistics, as `dupcheck` does
    for (const server of servers) await load.run({ ...job(server.base), durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
    await drained();
    for (const url of Object.values(urls)) await settle(url);

    const cost = { plain: [] as Slice[], plainVariant: [] as Slice[], queue: [] as Slice[], enqueue: [] as Slice[] };
    const rate = { 100: [] as Slice[], 1: [] as Slice[] };
    const used = { 100: 0, 1: 0 };
    for (let i = 0; i < COST_ROUNDS; i += 1) {
      await drained();
      const order = [
        async () => cost.plain.push(await slice(plain)),
        async () => cost.queue.push(await slice(queue, queueSql)),
        async () => cost.plainVariant.push(await slice(plainVariant)),
        async () => cost.enqueue.push(await slice(enqueue)),
      ];
      for (const step of i % 2 === 0 ? order : order.reverse()) await step();
    }
    for (let i = 0; i < RATE_ROUNDS; i += 1) {
      for (const batch of [100, 1] as const) {
        await drained();
        const [server, sql] = batch === 100 ? [queue, queueSql] : [queue1, queue1Sql];
        used[batch] = await enqueueBacklog(sql, used[batch], BACKLOG[batch]);
        rate[batch].push(await slice(server, sql));
      }
    }
    await drained();
    const sanity = await deliverySanity(queueSql, queue1Sql, dialer.base);

    const rps = (slices: Slice[]) => median(slices.map((s) => s.run.rps));
    const cpuPerInsert = (slices: Slice[], side: 'leadgate' | 'postgres') => median(slices.map((s) => (s.cpu[side] * 1000) / s.run.ok2xx)).toFixed(2);
    const cpuPerLeadMs = (slices: Slice[]) => ({ leadgate: Number(cpuPerInsert(slices, 'leadgate')), postgres: Number(cpuPerInsert(slices, 'postgres')) });
    const cpuText = (slices: Slice[]) => `leadgate ${cpuPerInsert(slices, 'leadgate')} + PostgreSQL ${cpuPerInsert(slices, 'postgres')} ms`;
    const depths = (slices: Slice[]) => slices.map((s) => `${s.before!.queued}→${s.after!.queued}`).join(', ');
    const roundRatios = (a: Slice[], b: Slice[]) => a.map((s, i) => s.run.rps / b[i]!.run.rps);
    const insertRatios = roundRatios(cost.queue, cost.plain);
    const enqueueRatios = roundRatios(cost.enqueue, cost.plainVariant);
    const insertRatio = median(insertRatios);
    const enqueueRatio = median(enqueueRatios);
    const deliveryFigure = (batch: 100 | 1, target: number): BenchResult => {
      const slices = rate[batch];
      const ratios = slices.map((s) => deliveredPerSec(s) / s.run.rps);
      const ratio = median(ratios);
      const ranDry = slices.filter((s) => s.after!.queued === 0).length;
      return {
        name: `forwarding: delivery rate under the single-insert load, batch ${batch}`,
        value: round(median(slices.map(deliveredPerSec))),
        unit: `deliveries/s to a 0 ms Noojee (maxConcurrency 16, batch ${batch}${ranDry > 0 ? `; the backlog ran out in ${ranDry} of ${slices.length} slices: a lower bound` : ''})`,
        reference: `${round(rps(slices))} inserts/s in the same slices (plain leadgate: ${round(rps(cost.plain))})`,
        ratio: round(ratio, 2),
        target: `≥ ${target.toFixed(1)} × inserts/s (the queue does not ${target >= 1 ? 'grow' : 'grow faster than half the inserts'})`,
        pass: ratio >= target,
        cpuPerLeadMs: cpuPerLeadMs(slices),
        detail:
          `slice ratios ${ratios.map((r) => r.toFixed(2)).join('/')}; queue depth start→end ${depths(slices)} (backlog ${BACKLOG[batch].toLocaleString('en-US')}); ` +
          `vs plain leadgate's insert rate ${round(median(slices.map(deliveredPerSec)) / rps(cost.plain), 2)} ×; CPU per insert while delivering: ${cpuText(slices)}`,
      };
    };
    const results: BenchResult[] = [
      {
        name: 'forwarding: single-lead insert with a queue destination (worker running) vs without',
        value: round(rps(cost.queue)),
        unit: `inserts/s (server PG, ${CONNECTIONS} conn, batch 100, deliveries made during the load)`,
        reference: `${round(rps(cost.plain))} inserts/s without a destination`,
        ratio: round(insertRatio, 2),
        target: '≥ 0.9 × without',
        pass: insertRatio >= 0.9,
        cpuPerLeadMs: cpuPerLeadMs(cost.queue),
        detail:
          `ratio: median of the rounds' ${insertRatios.map((r) => r.toFixed(2)).join('/')}; slices ${cost.queue.map((s) => round(s.run.rps)).join('/')} vs ${cost.plain.map((s) => round(s.run.rps)).join('/')} inserts/s; ` +
          `p50 ${fmtMs(median(cost.queue.map((s) => s.run.latencyMs.p50)))} vs ${fmtMs(median(cost.plain.map((s) => s.run.latencyMs.p50)))} ms; ` +
          `queue depth start→end ${depths(cost.queue)}, ${round(median(cost.queue.map(deliveredPerSec)))} deliveries/s; ` +
          `CPU per insert ${cpuText(cost.queue)} vs ${cpuText(cost.plain)}; ${sanity}`,
      },
      {
        name: 'forwarding: enqueue cost alone (destination configured, no delivery worker)',
        value: round(rps(cost.enqueue)),
        unit: 'inserts/s (diagnosis server, no worker)',
        reference: `${round(rps(cost.plainVariant))} inserts/s, the same server without a destination`,
        ratio: round(enqueueRatio, 2),
        target: 'report',
        pass: true,
        cpuPerLeadMs: cpuPerLeadMs(cost.enqueue),
        detail: `rounds' ratios ${enqueueRatios.map((r) => r.toFixed(2)).join('/')}; slices ${cost.enqueue.map((s) => round(s.run.rps)).join('/')} vs ${cost.plainVariant.map((s) => round(s.run.rps)).join('/')}; CPU per insert ${cpuText(cost.enqueue)} vs ${cpuText(cost.plainVariant)}`,
      },
      deliveryFigure(100, 1.0),
      deliveryFigure(1, 0.5),
    ];
    ctx.figures.set('forward.plain.rps', rps(cost.plain));
    results.push(...(await benchClaimGrowth(ctx)));
    return results;
  } finally {
    await load.close();
    for (const sql of sqls) await sql.end({ timeout: 5 });
    for (const server of servers.reverse()) await server.stop();
    await dialer.stop();
  }
}

/** Every delivery delivered once: nothing left queued, refused or dead, and the dialer got exactly as many leads as were settled delivered. */
async function deliverySanity(queueSql: Sql, queue1Sql: Sql, dialerBase: string): Promise<string> {
  const a = await queueCounts(queueSql);
  const b = await queueCounts(queue1Sql);
  const dialer = (await (await fetch(`${dialerBase}/count`)).json()) as { calls: number; leads: number };
  const delivered = a.delivered + b.delivered;
  if (a.queued + b.queued + a.other + b.other > 0 || dialer.leads !== delivered) {
    throw new Error(`forward: deliveries not all delivered exactly once: ${JSON.stringify({ batch100: a, batch1: b, dialer })}`);
  }
  return `every delivery delivered once (${delivered.toLocaleString('en-US')} delivered, the dialer received ${dialer.leads.toLocaleString('en-US')} leads in ${dialer.calls.toLocaleString('en-US')} calls)`;
}
