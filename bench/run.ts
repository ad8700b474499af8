import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchBatchVsSingle } from './batch-vs-single.js';
import { installSignalCleanup, isInterrupted, runCleanups } from './harness/cleanup.js';
import { BenchContext } from './harness/context.js';
import { releasePhoneBlocks } from './harness/leads.js';
import { mergeResults, type BenchResult, type KeptResult, type PartRun, type ResultsFile } from './result.js';
import { benchRuleEval } from './rule-eval.js';
import { benchBatchHttp } from './scenarios/batch-http.js';
import { benchDedupeGrowth } from './scenarios/dedupe.js';
import { benchDedupeKeys } from './scenarios/dedupe-keys.js';
import { benchForward } from './scenarios/forward.js';
import { benchDupCheck } from './scenarios/dupcheck.js';
import { benchMemory } from './scenarios/memory.js';
import { benchPglite } from './scenarios/pglite.js';
import { benchPgliteMemory } from './scenarios/pglite-memory.js';
import { benchResend } from './scenarios/resend.js';
import { benchSingle } from './scenarios/single.js';
import { benchSingleProcesses } from './scenarios/single-processes.js';
import { benchSoak } from './scenarios/soak.js';

/**
 * `npm run bench [-- name...]`: runs the named parts (all by default), prints a table and writes
 * bench/results/latest.json, where each part's figures replace that part's earlier ones and the
 * other parts' figures stay. Every figure comes with a reference measured in the same run. Parts
 * that need server PostgreSQL share one throwaway server (scripts/throwaway-postgres.sh), started
 * on first use and always stopped at the end, also on failure or Ctrl-C.
 */
const BENCHES: Record<string, (ctx: BenchContext) => Promise<BenchResult[]>> = {
  'rule-eval': async () => {
    const r = await benchRuleEval();
    return [
      {
        name: r.name,
        value: r.microsPerEval,
        unit: 'µs per 20-row table evaluation',
        reference: `${r.referenceMicros} µs for 20 hand-written lookups`,
        ratio: r.ratio,
        target: `≤ ${r.target} µs`,
        pass: r.pass,
        detail: r.detail,
      },
    ];
  },
  batch: async () => [await benchBatchVsSingle()],
  single: benchSingle,
  'single-processes': benchSingleProcesses,
  dupcheck: benchDupCheck,
  'batch-http': benchBatchHttp,
  dedupe: benchDedupeGrowth,
  'dedupe-keys': benchDedupeKeys,
  resend: benchResend,
  forward: benchForward,
  memory: benchMemory,
  pglite: benchPglite,
  'pglite-memory': benchPgliteMemory,
  soak: benchSoak,
};

const RESULTS_FILE = new URL('./results/latest.json', import.meta.url);

// the machine is shared: the 1/5/15-minute load averages say how busy it was around a part
const loadAverage = () => loadavg().map((l) => Math.round(l * 100) / 100);

const cpuText = (cpu: NonNullable<BenchResult['cpuPerLeadMs']>) =>
  [cpu.leadgate !== undefined ? `leadgate ${cpu.leadgate}` : '', cpu.postgres !== undefined ? `PostgreSQL ${cpu.postgres}` : ''].filter(Boolean).join(' + ');

/** The kept results, or none when there are none yet (or they are from before figures were kept per part). */
async function readResults(): Promise<ResultsFile | undefined> {
  try {
    const file = JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as Partial<ResultsFile>;
    const perPart = typeof file.parts === 'object' && file.parts !== null && !Array.isArray(file.parts);
    return perPart && Array.isArray(file.results) ? (file as ResultsFile) : undefined;
  } catch {
    return undefined;
  }
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

async function main(names: string[]): Promise<number> {
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  const unknown = selected.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  installSignalCleanup();
  const ctx = new BenchContext();
  const results: KeptResult[] = [];
  const failures: string[] = [];
  const started = performance.now();
  const loadAverageAtStart = loadAverage();
  const parts: Record<string, PartRun> = {};
  try {
    for (const name of selected) {
      console.error(`running ${name}…`);
      const partStarted = performance.now();
      const at = new Date().toISOString();
      const partLoad = loadAverage();
      releasePhoneBlocks();
      let failed = false;
      try {
        results.push(...(await BENCHES[name]!(ctx)).map((r) => ({ part: name, at, ...r })));
      } catch (error) {
        failed = true;
        failures.push(name);
        console.error(`${name} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      }
      const seconds = Math.round((performance.now() - partStarted) / 1000);
      parts[name] = { at, seconds, loadAverageAtStart: partLoad, loadAverageAtEnd: loadAverage(), failed };
      console.error(`  ${name}: ${seconds} s`);
    }
  } finally {
    await ctx.close();
    await runCleanups();
  }
  const totalSeconds = Math.round((performance.now() - started) / 1000);
  console.table(
    results.map((r) => ({
      benchmark: r.name,
      value: `${fmt(r.value)} ${r.unit}`,
      reference: r.reference,
      ratio: r.ratio,
      target: r.target,
      pass: r.pass ? 'yes' : 'NO',
      'CPU ms/lead': r.cpuPerLeadMs ? cpuText(r.cpuPerLeadMs) : '',
    })),
  );
  for (const r of results) if (r.detail) console.log(`- ${r.name}: ${r.detail}`);
  console.log(
    `total ${totalSeconds} s (${Object.entries(parts).map(([k, v]) => `${k} ${v.seconds} s`).join(', ')}); load average ${loadAverageAtStart.join(' ')} at the start`,
  );
  if (failures.length > 0) console.error(`failed: ${failures.join(', ')}`);

  if (isInterrupted()) return 130; // an interrupted run leaves the last complete results alone
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const merged = mergeResults(await readResults(), { machine, parts, results });
  const carried = Object.keys(merged.parts).filter((part) => !(part in parts));
  if (carried.length > 0) console.log(`kept from earlier runs in ${RESULTS_FILE.pathname}: ${carried.map((p) => `${p} (${merged.parts[p]!.at})`).join(', ')}`);
  await writeFile(RESULTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
  return failures.length > 0 ? 2 : results.every((r) => r.pass) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
