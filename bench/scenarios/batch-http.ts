import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { NewLead } from '../../src/pipeline/ports.js';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { cpuMeter, cpuPer } from '../harness/cpu.js';
import { allocatePhoneBlocks, benchLead, NOOJEE, phoneOf, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator } from '../harness/load.js';
import { startLeadgate, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const LEADS = 1_000;
export const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 4);
const SECONDS = 8;

/** 1,000 leads as validation would hand them to the store (template 1, campaign 10, allocation 100). */
export function newLeads(blocks: number[], from: number, count = LEADS): NewLead[] {
  return Array.from({ length: count }, (_, i) => {
    const national = phoneOf(blocks, from + i)!;
    const { phone: _phone, njExternalLeadId: _id, ...rest } = benchLead(national, `f${national}`);
    return {
      templateId: 1,
      campaignId: 10,
      allocationId: 100,
      externalId: `f${national}`,
      status: null,
      callbackAt: null,
      priority: 10,
      contactHours: 'Melbourne',
      fields: { phone: national, ...rest },
      phones: [`+61${national.slice(1)}`],
      dedupe: 'campaign',
    };
  });
}

/** The batch load: insertLeadsFast of 1,000 leads, BATCH_CONNECTIONS requests in flight. */
export function batchJob(base: string) {
  return {
    url: `${base}${NOOJEE}/insertLeadsFast?${TARGET_QUERY}`,
    shape: 'batch' as const,
    leadsPerRequest: LEADS,
    connections: BATCH_CONNECTIONS,
    timeoutSec: 60,
    externalIdPrefix: 'b',
    check: 'batch' as const,
  };
}

/**
 * SPEC 9 batch insert: insertLeadsFast with 1,000 leads a request (four requests in flight, so
 * leadgate's parsing and validation overlap PostgreSQL's work), duplicate check off, on server
 * PostgreSQL; at least 20,000 leads/s, and at least 0.85 × the same-run reference, the store's
 * floor: the same batches written through leadgate's own store code (createLeadStore().insertLeads,
 * the bulk statements in a transaction) from the benchmark process, with no HTTP, JSON or
 * validation. `cpuPerLeadMs`: leadgate's and PostgreSQL's CPU per lead, the figures that stay
 * comparable when a shared machine's neighbours move the throughput.
 */
export async function benchBatchHttp(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const url = await pg.freshDatabase('bench_batch');
  const leadgate = await startLeadgate('batch', { databaseUrl: url, rulesDir: await writeBasicRules('rules-batch') });
  const load = new LoadGenerator();
  try {
    const job = batchJob(leadgate.base);
    await load.run({ ...job, durationSec: 3, phoneBlocks: allocatePhoneBlocks() });
    const cpu = cpuMeter(leadgate.pid, `${pg.dir}/data`);
    const result = await load.run({ ...job, durationSec: SECONDS, phoneBlocks: allocatePhoneBlocks() });
    const used = cpu.stop();
    const bad = Object.entries(result.codes).filter(([code]) => code !== '0');
    if (bad.length > 0 || result.exhausted) throw new Error(`batch-http: unexpected answers ${JSON.stringify(result.codes)}${result.exhausted ? ' (phones exhausted)' : ''}`);
    await leadgate.stop();

    const floor = await storeFloor(url, allocatePhoneBlocks(), BATCH_CONNECTIONS, 6, `${pg.dir}/data`);
    const value = result.leadsPerSec;
    const ratio = value / floor.leadsPerSec;
    const perLead = (seconds: number) => (seconds * 1000) / result.leadsOk;
    return [
      {
        name: 'batch insert (insertLeadsFast, 1,000 leads/request, server PG)',
        value: round(value),
        unit: `leads/s (${BATCH_CONNECTIONS} requests in flight)`,
        reference: `${round(floor.leadsPerSec)} leads/s through the store code alone (no HTTP/validation), same batches`,
        ratio: round(ratio, 2),
        target: '≥ 20,000 leads/s and ≥ 0.85 × store floor',
        pass: value >= 20_000 && ratio >= 0.85,
        cpuPerLeadMs: { leadgate: round(perLead(used.leadgate), 4), postgres: round(perLead(used.postgres), 4) },
        detail:
          `${result.ok2xx} batches, latency p50 ${fmtMs(result.latencyMs.p50)} ms, p99 ${fmtMs(result.latencyMs.p99)} ms per 1,000-lead request; ` +
          `${cpuPer(used, result.leadsOk / 1000, '1,000 leads')}; store floor: ${floor.ms.toFixed(0)} ms per batch, ${cpuPer(floor.cpu, floor.batches, '1,000 leads')} (PostgreSQL part)`,
      },
    ];
  } finally {
    await load.close();
    await leadgate.stop();
  }
}

/** `connections` loops writing 1,000-lead batches through createLeadStore for `seconds`. */
async function storeFloor(url: string, blocks: number[], connections: number, seconds: number, pgDataDir: string) {
  const backend = await openPostgresBackend(url);
  const store = createLeadStore(backend.runner);
  let next = 0;
  let batches = 0;
  let leads = 0;
  let busyMs = 0;
  try {
    await store.insertLeads(newLeads(blocks, next, LEADS)); // warm-up
    next += LEADS;
    const cpu = cpuMeter(undefined, pgDataDir);
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < until) {
          const batch = newLeads(blocks, next, LEADS);
          next += LEADS;
          const t = performance.now();
          const outcomes = await store.insertLeads(batch);
          busyMs += performance.now() - t;
          batches += 1;
          leads += outcomes.filter((o) => o.kind === 'inserted').length;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return { leadsPerSec: leads / elapsed, batches, ms: busyMs / batches, cpu: cpu.stop() };
  } finally {
    await backend.close();
  }
}
