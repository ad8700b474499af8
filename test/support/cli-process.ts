import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
/** tsx by path, so a child started in another folder finds it */
export const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** The environment a CLI child gets: this process's, less whatever would pick its store, rules, keys or port, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(DATABASE_URL|TEST_DATABASE_URL|LEADGATE_|RULES_DIR|LOG_LEVEL|PORT$|VITEST|NODE_OPTIONS|FORCE_COLOR)/.test(k)) inherited[k] = v;
  }
  return { ...inherited, LOG_LEVEL: 'info', ...env };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `leadgate <args>` to its end, as a user would (through tsx, from the sources). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** every JSON log line so far */
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** SIGTERM, and the exit code */
  stop(): Promise<number | null>;
}

/** `leadgate serve` as its own process, resolved once it logs server.listening. */
export function startServerProcess(env: Record<string, string | undefined>, cwd = ROOT): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve'], { cwd, env: childEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(entry);
      if (entry.event === 'server.listening') {
        const port = entry.port as number;
        resolve({
          child,
          port,
          base: `http://127.0.0.1:${port}`,
          lines,
          stderr: () => stderr,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
  });
}
