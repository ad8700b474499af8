import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { onCleanup, withTimeout } from './cleanup.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** node flag for every child: stop with the benchmark */
export const EXIT_WITH_PARENT = ['--import', fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url))];
/** node flags for the benchmark's own TypeScript children (load generator, stubs) */
export const CHILD_EXEC_ARGV = [...EXIT_WITH_PARENT, '--import', 'tsx'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess, logFile?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before answering${logFile ? `:\n${tail(logFile)}` : ''}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) {
        await res.arrayBuffer();
        return;
      }
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})${logFile ? `:\n${tail(logFile)}` : ''}`);
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface Service {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM, a bounded wait, then SIGKILL */
  stop(): Promise<void>;
}

/** Starts a long-running child process with stdout and stderr going to `logFile`. */
export function startService(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string }): Service {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: options.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    try {
      await withTimeout(exited, 15_000, `${name} stop`);
    } catch {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const unregister = onCleanup(name, stop);
  return {
    name,
    pid: child.pid!,
    child,
    logFile: options.logFile,
    async stop() {
      await stop();
      unregister();
    },
  };
}

/** Resident set size of a process, in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number | undefined {
  return memoryMiB(pid)?.rss;
}

/**
 * A process's resident set now (VmRSS) and its peak since it started (VmHWM, the kernel's
 * high-water mark: no sampling can miss a spike), in MiB, from /proc/<pid>/status (Linux).
 */
export function memoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return rss && hwm ? { rss: Number(rss) / 1024, hwm: Number(hwm) / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak and the mean. */
export function sampleRss(pid: number, everyMs = 200) {
  const samples: number[] = [];
  const timer = setInterval(() => {
    const v = rssMiB(pid);
    if (v !== undefined) samples.push(v);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const peak = samples.length > 0 ? Math.max(...samples) : NaN;
      const mean = samples.length > 0 ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
      return { peakMiB: peak, meanMiB: mean, samples: samples.length };
    },
  };
}
