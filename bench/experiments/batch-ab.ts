/**
 * Diagnosis: the HTTP side of the batch part (batch-http) for two source trees in one run, so a
 * change to the batch path is judged against its "before": this working tree and BEFORE (a
 * checkout or `git archive` of the old commit, with node_modules beside it, and its admin UI built:
 * `npx tsx scripts/build-admin-ui.ts` there). Each tree gets its own database on one throwaway
 * PostgreSQL and its own leadgate (built from that tree by that tree's harness); slices of
 * insertLeadsFast (1,000 leads a request, 4 in flight) alternate between them. Medians of the
 * slices, CPU per 1,000 leads. The store side of the two trees: batch-store-cpu.ts.
 *   npx tsx bench/experiments/batch-ab.ts BEFORE [rounds=3] [seconds=5]
 */
import { resolve } from 'node:path';
import type * as serversModule from '../harness/servers.js';
import { runExperiment } from '../harness/cleanup.js';
import { median } from '../harness/context.js';
import { cpuMeter } from '../harness/cpu.js';
import { allocatePhoneBlocks } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { batchJob } from '../scenarios/batch-http.js';

type Servers = typeof serversModule;

interface Tree {
  name: string;
  servers: Servers;
  http: Array<{ leadsPerSec: number; leadgate: number; postgres: number }>;
}

const LEADS = 1_000;

async function loadTree(name: string, root: string): Promise<Tree> {
  return {
    name,
    servers: (await import(`${root}/bench/harness/servers.ts`)) as Servers,
    http: [],
  };
}

async function main() {
  const [before, roundsText = '3', secondsText = '5'] = process.argv.slice(2);
  if (!before) throw new Error('usage: batch-ab.ts BEFORE-TREE [rounds] [seconds]');
  const rounds = Number(roundsText);
  const seconds = Number(secondsText);
  const trees = [await loadTree('before', resolve(before)), await loadTree('after', resolve(import.meta.dirname, '../..'))];
  const pg = await startThrowawayPostgres();
  const dataDir = `${pg.dir}/data`;
  const load = new LoadGenerator();
  const running: Array<{ tree: Tree; server: Awaited<ReturnType<Servers['startLeadgate']>> }> = [];
  try {
    for (const tree of trees) {
      const url = await pg.freshDatabase(`ab_${tree.name}`);
      const server = await tree.servers.startLeadgate(`ab-${tree.name}`, { databaseUrl: url, rulesDir: await tree.servers.writeBasicRules(`rules-ab-${tree.name}`) });
      running.push({ tree, server });
    }
    const job = batchJob;
    for (const r of running) await load.run({ ...job(r.server.base), durationSec: 2, phoneBlocks: allocatePhoneBlocks() });
    for (let round = 0; round < rounds; round += 1) {
      for (const r of round % 2 === 0 ? running : [...running].reverse()) {
        const cpu = cpuMeter(r.server.pid, dataDir);
        const result = await load.run({ ...job(r.server.base), durationSec: seconds, phoneBlocks: allocatePhoneBlocks() });
        const used = cpu.stop();
        const bad = Object.keys(result.codes).filter((c) => c !== '0');
        if (bad.length > 0) throw new Error(`${r.tree.name}: answers ${JSON.stringify(result.codes)}`);
        const per = result.leadsOk / LEADS;
        r.tree.http.push({ leadsPerSec: result.leadsPerSec, leadgate: (used.leadgate * 1000) / per, postgres: (used.postgres * 1000) / per });
      }
    }
  } finally {
    await load.close();
    for (const r of running) await r.server.stop();
  }
  console.log(`\ninsertLeadsFast A/B, medians of ${rounds} rounds of ${seconds} s slices (CPU per 1,000 leads):`);
  for (const t of trees) {
    const m = (xs: number[]) => median(xs);
    const http = m(t.http.map((x) => x.leadsPerSec));
    console.log(
      `  ${t.name.padEnd(7)} ${http.toFixed(0).padStart(6)} leads/s, CPU leadgate ${m(t.http.map((x) => x.leadgate)).toFixed(1)} + PostgreSQL ${m(t.http.map((x) => x.postgres)).toFixed(1)} ms` +
        `  (slices ${t.http.map((x) => x.leadsPerSec.toFixed(0)).join('/')})`,
    );
  }
}

runExperiment(main);
