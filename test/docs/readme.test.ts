import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, CLI, ROOT, TSX, startServerProcess, type ServerProcess } from '../support/cli-process.js';
import { readmeSteps, type Expectation } from './readme-steps.js';

/**
 * Runs the README's shell examples in order, in one shell, against a fresh server started as
 * `npm start` starts it (embedded store, a copy of the shipped rules), and compares every `#>`
 * answer with what was printed. `README_RECORD=1` writes the answers into the README instead,
 * for a person to review in the diff.
 */
const README = join(ROOT, 'README.md');
const RECORD = process.env.README_RECORD === '1';
const DOCUMENTED_PORT = 8080;

/** What differs from run to run, in the README and in the answers alike. */
export function normalise(text: string, port: number): string {
  return text
    .replaceAll(`:${port}`, `:${DOCUMENTED_PORT}`)
    .replaceAll(`port ${port}`, `port ${DOCUMENTED_PORT}`)
    .replace(/\b[0-9a-f]{64}\b/g, '<sha256>')
    .replace(/(?:\/[\w.-]+)+\/(?=leads\.csv)/g, '<dir>/')
    .replace(/ in [\d.]+ s \([\d,]+ rows\/s\)/g, ' in <s> s (<n> rows/s)')
    .replace(/\(RSS\): \d+ MB/g, '(RSS): <n> MB')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/lg_[A-Za-z0-9_-]{20,}/g, 'lg_<key>')
    .replace(/"(prefix)":"lg_[A-Za-z0-9_-]+"/g, '"$1":"lg_<prefix>"')
    .replace(/"(latencyMs|ms)":\d+(?:\.\d+)?/g, '"$1":<ms>')
    .replace(/\b(pid) \d+/g, '$1 <pid>')
    .replace(/\bsince [^)]+\)/g, 'since <time>)')
    .trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The shipped rules, with the demo connect pointed at the port this run serves on. */
async function copyRules(to: string, port: number): Promise<void> {
  await cp(join(ROOT, 'rules'), to, { recursive: true });
  for (const entry of await readdir(to, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (text.includes(`:${DOCUMENTED_PORT}/`)) await writeFile(file, text.replaceAll(`:${DOCUMENTED_PORT}/`, `:${port}/`));
  }
}

/** One bash for the whole README, so variables set in one block serve the next, as for a reader. */
class Shell {
  private output = '';
  private waiting: (() => void) | undefined;
  private readonly bash: ChildProcessWithoutNullStreams;
  private segment = 0;

  constructor(
    private readonly cwd: string,
    env: Record<string, string | undefined>,
  ) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env });
    this.bash.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.includes('@@DONE@@')) this.waiting?.();
    });
    this.bash.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.bash.stdin.write("exec 2>&1\n__expect() { printf '\\n@@EXPECT %s@@\\n' \"$1\"; }\n");
  }

  /** Runs a piece of the README (stdin closed, as a pasted block has none) and returns what it printed. */
  async run(script: string, timeoutMs = 120_000): Promise<string> {
    const file = join(this.cwd, `.readme-step-${this.segment++}.sh`);
    await writeFile(file, `${script}\n`);
    this.output = '';
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`README step did not finish in ${timeoutMs} ms; printed so far:\n${this.output}`)), timeoutMs);
      this.waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.bash.stdin.write(`source ${JSON.stringify(file)} </dev/null; printf '\\n@@DONE@@\\n'\n`);
    await done;
    return this.output.slice(0, this.output.indexOf('@@DONE@@'));
  }

  close(): void {
    this.bash.stdin.end();
    this.bash.kill();
  }
}

/** Splits a step's output at its expectation markers: what was printed before each `#>` group. */
function splitOutput(output: string): { printed: Map<number, string>; rest: string } {
  const printed = new Map<number, string>();
  const parts = output.split(/\n?@@EXPECT (\d+)@@\n/);
  for (let i = 1; i < parts.length; i += 2) printed.set(Number(parts[i]), parts[i - 1]!);
  return { printed, rest: parts.at(-1) ?? '' };
}

