import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { onCleanup, withTimeout } from './cleanup.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A throwaway PostgreSQL 15 server started by scripts/throwaway-postgres.sh in a bash child.
 * The bash child keeps running until its stdin closes: closing it (or the benchmark dying, which
 * closes the pipe too) makes it exit, and the script's EXIT trap stops the server and deletes its
 * data directory. The child is its own process group, so Ctrl-C reaches only the benchmark, which
 * then stops it in order.
 */
export interface ThrowawayPostgres {
  /** postgres://leadgate@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  /** bin directory of the server (pgbench, psql) */
  bin: string;
  /** the same server, another database */
  databaseUrl(database: string): string;
  /** drops and creates a database; returns its URL */
  freshDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
}

const BASH = `
set -e
source scripts/throwaway-postgres.sh
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
start_throwaway_postgres
echo "READY $THROWAWAY_PG_URL $THROWAWAY_PG_DIR $PG_BIN"
read -r _ || true
`;

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const child: ChildProcess = spawn('bash', ['-c', BASH], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    try {
      await withTimeout(exited, 20_000, 'throwaway PostgreSQL stop');
    } catch {
      child.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'throwaway PostgreSQL stop (SIGTERM)').catch(() => undefined);
    }
  };
  const unregister = onCleanup('throwaway PostgreSQL', stop);

  const ready = await withTimeout(
    new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((l) => l.startsWith('READY '));
        if (line) resolve(line);
      });
      void exited.then((code) => reject(new Error(`throwaway PostgreSQL did not start (exit ${code}):\n${stderr}`)));
    }),
    120_000,
    'throwaway PostgreSQL start',
  ).catch(async (error: unknown) => {
    await stop();
    unregister();
    throw error;
  });
  const [, url, dir, bin] = ready.trim().split(' ') as [string, string, string, string];
  const port = Number(new URL(url).port);
  const databaseUrl = (database: string) => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  return {
    url,
    port,
    dir,
    bin,
    databaseUrl,
    async freshDatabase(database) {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${database} with (force)`);
        await sql.unsafe(`create database ${database}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
      return databaseUrl(database);
    },
    async stop() {
      await stop();
      unregister();
    },
  };
}
