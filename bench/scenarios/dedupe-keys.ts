import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import type { BenchContext } from '../harness/context.js';
import { median, round } from '../harness/context.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { seedLeads, settle } from '../harness/seed.js';
import { startLeadgate, writeBasicRules, type Leadgate } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

const SMALL = 10_000;
const LARGE = Number(process.env.BENCH_DEDUPE_LARGE ?? 1_000_000);
/** closed loop: what an insert costs when the gateway is busy */
const CONNECTIONS = 16;
/** paced and light: latency, not queueing (as scenarios/dedupe.ts) */
const RATE = 100;
const SLICES = 3;
const SLICE_SECONDS = 4;

/** SPEC 3.1's example, on the fields the bench leads carry (benchLead: firstName, surname, email). */
const KEYS_DEDUPE = 'dedupe: { scope: campaign, windowDays: 90, on: [phone, email, [firstName, surname, phone]] }';

/**
 * The de-duplication keys' cost (issue "Duplicate windows and match keys"):
 *   1. insert cost with three match keys and a 90-day window against the phone key alone, forever
 *      (the short form), on equal stores of 10,000 leads: closed-loop throughput at 16 connections
 *      and p50 latency at a light paced load; target ≤ 1.3 × (throughput ≥ 1 / 1.3 ×);
 *   2. the same keys' p50 insert latency with 1,000,000 leads stored against 10,000: ≤ 1.3 ×.
 * The stores are seeded in bulk SQL as leadgate writes them (harness/seed.ts for leads and phone
 * claims; here the key claims in the campaign scope, and the backfill rows marked done, so no
 * background walk runs during the measurement). Slices alternate between the servers compared.
 *
 * Register in bench/run.ts: `import { benchDedupeKeys } from './scenarios/dedupe-keys.js';` and
 * `'dedupe-keys': benchDedupeKeys,` in BENCHES; run alone with `npm run bench -- dedupe-keys`.
 */
