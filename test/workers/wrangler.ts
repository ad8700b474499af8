import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the pinned wrangler from node_modules, offline: telemetry and the `Request.cf` download off,
 * logs and local state in a temporary folder. `wrangler dev` and its workerd run in a process
 * group of their own, so stopping kills both, and a test process that exits any other way still
 * kills them.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

function wranglerEnv(logDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_LOG_PATH: logDir, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** `wrangler deploy --dry-run --outdir <outdir>`: the real build (rules step included), no upload. */
export async function buildWorker(outdir: string, env: Record<string, string> = {}): Promise<RunResult> {
  const logDir = await mkdtemp(join(tmpdir(), 'leadgate-wrangler-log-'));
  try {
    const child = spawn(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, env: wranglerEnv(logDir, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, output };
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export interface WranglerDev {
  url: string;
  /** everything wrangler and the Worker printed so far */
  output(): string;
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  rulesDir: string;
  /** becomes CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE */
  databaseUrl: string;
  /** [vars] overrides and secrets, as `--var NAME:VALUE` */
  vars: Record<string, string>;
  readyTimeoutMs?: number;
  /** the /healthz status that means "started" (a misconfigured Worker answers 500) */
  readyStatus?: number;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `wrangler dev` on 127.0.0.1 and waits until /healthz answers (200, unless told otherwise). */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const state = await mkdtemp(join(tmpdir(), 'leadgate-wrangler-dev-'));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort)];
  args.push('--show-interactive-dev-session=false', '--persist-to', join(state, 'persist'));
  for (const [name, value] of Object.entries(options.vars)) args.push('--var', `${name}:${value}`);
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: wranglerEnv(join(state, 'logs'), {
      RULES_DIR: options.rulesDir,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: options.databaseUrl,
    }),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const onExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const stop = async () => {
    process.off('exit', onExit);
    killGroup(child, 'SIGTERM');
    const forced = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(forced);
    await rm(state, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited before it was ready:\n${output}`);
    }
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === (options.readyStatus ?? 200), () => false);
    if (ok) break;
    if (Date.now() > until) {
      await stop();
      throw new Error(`wrangler dev was not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => output, stop };
}

/** A connection string miniflare accepts for a Hyperdrive binding: it insists on a password. */
export function withPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.password) url.password = 'unused-by-trust-auth';
  return url.toString();
}