interface Mismatch {
  line: number;
  expected: string;
  actual: string;
}

describe('the README examples', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answer exactly as the README shows, run in order against a fresh server', async () => {
    const readme = await readFile(README, 'utf8');
    const steps = readmeSteps(readme);
    expect(steps.filter((s) => s.kind === 'shell').length).toBeGreaterThan(10);

    const work = await mkdtemp(join(tmpdir(), 'leadgate-readme-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const port = await freePort();
    await copyRules(join(work, 'rules'), port);
    const bin = join(work, '.bin');
    await mkdir(bin);
    await writeFile(join(bin, 'npx'), `#!/bin/sh\nif [ "$1" = leadgate ]; then shift; exec "${process.execPath}" --import "${TSX}" "${CLI}" "$@"; fi\necho "npx $1: the README test runs only npx leadgate" >&2; exit 127\n`);
    await chmod(join(bin, 'npx'), 0o755);

    const serverEnv = { PORT: String(port), LEADGATE_DATA_DIR: 'data', RULES_DIR: 'rules' };
    let server: ServerProcess = await startServerProcess(serverEnv, work);
    cleanups.push(() => server.stop());
    const shellEnv = childEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, TZ: 'UTC' });
    delete shellEnv.LOG_LEVEL;
    const shell = new Shell(work, shellEnv);
    cleanups.push(() => shell.close());

    const mismatches: Mismatch[] = [];
    const recorded: Array<{ expectation: Expectation; actual: string }> = [];
    for (const step of steps) {
      if (step.kind === 'start') {
        await server.stop();
        server = await startServerProcess({ ...serverEnv, ...step.env }, work);
        continue;
      }
      const script = step.script.replaceAll(`:${DOCUMENTED_PORT}`, `:${port}`);
      const { printed, rest } = splitOutput(await shell.run(script));
      for (const expectation of step.expectations) {
        const actual = printed.get(expectation.id) ?? '';
        const want = normalise(expectation.lines.join('\n'), port);
        const got = normalise(actual, port);
        if (want === got) continue;
        mismatches.push({ line: expectation.line, expected: want, actual: got });
        recorded.push({ expectation, actual: asDocumented(actual, port, work) });
      }
      if (rest.trim() !== '') mismatches.push({ line: step.line, expected: '(nothing: the README shows no answer here)', actual: normalise(rest, port) });
    }

    if (RECORD) {
      await writeFile(README, record(readme, recorded));
      return;
    }
    const report = mismatches.map((m) => `README.md:${m.line}\n  expected: ${m.expected}\n  actual:   ${m.actual}`).join('\n\n');
    expect(mismatches, `README examples that answer otherwise (README_RECORD=1 rewrites them):\n\n${report}`).toEqual([]);
  }, 300_000);
});

/** An answer as the README shows it: the documented port, and the reader's own folder instead of the test's. */
function asDocumented(actual: string, port: number, work: string): string {
  return actual.trim().replaceAll(work, '/home/you/leadgate').replaceAll(`:${port}`, `:${DOCUMENTED_PORT}`).replaceAll(`port ${port}`, `port ${DOCUMENTED_PORT}`);
}

/** The README with every `#>` group that answered otherwise replaced by what was printed. */
function record(readme: string, recorded: Array<{ expectation: Expectation; actual: string }>): string {
  const lines = readme.split('\n');
  for (const { expectation, actual } of [...recorded].sort((a, b) => b.expectation.line - a.expectation.line)) {
    const replacement = (actual === '' ? [''] : actual.split('\n')).map((l) => (l === '' ? '#>' : `#> ${l}`));
    lines.splice(expectation.line - 1, expectation.lines.length, ...replacement);
  }
  return lines.join('\n');
}
