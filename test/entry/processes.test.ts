import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedStoreRefusal } from '../../src/entry/cluster-primary.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli-process.js';
import { databaseUrl } from '../support/database-url.js';
import { BASIC_RULES } from '../support/test-app.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * LEADGATE_PROCESSES: several server processes on one port (node:cluster), seen as an operator
 * meets them: real processes, real PostgreSQL. Server PostgreSQL only, except the refusals.
 */

const KEY = 'processes-key';
const QUERY = `apiKey=${KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`;
const INSERT = `/servicemanager/rest/CampaignAPI/insertLeadFast?${QUERY}`;

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function insert(server: ServerProcess, phone: string, requestId: string): Promise<{ code: number }> {
  const res = await fetch(`${server.base}${INSERT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ phone }),
  });
  return (await res.json()) as { code: number };
}

/** The pid of the process that logged each of these requests. */
const pidsOf = (server: ServerProcess, requestIds: readonly string[]) =>
  new Set(server.lines.filter((l) => l.event === 'http.request' && requestIds.includes(l.requestId as string)).map((l) => l.pid));

const workerPids = (server: ServerProcess) => server.lines.filter((l) => l.event === 'worker.listening').map((l) => l.pid as number);
/** The processes' own lines are written asynchronously, so they may follow the primary's `server.listening`. */
const bothWorkerPids = (server: ServerProcess) => until('both worker.listening lines', () => (workerPids(server).length >= 2 ? workerPids(server) : undefined));

describe('LEADGATE_PROCESSES refusals', () => {
  it.each(['0', 'x', '1.5'])('LEADGATE_PROCESSES=%s: exit 1 naming the setting', async (value) => {
    const run = await runCli(['serve'], { LEADGATE_PROCESSES: value, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`LEADGATE_PROCESSES: expected a whole number of processes (1 or more) or 'auto', got '${value}'`);
    expect(run.stdout).toBe('');
  }, 30_000);

  it('the embedded store with 2 processes: one line, exit 1, nothing forked, the data folder untouched', async () => {
    const work = await mkdtemp(join(tmpdir(), 'leadgate-procs-'));
    try {
      const dataDir = join(work, 'data');
      const run = await runCli(['serve'], { LEADGATE_PROCESSES: '2', LEADGATE_DATA_DIR: dataDir, RULES_DIR: BASIC_RULES, PORT: '0' });
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toBe(embeddedStoreRefusal(2, 2));
      expect(run.stderr).toMatch(/^LEADGATE_PROCESSES=2 needs DATABASE_URL: the embedded PGlite store belongs to one process/);
      expect(run.stdout).toBe('');
      await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.runIf(SERVER_URL)('two server processes on one port (server PostgreSQL)', () => {
  let backend: TestBackend;
  let server: ServerProcess;

  beforeAll(async () => {
    backend = await openTestBackend();
    server = await startServerProcess({ DATABASE_URL: backend.url, RULES_DIR: BASIC_RULES, LEADGATE_API_KEYS: KEY, LEADGATE_DEMO: '0', LEADGATE_PROCESSES: '2' });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await backend?.close();
  });

  it('the primary says it listens once both processes do; every line names its process', async () => {
    await bothWorkerPids(server);
    const listening = server.lines.filter((l) => l.event === 'server.listening');
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ role: 'primary', pid: server.child.pid, processes: 2, port: server.port });
    expect(workerPids(server)).toHaveLength(2);
    expect(new Set(workerPids(server)).size).toBe(2);
    for (const line of server.lines) {
      if (line.role !== 'primary') expect(line, JSON.stringify(line)).toMatchObject({ pid: expect.any(Number), worker: expect.any(Number) });
    }
  });

  it('requests on the one port are answered by both processes', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `spread-${i}`);
    const answers = await Promise.all(ids.map((id, i) => insert(server, `04${String(61_000_000 + i)}`, id)));
    expect(answers.map((a) => a.code)).toEqual(Array<number>(40).fill(0));
    const pids = await until('the request lines', () => (server.lines.filter((l) => ids.includes(l.requestId as string)).length === 40 ? pidsOf(server, ids) : undefined));
    expect([...pids].sort()).toEqual([...workerPids(server)].sort());
  }, 30_000);

  it('concurrent inserts of one phone through both processes create one lead', async () => {
    const phone = '0462000000';
    const ids = Array.from({ length: 40 }, (_, i) => `same-${i}`);
    const answers = await Promise.all(ids.map((id) => insert(server, phone, id)));
    expect(answers.map((a) => a.code).sort()).toEqual([0, ...Array<number>(39).fill(105)]);
    const [row] = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones @> array[$1]::text[]`, ['+61462000000']);
    expect(row!.n).toBe(1);
    const pids = await until('the request lines', () => (server.lines.filter((l) => ids.includes(l.requestId as string)).length === 40 ? pidsOf(server, ids) : undefined));
    expect(pids.size).toBe(2);
  }, 30_000);

  it('/metrics counts the requests of both processes, whichever answers the scrape', async () => {
    const inserts = server.lines.filter((l) => l.event === 'http.request' && String(l.path).endsWith('/insertLeadFast')).length;
    for (let scrape = 0; scrape < 4; scrape += 1) {
      const body = await (await fetch(`${server.base}/metrics`)).text();
      const counted = body
        .split('\n')
        .filter((line) => line.startsWith('leadgate_requests_total{route="/servicemanager/rest/CampaignAPI/insertLeadFast"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      expect(counted).toBe(inserts);
    }
  }, 30_000);

  it('a killed process is replaced, and the server keeps answering', async () => {
    const [victim, survivor] = workerPids(server);
    process.kill(victim!, 'SIGKILL');
    const died = await until('worker.died', () => server.lines.find((l) => l.event === 'worker.died'));
    expect(died).toMatchObject({ role: 'primary', workerPid: victim, signal: 'SIGKILL' });
    const replacement = await until('a new process', () => workerPids(server).find((pid) => pid !== victim && pid !== survivor), 60_000);
    expect(isAlive(replacement)).toBe(true);
    const ids = Array.from({ length: 20 }, (_, i) => `after-${i}`);
    const answers = await Promise.all(ids.map((id, i) => insert(server, `04${String(63_000_000 + i)}`, id)));
    expect(answers.map((a) => a.code)).toEqual(Array<number>(20).fill(0));
  }, 90_000);

  it('SIGTERM stops every process and the primary exits 0', async () => {
    const pids = workerPids(server).filter(isAlive);
    expect(pids).toHaveLength(2);
    expect(await server.stop()).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(server.lines.filter((l) => l.event === 'server.stopped').map((l) => l.pid).sort()).toEqual([...pids, server.child.pid].sort());
  }, 60_000);
});

