/**
 * Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=DIR npm run bench -- <part>): self time by
 * function and by package / source folder, and inclusive time of the functions that matter.
 *   npx tsx bench/experiments/profile-summary.ts DIR/dupcheck-checked.cpuprofile [top=25] [filter-regex]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topText, filter] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [top] [inclusive-filter-regex]');
  process.exit(2);
}
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// self time per node from samples and time deltas (µs)
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  if (!url) return '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `pkg ${nm[1]}`;
  const src = /\/(src\/[^/]+(?:\/[^/]+)?)\//.exec(url) ?? /\/(src\/[^/]+)/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!;
  return url.replace(/^.*\//, '');
};
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|src|build)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const bySelf = new Map<string, number>();
const byWhere = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + us);
  byWhere.set(where(n.callFrame.url), (byWhere.get(where(n.callFrame.url)) ?? 0) + us);
}
console.log(`total sampled ${(total / 1e6).toFixed(2)} s`);
console.log('\n== self time by package / folder');
for (const [k, v] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log('\n== self time by function');
for (const [k, v] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);

// inclusive time: a sample counts once for every distinct function label on its stack
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    const key = label(n);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
const re = filter ? new RegExp(filter) : /src\//;
console.log(`\n== inclusive time, functions matching ${re}`);
for (const [k, v] of [...inclusive].filter(([k]) => re.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
