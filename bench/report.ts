/**
 * Prints bench/results/latest.json as the Markdown table BENCHMARKS.md keeps: every figure with its
 * reference, ratio, target, pass/fail, CPU per lead, and when it was measured (and how busy the
 * shared machine was then).
 *   npx tsx bench/report.ts [results.json]
 */
import { readFileSync } from 'node:fs';
import type { ResultsFile } from './result.js';

const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url).pathname;
const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
const cell = (text: string) => text.replaceAll('|', '\\|');
const number = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));
const cpu = (c: ResultsFile['results'][number]['cpuPerLeadMs']) =>
  c ? [c.leadgate !== undefined ? `${c.leadgate} leadgate` : '', c.postgres !== undefined ? `${c.postgres} PostgreSQL` : ''].filter(Boolean).join(' + ') : '';

console.log('| part | figure | measured | reference (same run) | ratio | target | pass | CPU ms per lead |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results.results) {
  const pass = r.target === 'report' ? '—' : r.pass ? 'yes' : '**no**';
  console.log(`| ${r.part} | ${cell(r.name)} | ${number(r.value)} ${cell(r.unit)} | ${cell(r.reference)} | ${r.ratio} | ${cell(r.target)} | ${pass} | ${cpu(r.cpuPerLeadMs)} |`);
}
console.log('');
console.log(
  `Parts: ${Object.entries(results.parts)
    .map(([part, run]) => `${part} ${run.at.slice(0, 16).replace('T', ' ')}Z (load ${run.loadAverageAtStart[0]}${run.failed ? ', FAILED' : ''})`)
    .join('; ')}. Machine: ${results.machine.cpus} cores, ${results.machine.cpuModel ?? 'unknown CPU'}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}.`,
);
