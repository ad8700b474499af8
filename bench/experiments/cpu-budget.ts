/**
 * Diagnosis: where the machine's two cores go on the plain and the duplicate-checked single-lead
 * paths, closed loop at 16 connections: CPU per lead of leadgate, PostgreSQL, the CRM stub and the
 * load generator, and the machine's idle share (/proc/stat). Alternating slices.
 *   npx tsx bench/experiments/cpu-budget.ts [slices=3] [seconds=4]
 */
import { readFileSync } from 'node:fs';
import { runExperiment } from '../harness/cleanup.js';
import { cpuSeconds, postgresCpuSeconds } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator, type LoadJob } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { settle } from '../harness/seed.js';
import { startPlainAndChecked } from '../harness/servers.js';

const [slicesText = '3', secondsText = '4'] = process.argv.slice(2);

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!;
  return { busy: total - idle, total };
}

async function main() {
  const pg = await startThrowawayPostgres();
  const { crm, plain, checked, plainUrl, checkedUrl } = await startPlainAndChecked(pg, 'budget');
  const load = new LoadGenerator();
  const job = (base: string, prefix: string, durationSec: number): LoadJob => ({
    url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
    shape: 'single',
    leadsPerRequest: 1,
    connections: 16,
    timeoutSec: 30,
    externalIdPrefix: prefix,
    check: 'single',
    durationSec,
    phoneBlocks: allocatePhoneBlocks(),
  });
  await load.run(job(plain.base, 'wp', 2));
  await load.run(job(checked.base, 'wc', 2));
  await settle(plainUrl);
  await settle(checkedUrl);
  const pgDir = `${pg.dir}/data`;
  for (let i = 0; i < Number(slicesText); i += 1) {
    for (const [name, server] of [['plain', plain], ['checked', checked]] as const) {
      const before = { lg: cpuSeconds(server.pid), pg: postgresCpuSeconds(pgDir), crm: cpuSeconds(crm.pid), gen: cpuSeconds(load.pid!), m: machineTicks() };
      const r = await load.run(job(server.base, `${name[0]}${i}-`, Number(secondsText)));
      const m = machineTicks();
      const per = (s: number) => ((s / r.ok2xx) * 1000).toFixed(3);
      const lg = cpuSeconds(server.pid) - before.lg;
      const pgUsed = postgresCpuSeconds(pgDir) - before.pg;
      const crmUsed = cpuSeconds(crm.pid) - before.crm;
      const gen = cpuSeconds(load.pid!) - before.gen;
      const idle = 1 - (m.busy - before.m.busy) / (m.total - before.m.total);
      console.log(
        `${name.padEnd(7)} ${r.rps.toFixed(0).padStart(5)}/s  ms CPU per lead: leadgate ${per(lg)} PG ${per(pgUsed)} CRM stub ${per(crmUsed)} load ${per(gen)} = ${per(lg + pgUsed + crmUsed + gen)}; machine idle ${(idle * 100).toFixed(0)}%`,
      );
    }
  }
  await load.close();
  await checked.stop();
  await plain.stop();
  await crm.stop();
}

runExperiment(main);