describe.runIf(SERVER_URL)('server processes that keep dying (server PostgreSQL)', () => {
  it('stop the server with one message and exit 1 instead of restarting forever', async () => {
    const database = `leadgate_crash_loop_${process.pid}`;
    const admin = postgres(SERVER_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${database}`);
    try {
      const server = await startServerProcess({
        DATABASE_URL: databaseUrl(SERVER_URL!, database),
        RULES_DIR: BASIC_RULES,
        LEADGATE_API_KEYS: KEY,
        LEADGATE_DEMO: '0',
        LEADGATE_PROCESSES: '2',
      });
      // without its database, every replacement fails to start: a crash loop (both processes
      // killed at once, so that the five deaths come well within the policy's minute)
      const pids = await bothWorkerPids(server);
      await admin.unsafe(`drop database ${database} with (force)`);
      // (a process may already have died of the dropped database: that death counts the same)
      for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
      const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(oneLine(server.stderr())).toMatch(/^5 server processes died within 60 s \(the last: exit code 1; .*database .* does not exist\): stopping the server$/);
      // each restart waits twice as long as the one before
      expect(server.lines.filter((l) => l.event === 'worker.restarting').map((l) => l.inMs)).toEqual([250, 500, 1000, 2000]);
      expect(server.lines.filter((l) => l.event === 'worker.start_failed').length).toBeGreaterThanOrEqual(3);
      expect(workerPids(server).filter(isAlive)).toEqual([]);
    } finally {
      await admin.unsafe(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
