import postgres from 'postgres';
import type { ClaimedCall, ClaimLimits, DeliverySettlement, DeliveryStore } from '../../src/forward/ports.js';
import { postgresRunner } from '../../src/store/backends/postgres-runner.js';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { createDeliveryStore } from '../../src/store/delivery-store.js';
import { runTogether, type SqlRunner } from '../../src/store/sql-runner.js';
import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { preciseCpuSeconds } from '../harness/cpu.js';
import { DESTINATION, enqueueBacklog, seedDeliveredHistory } from '../harness/delivery-queue.js';
import { seedLeads, settle } from '../harness/seed.js';
import type { BenchResult } from '../result.js';

const HISTORY = Number(process.env.BENCH_FORWARD_HISTORY ?? 1_000_000);
const SLICES = 5;
/** per slice: claims of 16 calls of 100 (the worker with a backlog), and of 16 calls of 1 */
const SHAPES = [
  { batch: 100, claimsPerSlice: 2 },
  { batch: 1, claimsPerSlice: 100 },
] as const;
const QUEUED = SLICES * SHAPES.reduce((n, s) => n + s.claimsPerSlice * 16 * s.batch, 0);
const limits = (batch: number): ClaimLimits => ({ maxConcurrency: 16, ratePerSecond: 0, batch, leaseMs: 60_000, horizonMs: 1000 });

interface Side {
  name: string;
  store: DeliveryStore;
  /** the one PostgreSQL backend the store's statements run on */
  backendPid: number;
  sql: postgres.Sql;
  /** the claim statement as the store sent it, with its parameters (for EXPLAIN) */
  claimStatement?: { text: string; params: readonly unknown[] };
}

interface Cost {
  deliveries: number;
  claimCpu: number;
  claimWall: number;
  settleCpu: number;
  settleWall: number;
}

/**
 * The queue's claim as the deliveries table keeps its history (issue: the claim must read the
 * partial index deliveries_due_idx of queued rows only). Two databases with the same queued
 * backlog (QUEUED deliveries of seeded leads); one also holds HISTORY delivered rows, inserted by
 * one generate_series statement, then vacuumed and analysed. The store's own claim and settle
 * (src/store/delivery-store.ts) run from the benchmark process on one connection each, in
 * alternating slices (0, 1M, 0, 1M…): each claim takes 16 calls of up to `batch` deliveries, and
 * they are then settled delivered, as the worker does after a 0 ms dialer. The cost per delivery is
 * the CPU time of that connection's PostgreSQL backend (/proc/<pid>/schedstat, nanoseconds) and the
 * wall time of the claim calls (five round trips: begin, lock, capacity, claim, commit). Target:
 * claim CPU per delivery with the history ≤ 1.3 × without (the bound SPEC 9 sets on the insert
 * path as the store grows, for the same reason: a larger table may deepen an index by a level, no
 * more), and EXPLAIN shows the claim's candidate scan on deliveries_due_idx, generic and custom plan.
 */
