import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup, withTimeout } from './cleanup.js';
import { CHILD_EXEC_ARGV } from './procs.js';

export interface LoadJob {
  /** full URL, query included */
  url: string;
  shape: 'single' | 'batch';
  /** leads per request body (1 for single) */
  leadsPerRequest: number;
  connections: number;
  durationSec: number;
  /** requests per second over all connections; unset = as fast as answers come back */
  overallRate?: number;
  /**
   * with overallRate: request i starts at i / rate s over `connections` keep-alive connections, its
   * latency timed from that start (as the floor client's), instead of autocannon's own rate limit,
   * which sends each connection's quota in a burst at the start of every second
   */
  paced?: boolean;
  timeoutSec: number;
  /**
   * single shape: every `resendEvery`-th request resends the phone of a lead sent at least
   * RESEND_LAG requests before (so already stored) under a new external id: a duplicate, as a
   * vendor resending a lead makes it. Unset: every lead new.
   */
  resendEvery?: number;
  /** phone blocks this phase owns (allocatePhoneBlocks) */
  phoneBlocks: number[];
  externalIdPrefix: string;
  /** how to read result codes from answers */
  check: 'single' | 'batch' | 'none';
}

export interface LoadResult {
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  /** 2xx answers per second */
  rps: number;
  /** of 2xx answers, in ms */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** result codes seen in answer bodies (and `httpNNN` for non-2xx, `httpNNN:code` when a single lead's answer names its code) */
  codes: Record<string, number>;
  /** leads answered code 0 */
  leadsOk: number;
  leadsPerSec: number;
  phonesUsed: number;
  /** requests that resent a stored phone (resendEvery) */
  resent: number;
  exhausted: boolean;
}

/** A forked autocannon process; runs jobs one after another. */
export class LoadGenerator {
  private child: ChildProcess;
  private unregister: () => void;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.unregister = onCleanup('load generator', () => this.close());
  }

  /** the generator's process, to meter its CPU (a saturated generator reports latency the server never caused) */
  get pid(): number | undefined {
    return this.child.pid;
  }

  run(job: LoadJob): Promise<LoadResult> {
    const child = this.child;
    const answer = new Promise<LoadResult>((resolve, reject) => {
      const onMessage = (message: { type: 'result'; result: LoadResult } | { type: 'error'; message: string }) => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (message.type === 'result') resolve(message.result);
        else reject(new Error(`load generator: ${message.message}`));
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`load generator exited (${code})`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    child.send({ type: 'run', job });
    return withTimeout(answer, (job.durationSec + job.timeoutSec + 30) * 1000, 'load phase');
  }

  async close(): Promise<void> {
    this.unregister();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    await withTimeout(exited, 5_000, 'load generator exit').catch(() => {
      this.child.kill('SIGKILL');
    });
  }
}

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
