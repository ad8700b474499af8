import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces; fields after it are space-separated
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** user + system CPU seconds a process has used (its reaped children too, when `withChildren`). */
export function cpuSeconds(pid: number, withChildren = false): number {
  const f = statFields(pid);
  if (!f) return NaN;
  // after the command name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
  const own = Number(f[11]) + Number(f[12]);
  return (withChildren ? own + Number(f[13]) + Number(f[14]) : own) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used by a PostgreSQL server so far: the postmaster (with the backends it has reaped)
 * plus every live child process (backends, checkpointer, WAL writer…).
 */
export function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f && Number(f[1]) === postmaster) total += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  }
  return total;
}

/**
 * Read and write system calls a process has made so far (/proc/<pid>/io). Every socket write on
 * loopback also runs the receiving side's TCP work, so writes per lead count round trips and
 * wake-ups, a figure that load on the machine does not blur.
 */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { reads: field('syscr'), writes: field('syscw') };
  } catch {
    return { reads: NaN, writes: NaN };
  }
}

/** CPU (and leadgate's read/write system calls) used between `start()` and `stop()` by leadgate and by PostgreSQL. */
export function cpuMeter(leadgatePid: number | undefined, pgDataDir: string | undefined) {
  const lg0 = leadgatePid ? cpuSeconds(leadgatePid) : NaN;
  const io0 = leadgatePid ? syscalls(leadgatePid) : { reads: NaN, writes: NaN };
  const pg0 = pgDataDir ? postgresCpuSeconds(pgDataDir) : NaN;
  const wall0 = performance.now();
  return {
    stop() {
      const io = leadgatePid ? syscalls(leadgatePid) : { reads: NaN, writes: NaN };
      return {
        leadgate: leadgatePid ? cpuSeconds(leadgatePid) - lg0 : NaN,
        postgres: pgDataDir ? postgresCpuSeconds(pgDataDir) - pg0 : NaN,
        wall: (performance.now() - wall0) / 1000,
        syscallReads: io.reads - io0.reads,
        syscallWrites: io.writes - io0.writes,
      };
    },
  };
}

/** "leadgate 1.23 ms + PostgreSQL 0.45 ms CPU per request" */
export function cpuPer(cpu: { leadgate: number; postgres: number; syscallWrites?: number; syscallReads?: number }, count: number, what = 'request'): string {
  const ms = (s: number) => ((s * 1000) / count).toFixed(2);
  const parts = [];
  if (Number.isFinite(cpu.leadgate)) parts.push(`leadgate ${ms(cpu.leadgate)} ms`);
  if (Number.isFinite(cpu.postgres)) parts.push(`PostgreSQL ${ms(cpu.postgres)} ms`);
  const calls =
    cpu.syscallWrites !== undefined && Number.isFinite(cpu.syscallWrites) && cpu.syscallReads !== undefined
      ? ` (leadgate ${(cpu.syscallWrites / count).toFixed(1)} writes + ${(cpu.syscallReads / count).toFixed(1)} reads)`
      : '';
  return `${parts.join(' + ')} CPU per ${what}${calls}`;
}

/** CPU milliseconds per lead, for BenchResult.cpuPerLeadMs (NaN sides left out). */
export function cpuPerLead(cpu: { leadgate: number; postgres: number }, leads: number): { leadgate?: number; postgres?: number } {
  const ms = (s: number) => Math.round(((s * 1000) / leads) * 1000) / 1000;
  return {
    ...(Number.isFinite(cpu.leadgate) ? { leadgate: ms(cpu.leadgate) } : {}),
    ...(Number.isFinite(cpu.postgres) ? { postgres: ms(cpu.postgres) } : {}),
  };
}

/**
 * CPU seconds a process has run, from /proc/<pid>/schedstat (nanoseconds, so a single statement
 * can be measured: /proc/<pid>/stat counts 10 ms ticks).
 */
export function preciseCpuSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return NaN;
  }
}
