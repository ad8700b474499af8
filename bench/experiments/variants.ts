/**
 * Diagnosis: before/after figures for proposed changes, through the benchmark's own harness.
 * Every variant gets its own database and its own server process (the product's `leadgate serve`
 * or bench/experiments/variant-server.ts); the load then visits them round-robin in short slices,
 * so a neighbour's burst on the shared machine is spread over all variants. Medians of the slices.
 *
 *   npx tsx bench/experiments/variants.ts SCENARIO [rounds] VARIANT...
 *   SCENARIO  single (insertLeadFast, 16 conn, dup check off; pgbench slices as the reference)
 *             proxy  (insertLeadFast with the duplicate check, 0 ms CRM, paced at a third of the first
 *                     variant's closed-loop rate, p99 against the echo route's at the same rate, as `npm run bench`)
 *             batch  (insertLeadsFast, 1,000 leads, 4 conn; BENCH_BATCH_CONNECTIONS=N for N)
 *   VARIANT   product                     leadgate serve, as npm run bench runs it
 *             v:LIST                      variant-server.ts with LEADGATE_VARIANT=LIST ('v:' = none)
 *             …+log=warn                  LOG_LEVEL=warn (no per-request log line)
 *             …+db:SETTING=VALUE          ALTER DATABASE … SET (e.g. db:synchronous_commit=off)
 *             …+ddl:no-gin|no-fk          drop the GIN index on leads.phones / the claims FK
 *   e.g. variants.ts batch 4 product v:hashed v:hashed,unnest-claims+ddl:no-fk
 */
import postgres from 'postgres';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { runExperiment } from '../harness/cleanup.js';
import { cpuMeter } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { runPgbench } from '../harness/pgbench.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { startLeadgate, startStub, writeBasicRules, writeCrmRules, type Leadgate } from '../harness/servers.js';
import { BATCH_CONNECTIONS } from '../scenarios/batch-http.js';
import { median } from '../harness/context.js';

const DDL: Record<string, string> = {
  'no-gin': 'drop index leads_phones_gin',
  'no-fk': 'alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk',
};

interface Running {
  spec: string;
  server: Leadgate;
  runs: LoadResult[];
  cpu: Array<{ leadgate: number; postgres: number; n: number }>;
}

