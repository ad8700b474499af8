import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The embedded store is one PostgreSQL running inside one process: a second process opening the
 * same folder gets its own copy in memory, and whichever closes last overwrites the other's
 * writes. So one process holds the folder at a time, recorded in `leadgate.lock` the way
 * PostgreSQL records its postmaster in `postmaster.pid`: a file created atomically, naming its
 * holder, taken over only when that process is gone.
 */
export const LOCK_FILE = 'leadgate.lock';

/** Who holds the folder; written into the lock file and shown to whoever is refused. */
export interface LockHolder {
  pid: number;
  host: string;
  /** what the holder runs: `serve` or `inject` */
  command: string;
  /** the holder's HTTP port, when it serves */
  port?: number;
  startedAt: string;
}

export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`the data folder ${dataDir} is in use by ${describeHolder(holder)}`);
    this.name = 'DataDirInUseError';
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process (its lock file cannot be read)';
  const what = holder.command === 'serve' ? `a leadgate server${holder.port ? ` on port ${holder.port}` : ''}` : `leadgate ${holder.command}`;
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return `${what} (pid ${holder.pid}${where}, since ${holder.startedAt})`;
}

/** Folders this process holds: a second open from the same process is refused like any other. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, command: String(parsed.command ?? 'unknown'), port: parsed.port, startedAt: String(parsed.startedAt ?? '?') };
  } catch {
    return undefined;
  }
}

/** A holder that is certainly gone: a dead pid on this host (a pid we hold ourselves is not ours if we never took it). */
function isStale(holder: LockHolder | undefined, dir: string): boolean {
  if (!holder || holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !heldHere.has(dir);
  return !isAlive(holder.pid);
}

/**
 * Takes the folder for this process or throws DataDirInUseError. The lock file appears with its
 * content in one step (written aside, then hard-linked into place, which fails if a file is
 * there), so a reader never sees a half-written holder.
 */
export async function lockDataDir(dataDir: string, who: Pick<LockHolder, 'command' | 'port'>): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  const file = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), ...who, startedAt: new Date().toISOString() };
  const draft = `${file}.${process.pid}.${Date.now()}`;
  await writeFile(draft, `${JSON.stringify(me)}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link(draft, file);
        heldHere.add(dir);
        return { file, release: () => releaseLock(dir, file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readHolder(file);
      if (attempt >= 2 || !isStale(holder, dir)) throw new DataDirInUseError(dataDir, holder);
      // The holder died without releasing (killed, crashed): its lock means nothing now.
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

async function releaseLock(dir: string, file: string): Promise<void> {
  if (!heldHere.delete(dir)) return;
  const holder = await readHolder(file);
  // Remove only our own lock: never one that a later holder took over.
  if (holder?.pid === process.pid && holder.host === hostname()) await unlink(file).catch(() => undefined);
}
