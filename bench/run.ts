import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { benchBatchVsSingle } from './batch-vs-single.js';
import type { BenchResult } from './result.js';
import { benchRuleEval } from './rule-eval.js';

/**
 * `npm run bench [-- name...]`: runs the named benchmarks (all by default), prints a table and
 * writes bench/results/latest.json. Every figure comes with a reference measured in the same run.
 */
const BENCHES: Record<string, () => Promise<BenchResult>> = {
  'rule-eval': async () => {
    const r = await benchRuleEval();
    return {
      name: r.name,
      value: r.microsPerEval,
      unit: 'µs per 20-row table evaluation',
      reference: `${r.referenceMicros} µs for 20 hand-written lookups`,
      ratio: r.ratio,
      target: `≤ ${r.target} µs`,
      pass: r.pass,
    };
  },
  batch: () => benchBatchVsSingle(),
};

async function main(names: string[]): Promise<number> {
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  const unknown = selected.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  const results: BenchResult[] = [];
  for (const name of selected) {
    console.error(`running ${name}…`);
    results.push(await BENCHES[name]!());
  }
  console.table(results.map((r) => ({ benchmark: r.name, value: `${r.value} ${r.unit}`, reference: r.reference, ratio: r.ratio, target: r.target, pass: r.pass ? 'yes' : 'NO' })));
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2)}\n`);
  return results.every((r) => r.pass) ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
