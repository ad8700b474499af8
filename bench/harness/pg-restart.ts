import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';
import type { ThrowawayPostgres } from './postgres-server.js';
import { sleep } from './procs.js';

const run = promisify(execFile);

/** When the server went down and came back, in Date.now() milliseconds. */
export interface PgRestart {
  /** just before `pg_ctl stop -m immediate` was run */
  stopAt: number;
  /** `pg_ctl stop` returned: the server is gone */
  stoppedAt: number;
  /** just before `pg_ctl start` was run */
  startAt: number;
  /** `pg_ctl start -w` returned: the server accepts connections again */
  backAt: number;
}

/**
 * `pg_ctl` on the throwaway server's data directory (scripts/throwaway-postgres.sh), as the user
 * that owns it: initdb refuses root, so when the benchmark runs as root the script runs the server
 * as `postgres`. The owner is read from the data directory itself, so no user name is guessed.
 */
async function pgCtl(pg: ThrowawayPostgres, args: string[]): Promise<void> {
  const data = `${pg.dir}/data`;
  const owner = statSync(data);
  const asOwner = process.getuid?.() === owner.uid ? {} : { uid: owner.uid, gid: owner.gid };
  await run(`${pg.bin}/pg_ctl`, ['-D', data, '-w', '-t', '60', ...args], { ...asOwner, cwd: pg.dir, timeout: 90_000 });
}

/**
 * Stops the server the hard way (`-m immediate`: every backend killed at once, no checkpoint, as a
 * crash would; the start then runs crash recovery), waits `downMs`, and starts it again with the
 * settings in its postgresql.conf (the script writes them there, so a plain start restores them).
 * If anything fails after the stop, the server is started again anyway, so the parts after this
 * one still have it.
 */
export async function restartPostgres(pg: ThrowawayPostgres, downMs: number): Promise<PgRestart> {
  let down = false;
  const startAgain = async () => {
    if (!down) return;
    down = false;
    await pgCtl(pg, ['start', '-l', `${pg.dir}/server.log`]);
  };
  // Ctrl-C while it is down: start it, so the script's own stop (pg_ctl stop, then rm) finds it as it left it
  const unregister = onCleanup('PostgreSQL restart', startAgain);
  try {
    const stopAt = Date.now();
    down = true;
    await pgCtl(pg, ['stop', '-m', 'immediate']);
    const stoppedAt = Date.now();
    await sleep(downMs);
    const startAt = Date.now();
    await startAgain();
    return { stopAt, stoppedAt, startAt, backAt: Date.now() };
  } finally {
    await startAgain().catch((error: unknown) => console.error(`PostgreSQL did not start again: ${error instanceof Error ? error.message : String(error)}`));
    unregister();
  }
}
