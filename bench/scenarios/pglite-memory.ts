import { openPgliteBackend } from '../../src/store/backends/pglite.js';
import { round } from '../harness/context.js';
import { allocatePhoneBlocks, benchLead, NOOJEE, phoneOf, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { memoryMiB, sleep, type Service } from '../harness/procs.js';
import { startLeadgate, startStub, writeBasicRules, type Leadgate } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

/** SPEC 9: the embedded default's RSS, first start (creating the database) included */
export const PGLITE_RSS_TARGET_MB = 250;
const CONNECTIONS = 16;
const LOAD_SECONDS = 6;
const BATCHES = 5;
const IDLE_MS = 3_000;

const mb = (mib: number) => round(mib * 1.048576);

/** VmRSS / VmHWM of one process every 100 ms, from the moment it is spawned. */
class MemoryTrace {
  private timer: NodeJS.Timeout;
  private last: { rss: number; hwm: number } = { rss: NaN, hwm: NaN };

  constructor(readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample() {
    const m = memoryMiB(this.pid);
    if (m) this.last = m;
  }

  /** now: VmRSS; peak: VmHWM, the kernel's high-water mark since the process started */
  read(): { rssMB: number; peakMB: number } {
    this.sample();
    return { rssMB: mb(this.last.rss), peakMB: mb(this.last.hwm) };
  }

  stop() {
    clearInterval(this.timer);
  }
}

async function startTraced(name: string, rulesDir: string): Promise<{ server: Leadgate; trace: MemoryTrace; startMs: number }> {
  let trace: MemoryTrace | undefined;
  const started = performance.now();
  const server = await startLeadgate(name, { rulesDir, onSpawn: (s: Service) => (trace = new MemoryTrace(s.pid)) });
  return { server, trace: trace!, startMs: Math.round(performance.now() - started) };
}

/** `count` insertLeadsFast requests of 1,000 fresh leads, one after another; the leads answered code 0. */
async function postBatches(base: string, count: number): Promise<number> {
  const blocks = allocatePhoneBlocks();
  let ok = 0;
  for (let b = 0; b < count; b += 1) {
    const leads = Array.from({ length: 1_000 }, (_, i) => {
      const phone = phoneOf(blocks, b * 1_000 + i)!;
      return benchLead(phone, `pmb${phone}`);
    });
    const res = await fetch(`${base}${NOOJEE}/insertLeadsFast?${TARGET_QUERY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(leads) });
    const answer = (await res.json()) as { counts?: Record<string, number> };
    if (res.status !== 200 || answer.counts?.['0'] !== 1_000) throw new Error(`pglite-memory: batch ${b} answered ${res.status} ${JSON.stringify(answer)}`);
    ok += 1_000;
  }
  return ok;
}

/**
 * SPEC 9 memory, embedded default: leadgate started exactly as `npm start` starts it (built to plain
 * JS, no DATABASE_URL, so PGlite in LEADGATE_DATA_DIR) on a fresh temp data dir. The process's
 * VmRSS / VmHWM are read from /proc from the moment it is spawned:
 *   - first start: VmHWM when it first answers /readyz (the database made, migrated);
 *   - idle: VmRSS 3 s later;
 *   - single-insert load: VmHWM after 6 s of single-lead inserts at 16 connections (duplicate
 *     check off): the peak of first start, idle and load together, at most 250 MB;
 *   - batches (reported): five 1,000-lead batches, one after another, on top;
 *   - second start: killed (SIGKILL), started again on the same data dir (which it recovers),
 *     VmHWM when ready and after 3 s idle, at most 250 MB.
 * The same-run reference is the bare Hono echo process (Node and an HTTP server, nothing else)
 * under the same single-insert load. After the second stop (SIGTERM) the data dir is opened from
 * here and must hold every lead that was answered code 0: nothing accepted is lost when the
 * process is killed.
 */
export async function benchPgliteMemory(): Promise<BenchResult[]> {
  const rulesDir = await writeBasicRules('rules-pglite-memory');
  const load = new LoadGenerator();
  const echo = await startStub('echo');
  let first: Awaited<ReturnType<typeof startTraced>> | undefined;
  let second: Awaited<ReturnType<typeof startTraced>> | undefined;
  try {
    const single = { shape: 'single' as const, leadsPerRequest: 1, connections: CONNECTIONS, durationSec: LOAD_SECONDS, timeoutSec: 30 };
    const path = `${NOOJEE}/insertLeadFast?${TARGET_QUERY}`;
    const echoTrace = new MemoryTrace(echo.pid);
    const echoIdle = echoTrace.read();
    await load.run({ ...single, url: `${echo.base}${path}`, phoneBlocks: allocatePhoneBlocks(), externalIdPrefix: 'e', check: 'none' });
    const echoLoaded = echoTrace.read();
    echoTrace.stop();

    // first start, on an empty data dir
    first = await startTraced('pglite-memory', rulesDir);
    const firstStart = first.trace.read();
    await sleep(IDLE_MS);
    const firstIdle = first.trace.read();
    const run = await load.run({ ...single, url: `${first.server.base}${path}`, phoneBlocks: allocatePhoneBlocks(), externalIdPrefix: 'pm', check: 'single' });
    if ((run.codes['0'] ?? 0) !== run.ok2xx || run.non2xx + run.errors > 0) throw new Error(`pglite-memory: single inserts answered ${JSON.stringify(run.codes)}, ${run.non2xx} non-2xx, ${run.errors} errors`);
    const afterSingles = first.trace.read();
    const batchLeads = await postBatches(first.server.base, BATCHES);
    const afterBatches = first.trace.read();
    first.trace.stop();
    // killed, not stopped: what was answered must already be on disk (the second start recovers)
    const killed = new Promise<void>((resolve) => first!.server.child.once('exit', () => resolve()));
    first.server.child.kill('SIGKILL');
    await killed;
    await first.server.stop();
    const accepted = run.leadsOk + batchLeads;

    // second start, on the database the first one left
    second = await startTraced('pglite-memory', rulesDir);
    const secondStart = second.trace.read();
    await sleep(IDLE_MS);
    const secondIdle = second.trace.read();
    second.trace.stop();
    await second.server.stop();

    // every lead answered code 0 must be in the data dir (a request cut off when the load phase
    // ended may have stored a lead without its answer being counted, so there may be a few more)
    const store = await openPgliteBackend(first.server.dataDir);
    const rows = await store.runner.query<{ n: number }>('select count(*)::int as n from leads');
    await store.close();
    const stored = rows[0]?.n ?? 0;
    if (stored < accepted) throw new Error(`pglite-memory: ${accepted} leads were answered code 0, the data dir holds ${stored} after a SIGKILL and a restart`);

    const echoRef = `${echoLoaded.peakMB} MB peak RSS of the bare Hono echo process under the same load (${echoIdle.rssMB} MB at rest)`;
    const target = `≤ ${PGLITE_RSS_TARGET_MB} MB`;
    return [
      {
        name: 'memory: PGlite first start (empty data dir), peak RSS',
        value: firstStart.peakMB,
        unit: 'MB VmHWM when ready',
        reference: echoRef,
        ratio: round(firstStart.peakMB / echoLoaded.peakMB, 2),
        target,
        pass: firstStart.peakMB <= PGLITE_RSS_TARGET_MB,
        detail: `ready in ${first.startMs} ms (the database made and migrated); RSS ${firstStart.rssMB} MB when ready, ${firstIdle.rssMB} MB after ${IDLE_MS / 1000} s idle`,
      },
      {
        name: 'memory: PGlite peak RSS, first start + idle + single inserts, 16 conn',
        value: afterSingles.peakMB,
        unit: 'MB VmHWM',
        reference: echoRef,
        ratio: round(afterSingles.peakMB / echoLoaded.peakMB, 2),
        target,
        pass: afterSingles.peakMB <= PGLITE_RSS_TARGET_MB,
        detail: `${run.ok2xx} single inserts in ${LOAD_SECONDS} s (${round(run.rps)}/s); RSS ${afterSingles.rssMB} MB after them`,
      },
      {
        name: `memory: PGlite RSS after ${BATCHES} batches of 1,000 on top`,
        value: afterBatches.rssMB,
        unit: 'MB RSS',
        reference: `${afterSingles.rssMB} MB before them`,
        ratio: round(afterBatches.rssMB / afterSingles.rssMB, 2),
        target: 'report',
        pass: true,
        detail:
          `VmHWM ${afterBatches.peakMB} MB; leadgate's V8 heap keeps each batch's large strings until a full collection; ` +
          `all ${accepted} accepted leads were in the data dir after a SIGKILL and a restart (${stored} rows)`,
      },
      {
        name: 'memory: PGlite second start (after a SIGKILL), peak RSS',
        value: secondIdle.peakMB,
        unit: 'MB VmHWM 3 s after ready',
        reference: echoRef,
        ratio: round(secondIdle.peakMB / echoLoaded.peakMB, 2),
        target,
        pass: secondIdle.peakMB <= PGLITE_RSS_TARGET_MB,
        detail: `ready in ${second.startMs} ms (crash recovery included) at VmHWM ${secondStart.peakMB} MB; RSS ${secondIdle.rssMB} MB after ${IDLE_MS / 1000} s idle`,
      },
    ];
  } finally {
    first?.trace.stop();
    second?.trace.stop();
    await load.close();
    await first?.server.stop();
    await second?.server.stop();
    await echo.stop();
  }
}
