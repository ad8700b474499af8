/**
 * Diagnosis of the embedded store's memory and what its settings cost in throughput: each variant
 * is a server process of its own on a fresh PGlite data dir, and the single-insert load (16 conn,
 * duplicate check off) visits them round-robin in short slices, so a neighbour's burst on the
 * shared machine is spread over all of them. Medians of the slices; VmHWM from /proc.
 *
 *   npx tsx bench/experiments/pglite-settings.ts [rounds] VARIANT...
 *   VARIANT  product                   leadgate serve, as npm start runs it
 *            v:LIST                    bench/experiments/variant-server.ts with LEADGATE_VARIANT=LIST
 *                                      (pg:NAME=VALUE settings, pglite-initdb; 'v:' = the store's defaults)
 *            …+node=FLAGS              NODE_OPTIONS for that process (spaces as '_')
 *   e.g. pglite-settings.ts 4 v:pglite-initdb,pg:shared_buffers=128MB,pg:maintenance_work_mem=64MB v: product
 */
import { runExperiment } from '../harness/cleanup.js';
import { cpuMeter } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadResult } from '../harness/load.js';
import { memoryMiB, sleep, type Service } from '../harness/procs.js';
import { startLeadgate, writeBasicRules, type Leadgate } from '../harness/servers.js';
import { median } from '../harness/context.js';

interface Running {
  spec: string;
  name: string;
  variant?: string;
  env: Record<string, string>;
  server: Leadgate;
  startMs: number;
  firstStartMB: number;
  idleMB: number;
  runs: LoadResult[];
  /** CPU ms per insert (the whole process: HTTP, leadgate and the database), per slice */
  cpuMs: number[];
  batches: LoadResult[];
  /** CPU ms per 1,000-lead batch, per slice */
  batchCpuMs: number[];
}

const mb = (mib: number | undefined) => Math.round((mib ?? NaN) * 1.048576);
async function start(name: string, variant: string | undefined, env: Record<string, string>, rulesDir: string) {
  let pid = 0;
  const started = performance.now();
  const server = await startLeadgate(name, { rulesDir, env, ...(variant !== undefined ? { variant } : {}), onSpawn: (s: Service) => (pid = s.pid) });
  return { server, startMs: Math.round(performance.now() - started), hwmMB: mb(memoryMiB(pid)?.hwm) };
}

async function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 3;
  if (args.length === 0) {
    console.error('usage: pglite-settings.ts [rounds] VARIANT...');
    process.exit(2);
  }
  const rulesDir = await writeBasicRules('rules-pglite-settings');
  const running: Running[] = [];
  for (const [i, spec] of args.entries()) {
    const [kind, ...mods] = spec.split('+');
    const env: Record<string, string> = {};
    for (const mod of mods) {
      if (mod.startsWith('node=')) env.NODE_OPTIONS = mod.slice(5).replaceAll('_', ' ');
      else throw new Error(`unknown modifier ${mod}`);
    }
    const variant = kind === 'product' ? undefined : kind!.startsWith('v:') ? kind!.slice(2) : undefined;
    if (kind !== 'product' && variant === undefined) throw new Error(`unknown variant ${spec}`);
    const name = `pglite-settings-${i}`;
    const s = await start(name, variant, env, rulesDir);
    await sleep(2_000);
    running.push({ spec, name, ...(variant !== undefined ? { variant } : {}), env, server: s.server, startMs: s.startMs, firstStartMB: s.hwmMB, idleMB: mb(memoryMiB(s.server.pid)?.rss), runs: [], cpuMs: [], batches: [], batchCpuMs: [] });
  }

  const load = new LoadGenerator();
  const url = (r: Running, endpoint: string) => `${r.server.base}${NOOJEE}/${endpoint}?${TARGET_QUERY}`;
  const single = { shape: 'single' as const, leadsPerRequest: 1, connections: 16, timeoutSec: 30, externalIdPrefix: 's', check: 'single' as const };
  for (const r of running) await load.run({ ...single, url: url(r, 'insertLeadFast'), durationSec: 3, phoneBlocks: allocatePhoneBlocks() });
  for (let round = 0; round < rounds; round += 1) {
    for (const r of running) {
      const cpu = cpuMeter(r.server.pid, undefined);
      const result = await load.run({ ...single, url: url(r, 'insertLeadFast'), durationSec: 5, phoneBlocks: allocatePhoneBlocks() });
      r.cpuMs.push((cpu.stop().leadgate * 1000) / result.ok2xx);
      const bad = Object.keys(result.codes).filter((c) => c !== '0');
      if (bad.length > 0) throw new Error(`${r.spec}: answers ${JSON.stringify(result.codes)}`);
      r.runs.push(result);
      const batchCpu = cpuMeter(r.server.pid, undefined);
      const batch = await load.run({ url: url(r, 'insertLeadsFast'), shape: 'batch', leadsPerRequest: 1_000, connections: 1, durationSec: 3, timeoutSec: 60, externalIdPrefix: 'b', check: 'batch', phoneBlocks: allocatePhoneBlocks() });
      // (a batch cut off when the slice ends still used CPU; counted by the leads answered)
      r.batchCpuMs.push((batchCpu.stop().leadgate * 1000) / (batch.leadsOk / 1000));
      r.batches.push(batch);
    }
  }
  const loadedHwm = running.map((r) => mb(memoryMiB(r.server.pid)?.hwm));
  const loadedRss = running.map((r) => mb(memoryMiB(r.server.pid)?.rss));
  await load.close();

  // second start of each, on the data dir its first start made
  const second: Array<{ startMs: number; hwmMB: number }> = [];
  for (const r of running) {
    await r.server.stop();
    const s = await start(r.name, r.variant, r.env, rulesDir);
    second.push({ startMs: s.startMs, hwmMB: s.hwmMB });
    await s.server.stop();
  }

  const base = median(running[0]!.runs.map((x) => x.rps));
  const baseCpu = median(running[0]!.cpuMs);
  const baseBatchCpu = median(running[0]!.batchCpuMs);
  console.log(`\nsingle-lead inserts, 16 conn: medians of ${rounds} rounds of 5 s slices; memory in MB (VmHWM = peak since the process started)`);
  for (const [i, r] of running.entries()) {
    const rps = median(r.runs.map((x) => x.rps));
    console.log(
      `  ${r.spec.padEnd(72)} ${rps.toFixed(0).padStart(5)} inserts/s ${(rps / base).toFixed(2)}× first  p50 ${fmtMs(median(r.runs.map((x) => x.latencyMs.p50)))} p99 ${fmtMs(median(r.runs.map((x) => x.latencyMs.p99)))} ms` +
        `  CPU ${median(r.cpuMs).toFixed(2)} ms/insert ${(median(r.cpuMs) / baseCpu).toFixed(2)}× first` +
        `  (slices ${r.runs.map((x) => x.rps.toFixed(0)).join('/')})\n` +
        `  ${''.padEnd(72)} batches of 1,000: ${median(r.batches.map((b) => b.leadsPerSec)).toFixed(0)} leads/s, CPU ${median(r.batchCpuMs).toFixed(0)} ms/batch ${(median(r.batchCpuMs) / baseBatchCpu).toFixed(2)}× first\n` +
        `  ${''.padEnd(72)} first start ${r.firstStartMB} peak in ${r.startMs} ms, idle ${r.idleMB}, after load ${loadedRss[i]} (peak ${loadedHwm[i]}); second start ${second[i]!.hwmMB} peak in ${second[i]!.startMs} ms`,
    );
  }
}

runExperiment(main);