export async function benchClaimGrowth(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const sides: Side[] = [];
  try {
    const seedStarted = performance.now();
    for (const [name, history] of [['0', 0], [HISTORY.toLocaleString('en-US'), HISTORY]] as const) {
      const url = await pg.freshDatabase(`bench_fwd_claim_${history}`);
      await migratePostgres(url);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await seedLeads(url, 0, QUEUED);
      if (history > 0) await seedDeliveredHistory(sql, history);
      await enqueueBacklog(sql, 0, QUEUED);
      await settle(url);
      await sql.unsafe('vacuum analyze deliveries');
      const [backend] = await sql.unsafe<Array<{ pid: number }>>('select pg_backend_pid() as pid');
      const side: Side = { name, sql, backendPid: backend!.pid, store: undefined as unknown as DeliveryStore };
      side.store = createDeliveryStore(recording(postgresRunner(sql), side));
      sides.push(side);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const [empty, full] = sides as [Side, Side];

    const costs = new Map<string, Cost[]>();
    for (let i = 0; i < SLICES; i += 1) {
      for (const shape of SHAPES) {
        for (const side of sides) {
          const key = `${side.name}/${shape.batch}`;
          costs.set(key, [...(costs.get(key) ?? []), await claimSlice(side, shape.batch, shape.claimsPerSlice)]);
        }
      }
    }
    const plans = await explainClaim(full);
    const per = (key: string, what: 'claimCpu' | 'claimWall' | 'settleCpu') => median(costs.get(key)!.map((c) => (c[what] * 1e6) / c.deliveries));
    const figure = (batch: number) => {
      const cpu0 = per(`${empty.name}/${batch}`, 'claimCpu');
      const cpu1 = per(`${full.name}/${batch}`, 'claimCpu');
      const wall0 = per(`${empty.name}/${batch}`, 'claimWall');
      const wall1 = per(`${full.name}/${batch}`, 'claimWall');
      return { cpu0, cpu1, wall0, wall1, ratio: cpu1 / cpu0, wallRatio: wall1 / wall0, settle0: per(`${empty.name}/${batch}`, 'settleCpu'), settle1: per(`${full.name}/${batch}`, 'settleCpu') };
    };
    const b100 = figure(100);
    const b1 = figure(1);
    const us = (n: number) => n.toFixed(1);
    const planOk = plans.every((p) => p.usesDueIndex && !p.seqScanOnDeliveries && p.updateByPkey);
    return [
      {
        name: `forwarding: claim cost per delivery with ${full.name} delivered rows vs none`,
        value: round(b100.cpu1, 1),
        unit: `µs PostgreSQL CPU per delivery claimed (batch 100, 16 calls a claim; ${full.name} delivered rows)`,
        reference: `${us(b100.cpu0)} µs with no history`,
        ratio: round(b100.ratio, 2),
        target: '≤ 1.3 × with no history, the candidate scan on deliveries_due_idx, the update through deliveries_pkey',
        pass: b100.ratio <= 1.3 && b1.ratio <= 1.3 && planOk,
        detail:
          `claim wall time per delivery ${us(b100.wall1)} vs ${us(b100.wall0)} µs (${b100.wallRatio.toFixed(2)} ×); ` +
          `batch 1 (16 deliveries a claim): CPU ${us(b1.cpu1)} vs ${us(b1.cpu0)} µs (${b1.ratio.toFixed(2)} ×), wall ${us(b1.wall1)} vs ${us(b1.wall0)} µs (${b1.wallRatio.toFixed(2)} ×); ` +
          `settle CPU per delivery ${us(b100.settle1)} vs ${us(b100.settle0)} µs (batch 100), ${us(b1.settle1)} vs ${us(b1.settle0)} µs (batch 1); ` +
          `EXPLAIN with ${full.name} rows: ${plans.map((p) => `${p.mode} plan ${p.usesDueIndex ? 'scans deliveries_due_idx' : 'does NOT scan deliveries_due_idx'}${p.seqScanOnDeliveries ? ', seq scan on deliveries' : ''}, ${p.updateByPkey ? 'updates through deliveries_pkey' : 'does NOT update through deliveries_pkey alone'}`).join('; ')}; ` +
          `median of ${SLICES} alternating slices; seeding ${seedSeconds.toFixed(0)} s`,
      },
    ];
  } finally {
    for (const side of sides) await side.sql.end({ timeout: 5 });
  }
}

/** The store's runner, keeping the claim statement it sends (the one with the `candidates` CTE). */
function recording(runner: SqlRunner, side: Side): SqlRunner {
  const note = (text: string, params: readonly unknown[] = []) => {
    if (text.includes(' candidates as (')) side.claimStatement = { text, params };
  };
  return {
    query(text, params) {
      note(text, params);
      return runner.query(text, params);
    },
    transaction: (fn) => runner.transaction((tx) => fn(recording(tx, side))),
    pipeline(statements) {
      for (const s of statements) note(s.text, s.params);
      return runTogether(runner, statements);
    },
  };
}

async function claimSlice(side: Side, batch: number, claims: number): Promise<Cost> {
  const cost: Cost = { deliveries: 0, claimCpu: 0, claimWall: 0, settleCpu: 0, settleWall: 0 };
  for (let i = 0; i < claims; i += 1) {
    let cpu = preciseCpuSeconds(side.backendPid);
    let wall = performance.now();
    const calls = await side.store.claim(DESTINATION, limits(batch));
    cost.claimWall += (performance.now() - wall) / 1000;
    cost.claimCpu += preciseCpuSeconds(side.backendPid) - cpu;
    const count = calls.reduce((n, c) => n + c.deliveries.length, 0);
    if (count !== 16 * batch) throw new Error(`forward claim: expected ${16 * batch} deliveries, claimed ${count} (${side.name})`);
    cost.deliveries += count;
    cpu = preciseCpuSeconds(side.backendPid);
    wall = performance.now();
    for (const call of calls) await side.store.settle(call.token, delivered(call));
    cost.settleWall += (performance.now() - wall) / 1000;
    cost.settleCpu += preciseCpuSeconds(side.backendPid) - cpu;
  }
  return cost;
}

const delivered = (call: ClaimedCall): DeliverySettlement[] =>
  call.deliveries.map((d, i) => ({
    id: d.id,
    state: 'delivered',
    outcome: 'delivered',
    status: 200,
    answer: `{"index":${i},"code":0,"message":"OK","leadId":"${d.id}"}`,
    dialerLeadId: d.id,
    retryInMs: 0,
    uncertain: false,
    request: { method: 'POST', url: 'http://dialer/servicemanager/rest/CampaignAPI/insertLeadsFast?apiKey=[redacted]' },
    latencyMs: 1,
  }));

interface PlanCheck {
  mode: 'generic' | 'custom';
  usesDueIndex: boolean;
  seqScanOnDeliveries: boolean;
  /** the UPDATE reads the claimed rows through deliveries_pkey, with no CTE joined in (rescanned per row) */
  updateByPkey: boolean;
}

/** EXPLAIN of the claim statement the store sent, prepared, as a generic and as a custom plan. */
async function explainClaim(side: Side): Promise<PlanCheck[]> {
  const claim = side.claimStatement;
  if (!claim) throw new Error('forward claim: the claim statement was not seen');
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  const checks: PlanCheck[] = [];
  await side.sql.begin(async (tx) => {
    await tx.unsafe(`prepare bench_claim as ${claim.text}`);
    for (const mode of ['generic', 'custom'] as const) {
      await tx.unsafe(`set local plan_cache_mode = force_${mode}_plan`);
      const [row] = await tx.unsafe<Array<{ 'QUERY PLAN': unknown }>>(`explain (format json) execute bench_claim(${claim.params.map(literal).join(', ')})`);
      const nodes = flatten((row!['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan);
      const update = nodes.find((n) => n['Node Type'] === 'ModifyTable' && n.Operation === 'Update' && n['Relation Name'] === 'deliveries');
      const rowSource = (update?.Plans ?? []).filter((n) => n['Parent Relationship'] !== 'InitPlan').flatMap(flatten);
      checks.push({
        updateByPkey: rowSource.some((n) => n['Index Name'] === 'deliveries_pkey') && !rowSource.some((n) => n['Node Type'] === 'CTE Scan'),
        mode,
        usesDueIndex: nodes.some((n) => n['Index Name'] === 'deliveries_due_idx'),
        seqScanOnDeliveries: nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'deliveries'),
      });
    }
    await tx.unsafe('deallocate bench_claim');
  });
  return checks;
}

interface PlanNode {
  'Node Type': string;
  Operation?: string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];
