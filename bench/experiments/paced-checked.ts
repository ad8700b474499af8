/**
 * Diagnosis: the duplicate-check path under paced load, slice after slice, to see whether a slow
 * slice is leadgate or the load generator. Prints each slice's p50/p99 and achieved rate, with
 * leadgate's CPU and its in-flight/queued gauge from /metrics.
 *   npx tsx bench/experiments/paced-checked.ts [rate=480] [slices=4] [seconds=6]
 */
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { BenchContext } from '../harness/context.js';
import { runCleanups } from '../harness/cleanup.js';
import { cpuMeter, cpuSeconds } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator } from '../harness/load.js';
import { settle } from '../harness/seed.js';
import { startLeadgate, startStub, writeCrmRules } from '../harness/servers.js';

const [rate = 480, slices = 4, seconds = 6] = process.argv.slice(2).map(Number);
const ctx = new BenchContext();
try {
  const pg = await ctx.postgres();
  const url = await pg.freshDatabase('exp_paced');
  await migratePostgres(url);
  const crm = await startStub('crm');
  const leadgate = await startLeadgate('paced', { databaseUrl: url, rulesDir: await writeCrmRules('rules-paced', crm.base) });
  const load = new LoadGenerator();
  const job = { url: `${leadgate.base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, shape: 'single' as const, leadsPerRequest: 1, connections: 16, timeoutSec: 30, externalIdPrefix: 'p', check: 'single' as const };
  const warm = await load.run({ ...job, durationSec: 4, phoneBlocks: allocatePhoneBlocks() });
  console.log(`closed loop: ${Math.round(warm.rps)} req/s`);
  await settle(url);
  for (let i = 0; i < slices; i += 1) {
    const cpu = cpuMeter(leadgate.pid, `${pg.dir}/data`);
    const others0 = [cpuSeconds(load.pid!), cpuSeconds(crm.pid)];
    const r = await load.run({ ...job, overallRate: rate, paced: true, durationSec: seconds, phoneBlocks: allocatePhoneBlocks() });
    const used = cpu.stop();
    const metrics = await (await fetch(`${leadgate.base}/metrics`)).text();
    const pick = (re: RegExp) => metrics.split('\n').filter((l) => re.test(l)).join('; ');
    console.log(`  ${pick(/^leadgate_nodejs_eventloop_lag_(p99|max|mean)_seconds /)}`);
    console.log(`  ${pick(/^leadgate_nodejs_gc_duration_seconds_(sum|count)/)}`);
    const [generator, crmCpu] = [cpuSeconds(load.pid!) - others0[0]!, cpuSeconds(crm.pid) - others0[1]!];
    console.log(
      `slice ${i}: achieved ${Math.round(r.rps)} req/s, p50 ${fmtMs(r.latencyMs.p50)} p99 ${fmtMs(r.latencyMs.p99)} max ${fmtMs(r.latencyMs.max)} ms; ` +
        `leadgate ${Math.round((used.leadgate / used.wall) * 100)}% of a core, PostgreSQL ${Math.round((used.postgres / used.wall) * 100)}%, load generator ${Math.round((generator / used.wall) * 100)}%, CRM stub ${Math.round((crmCpu / used.wall) * 100)}%; codes ${JSON.stringify(r.codes)}`,
    );
  }
  await load.close();
  await leadgate.stop();
  await crm.stop();
} finally {
  await ctx.close();
  await runCleanups();
}