async function main() {
  const [scenario = 'single', roundsText = '3', ...specs] = process.argv.slice(2);
  if (!['single', 'proxy', 'batch'].includes(scenario) || specs.length === 0) {
    console.error('usage: variants.ts single|proxy|batch [rounds] VARIANT...');
    process.exit(2);
  }
  const rounds = Number(roundsText);
  const pg = await startThrowawayPostgres();
  const crm = scenario === 'proxy' ? await startStub('crm') : undefined;
  const running: Running[] = [];
  for (const [i, spec] of specs.entries()) {
    const [kind, ...mods] = spec.split('+');
    const db = `variant_${i}`;
    const url = await pg.freshDatabase(db);
    await migratePostgres(url);
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const env: Record<string, string> = {};
    for (const mod of mods) {
      if (mod === 'log=warn') env.LOG_LEVEL = 'warn';
      else if (mod.startsWith('db:')) await admin.unsafe(`alter database ${db} set ${mod.slice(3).replace('=', ' = ')}`);
      else if (mod.startsWith('ddl:') && DDL[mod.slice(4)]) await admin.unsafe(DDL[mod.slice(4)]!);
      else throw new Error(`unknown modifier ${mod}`);
    }
    await admin.end();
    const rulesDir = crm ? await writeCrmRules(`rules-${i}`, crm.base) : await writeBasicRules(`rules-${i}`);
    const variant = kind === 'product' ? undefined : kind!.startsWith('v:') ? kind!.slice(2) : undefined;
    if (kind !== 'product' && variant === undefined) throw new Error(`unknown variant ${spec}`);
    const server = await startLeadgate(`variant-${i}`, { databaseUrl: url, rulesDir, env, ...(variant !== undefined ? { variant } : {}) });
    running.push({ spec, server, runs: [], cpu: [] });
  }
  const pgbenchDb = scenario === 'single' ? 'variant_pgbench' : undefined;
  if (pgbenchDb) await migratePostgres(await pg.freshDatabase(pgbenchDb));

  const load = new LoadGenerator();
  const batch = scenario === 'batch';
  const job = (base: string): Omit<LoadJob, 'durationSec' | 'phoneBlocks'> => ({
    url: `${base}${NOOJEE}/${batch ? 'insertLeadsFast' : 'insertLeadFast'}?${TARGET_QUERY}`,
    shape: batch ? 'batch' : 'single',
    leadsPerRequest: batch ? 1000 : 1,
    connections: batch ? BATCH_CONNECTIONS : 16,
    timeoutSec: 60,
    externalIdPrefix: 'v',
    check: batch ? 'batch' : 'single',
  });
  const warm: LoadResult[] = [];
  for (const r of running) warm.push(await load.run({ ...job(r.server.base), durationSec: 3, phoneBlocks: allocatePhoneBlocks() }));
  // proxy: as the benchmark measures it, at a paced rate (a third of the first variant's closed-loop rate), against the echo route
  const echo = scenario === 'proxy' ? await startStub('echo') : undefined;
  const rate = echo ? Math.max(20, Math.round(warm[0]!.rps / 3)) : undefined;
  const echoRuns: LoadResult[] = [];
  const pgbench: number[] = [];
  const seconds = batch ? 6 : 5;
  for (let round = 0; round < rounds; round += 1) {
    if (pgbenchDb) pgbench.push((await runPgbench(pg, pgbenchDb, { clients: 16, seconds: 4, name: 'pgbench-variants' })).tps);
    if (echo) echoRuns.push(await load.run({ ...job(echo.base), check: 'none', overallRate: rate, paced: true, durationSec: seconds, phoneBlocks: allocatePhoneBlocks() }));
    for (const r of running) {
      const cpu = cpuMeter(r.server.pid, `${pg.dir}/data`);
      const result = await load.run({ ...job(r.server.base), ...(rate ? { overallRate: rate, paced: true } : {}), durationSec: seconds, phoneBlocks: allocatePhoneBlocks() });
      const used = cpu.stop();
      const bad = Object.keys(result.codes).filter((c) => c !== '0');
      if (bad.length > 0) throw new Error(`${r.spec}: answers ${JSON.stringify(result.codes)}`);
      r.runs.push(result);
      r.cpu.push({ ...used, n: batch ? result.leadsOk / 1000 : result.ok2xx });
    }
  }
  const ref = pgbench.length > 0 ? median(pgbench) : undefined;
  const echoP99 = echoRuns.length > 0 ? median(echoRuns.map((x) => x.latencyMs.p99)) : undefined;
  if (echoP99) console.log(`\nproxy at ${rate} req/s (a third of the first variant's closed-loop ${warm[0]!.rps.toFixed(0)} req/s); echo p99 ${fmtMs(echoP99)} ms (${echoRuns.map((x) => fmtMs(x.latencyMs.p99)).join('/')})`);
  const unit = batch ? 'leads/s' : 'req/s';
  console.log(`\n${scenario}: medians of ${rounds} rounds of ${seconds} s slices${ref ? `; pgbench reference ${ref.toFixed(0)} TPS (${pgbench.map((t) => t.toFixed(0)).join('/')})` : ''}`);
  const base = median(running[0]!.runs.map((x) => (batch ? x.leadsPerSec : x.rps)));
  for (const r of running) {
    const achieved = median(r.runs.map((x) => (batch ? x.leadsPerSec : x.rps)));
    const lg = median(r.cpu.map((c) => (c.leadgate * 1000) / c.n));
    const pgCpu = median(r.cpu.map((c) => (c.postgres * 1000) / c.n));
    console.log(
      `  ${r.spec.padEnd(44)} ${achieved.toFixed(0).padStart(6)} ${unit}  ${(achieved / base).toFixed(2)}× first` +
        (ref ? `  ${(achieved / ref).toFixed(2)}× pgbench` : '') +
        (echoP99 ? `  p99 ${(median(r.runs.map((x) => x.latencyMs.p99)) / echoP99).toFixed(1)}× echo` : '') +
        `  p50 ${fmtMs(median(r.runs.map((x) => x.latencyMs.p50)))} p99 ${fmtMs(median(r.runs.map((x) => x.latencyMs.p99)))} ms` +
        `  CPU/${batch ? '1000 leads' : 'req'}: leadgate ${lg.toFixed(2)} PG ${pgCpu.toFixed(2)} ms  (slices ${r.runs.map((x) => (batch ? x.leadsPerSec : x.rps).toFixed(0)).join('/')})`,
    );
  }
  await load.close();
  await echo?.stop();
  for (const r of running) await r.server.stop();
  await crm?.stop();
}

runExperiment(main);
