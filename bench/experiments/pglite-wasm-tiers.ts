/**
 * Diagnosis: what V8's WebAssembly compilers change for the embedded store, without HTTP. Each
 * variant is a child process with its own node flags, holding the store (PGlite on a fresh data
 * dir, the product's settings) and taking turns with the others: a slice of single-lead inserts
 * at 16 concurrent callers (group commit, as the product writes them), then a slice of 1,000-lead
 * batches. CPU per lead comes from process.cpuUsage() (every thread of the child: the database,
 * the store's JavaScript and any background compilation), which a busy shared machine inflates far
 * less than rates. Medians of the slices, and each child's VmHWM at the end.
 *
 *   npx tsx bench/experiments/pglite-wasm-tiers.ts [rounds=5] [VARIANT...]
 *   VARIANT  node flags and store options, separated by '+' ('' = the store's defaults):
 *            --FLAG          a node / V8 flag for the child (e.g. --liftoff-only)
 *            turbofan        the store's `wasm: 'optimizing'` (V8's default tiering, not Liftoff only)
 *            pg:NAME=VALUE   a PostgreSQL setting over PGLITE_SETTINGS
 *   e.g. pglite-wasm-tiers.ts 6 turbofan '' turbofan+--wasm-num-compilation-tasks=1 pg:shared_buffers=128MB
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExperiment, onCleanup } from '../harness/cleanup.js';
import { storeLead } from '../harness/leads.js';
import { memoryMiB } from '../harness/procs.js';
import { median } from '../harness/context.js';

const CONCURRENCY = 16;
const SLICE_MS = 3_000;

const lead = storeLead;

type Job = { kind: 'single' | 'batch' };
type Answer = { leads: number; cpuMs: number; wallMs: number };

/** the child: the store, and a slice of work per message */
async function child(dataDir: string, variant: string) {
  const { openPgliteBackend } = await import('../../src/store/backends/pglite.js');
  const { createLeadStore } = await import('../../src/store/lead-store.js');
  const parts = variant.split('+');
  const settings = Object.fromEntries(parts.filter((p) => p.startsWith('pg:')).map((p) => p.slice(3).split('=') as [string, string]));
  const backend = await openPgliteBackend(dataDir, { settings, wasm: parts.includes('turbofan') ? 'optimizing' : 'baseline' });
  const store = createLeadStore(backend.runner);
  let next = 0;
  const runJob = async (job: Job): Promise<void> => {
    const until = performance.now() + SLICE_MS;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let leads = 0;
    if (job.kind === 'single') {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < until) {
            const [outcome] = await store.insertLeads([lead((next += 1))]);
            if (outcome?.kind !== 'inserted') throw new Error(`unexpected ${JSON.stringify(outcome)}`);
            leads += 1;
          }
        }),
      );
    } else {
      while (performance.now() < until) {
        const outcomes = await store.insertLeads(Array.from({ length: 1_000 }, () => lead((next += 1))));
        leads += outcomes.filter((o) => o.kind === 'inserted').length;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    process.send!({ leads, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 } satisfies Answer);
  };
  // a failed job ends the child, and the parent sees it exit
  process.on('message', (job: Job) => void runJob(job).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  }));
  process.send!('ready');
  process.on('disconnect', () => void backend.close().finally(() => process.exit(0)));
}

async function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 5;
  const flagSets = args.length > 0 ? args : ['turbofan', ''];
  const temp = await mkdtemp(join(tmpdir(), 'leadgate-wasm-tiers-'));
  onCleanup('wasm-tiers temp dir', () => rm(temp, { recursive: true, force: true }));
  const children: Array<{ flags: string; proc: ChildProcess; single: Answer[]; batch: Answer[] }> = [];
  for (const [i, flags] of flagSets.entries()) {
    const execArgv = [...flags.split('+').filter((f) => f.startsWith('--')), '--import', 'tsx'];
    const proc = fork(fileURLToPath(import.meta.url), ['--child', join(temp, `store-${i}`), flags], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanup(`wasm-tiers child ${i}`, () => void proc.kill());
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`child ${flags || '(none)'} exited ${code}`)));
    });
    children.push({ flags: flags.replaceAll('+', ' ') || '(store defaults)', proc, single: [], batch: [] });
  }
  const ask = (proc: ChildProcess, job: Job) =>
    new Promise<Answer>((resolve) => {
      proc.once('message', (answer: Answer) => resolve(answer));
      proc.send(job);
    });
  // a first round as warm-up (compilation, tier-up, caches), not counted
  for (let round = 0; round <= rounds; round += 1) {
    for (const c of children) {
      const single = await ask(c.proc, { kind: 'single' });
      const batch = await ask(c.proc, { kind: 'batch' });
      if (round > 0) {
        c.single.push(single);
        c.batch.push(batch);
      }
    }
  }
  const perLead = (xs: Answer[]) => median(xs.map((x) => x.cpuMs / x.leads));
  const rate = (xs: Answer[]) => median(xs.map((x) => x.leads / (x.wallMs / 1000)));
  const first = children[0]!;
  console.log(`\nstore without HTTP, PGlite on disk; medians of ${rounds} rounds of ${SLICE_MS / 1000} s slices; CPU of the whole child process`);
  for (const c of children) {
    console.log(
      `  ${c.flags.padEnd(52)} single: ${perLead(c.single).toFixed(3)} ms CPU/lead (${(perLead(c.single) / perLead(first.single)).toFixed(2)}× first), ${rate(c.single).toFixed(0)} leads/s` +
        `  batch: ${(perLead(c.batch) * 1000).toFixed(0)} ms CPU/1,000 (${(perLead(c.batch) / perLead(first.batch)).toFixed(2)}× first), ${rate(c.batch).toFixed(0)} leads/s` +
        `  VmHWM ${Math.round((memoryMiB(c.proc.pid!)?.hwm ?? NaN) * 1.048576)} MB (tsx included)`,
    );
  }
  for (const c of children) c.proc.disconnect();
}

if (process.argv[2] === '--child') void child(process.argv[3]!, process.argv[4] ?? '');
else runExperiment(main);
