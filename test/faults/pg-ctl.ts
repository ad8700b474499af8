import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/*
 * pg_ctl on the throwaway server .ci/run started (scripts/throwaway-postgres.sh), for the tests
 * that restart it: LEADGATE_FAULT_PG_DIR is its folder, PG_BIN its binaries, PG_OWNER the account
 * it runs as when we are root. Asynchronous, so the fakes served by this process keep answering.
 */
export const FAULT_PG_DIR = process.env.LEADGATE_FAULT_PG_DIR;

const run = promisify(execFile);

export async function pgCtl(...args: string[]): Promise<void> {
  const command = `${process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'}/pg_ctl`;
  const full = ['-D', `${FAULT_PG_DIR}/data`, '-w', '-t', '60', ...args];
  if (process.getuid?.() === 0) await run('runuser', ['-u', process.env.PG_OWNER ?? 'postgres', '--', command, ...full]);
  else await run(command, full);
}

export const stopPostgres = () => pgCtl('stop', '-m', 'fast');
export const startPostgres = () => pgCtl('start', '-l', `${FAULT_PG_DIR}/server.log`);