export async function benchDedupeKeys(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const phoneUrl = await pg.freshDatabase('bench_keys_phone_small');
  const keysSmallUrl = await pg.freshDatabase('bench_keys_small');
  const keysLargeUrl = await pg.freshDatabase('bench_keys_large');
  const seedStarted = performance.now();
  for (const url of [phoneUrl, keysSmallUrl, keysLargeUrl]) await migratePostgres(url);
  await seedLeads(phoneUrl, 0, SMALL);
  await seedLeads(keysSmallUrl, 0, SMALL);
  await seedLeads(keysLargeUrl, 0, LARGE);
  await seedKeyClaims(keysSmallUrl);
  await seedKeyClaims(keysLargeUrl);
  for (const url of [phoneUrl, keysSmallUrl, keysLargeUrl]) await settle(url);
  await settleKeyClaims(keysSmallUrl);
  await settleKeyClaims(keysLargeUrl);
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const phoneRules = await writeBasicRules('rules-keys-phone');
  const keysRules = await writeBasicRules('rules-keys');
  const dialer = join(keysRules, 'dialer.yaml');
  await writeFile(dialer, (await readFile(dialer, 'utf8')).replace('dedupe: campaign', KEYS_DEDUPE));

  const servers: Leadgate[] = [];
  const load = new LoadGenerator();
  try {
    const phone = await startLeadgate('keys-phone-small', { databaseUrl: phoneUrl, rulesDir: phoneRules });
    servers.push(phone);
    const small = await startLeadgate('keys-small', { databaseUrl: keysSmallUrl, rulesDir: keysRules });
    servers.push(small);
    const large = await startLeadgate('keys-large', { databaseUrl: keysLargeUrl, rulesDir: keysRules });
    servers.push(large);

    const job = (base: string, paced: boolean): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
      url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: paced ? 4 : CONNECTIONS,
      ...(paced ? { overallRate: RATE, paced: true } : {}),
      timeoutSec: 30,
      externalIdPrefix: 'k',
      check: 'single',
    });
    const slice = async (base: string, paced: boolean): Promise<LoadResult> => {
      const run = await load.run({ ...job(base, paced), durationSec: SLICE_SECONDS, phoneBlocks: allocatePhoneBlocks() });
      if ((run.codes['0'] ?? 0) !== run.ok2xx) throw new Error(`dedupe-keys: answers other than code 0: ${JSON.stringify(run.codes)}`);
      return run;
    };
    for (const server of servers) await load.run({ ...job(server.base, false), durationSec: 2, phoneBlocks: allocatePhoneBlocks() });

    const closed = { phone: [] as LoadResult[], keys: [] as LoadResult[] };
    const paced = { phone: [] as LoadResult[], keys: [] as LoadResult[], large: [] as LoadResult[] };
    for (let i = 0; i < SLICES; i += 1) {
      closed.phone.push(await slice(phone.base, false));
      closed.keys.push(await slice(small.base, false));
      paced.phone.push(await slice(phone.base, true));
      paced.keys.push(await slice(small.base, true));
      paced.large.push(await slice(large.base, true));
    }
    const rps = (runs: LoadResult[]) => median(runs.map((r) => r.rps));
    const p50 = (runs: LoadResult[]) => median(runs.map((r) => r.latencyMs.p50));
    const list = (runs: LoadResult[]) => runs.map((r) => fmtMs(r.latencyMs.p50)).join('/');
    const costRatio = rps(closed.phone) / rps(closed.keys);
    const latencyRatio = p50(paced.keys) / p50(paced.phone);
    const growth = p50(paced.large) / p50(paced.keys);
    return [
      {
        name: 'match keys: insert cost with 3 keys and a 90-day window vs the phone key forever',
        value: round(rps(closed.keys)),
        unit: `inserts/s (${CONNECTIONS} connections, ${SMALL.toLocaleString('en-US')} leads stored)`,
        reference: `${round(rps(closed.phone))} inserts/s with the phone key alone, forever`,
        ratio: round(costRatio, 2),
        target: '≤ 1.3 × the cost (throughput ≥ 1/1.3 ×)',
        pass: costRatio <= 1.3 && latencyRatio <= 1.3,
        detail: `paced ${RATE} req/s p50 ${fmtMs(p50(paced.keys))} vs ${fmtMs(p50(paced.phone))} ms (ratio ${round(latencyRatio, 2)}); slice p50s ${list(paced.keys)} vs ${list(paced.phone)} ms`,
      },
      {
        name: `match keys: p50 insert with ${LARGE.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} leads stored`,
        value: round(p50(paced.large), 2),
        unit: `ms p50 with ${LARGE.toLocaleString('en-US')} leads (${RATE} req/s paced, 3 keys, 90-day window)`,
        reference: `${fmtMs(p50(paced.keys))} ms p50 with ${SMALL.toLocaleString('en-US')} leads`,
        ratio: round(growth, 2),
        target: '≤ 1.3 × with 10,000',
        pass: growth <= 1.3,
        detail: `slice p50s ${list(paced.large)} vs ${list(paced.keys)} ms; seeding, vacuum, checkpoint: ${seedSeconds.toFixed(0)} s`,
      },
    ];
  } finally {
    await load.close();
    for (const server of servers.reverse()) await server.stop();
  }
}

/**
 * The key claims leadgate would have written for the seeded leads (harness/seed.ts: email
 * `seed<i>@example.com`, first name Sam, surname Benchmark), normalised as src/leads/match-keys.ts
 * does (ASCII here, so lower() is that normalisation), and the backfill rows marked done.
 */
async function seedKeyClaims(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`set maintenance_work_mem = '256MB'`);
    await sql.unsafe(`
      insert into key_claims (scope, key, value, lead_id, created_at)
      select 'c' || campaign_id, 'email', lower(fields->>'email'), id, created_at from leads
      union all
      select 'c' || campaign_id, 'firstName+surname+phone', lower(fields->>'firstName') || chr(31) || lower(fields->>'surname') || chr(31) || phones[1], id, created_at
      from leads`);
    await sql.unsafe(`
      insert into dedupe_backfills (template_id, scope, key, after_lead_id, until_lead_id, done_at)
      select 1, 'campaign', k, m, m, now() from (select coalesce(max(id), 0) as m from leads) as l,
        unnest(array['email', 'firstName+surname+phone']) as k`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function settleKeyClaims(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe('vacuum analyze key_claims');
    await sql.unsafe('checkpoint');
  } finally {
    await sql.end({ timeout: 5 });
  }
}
