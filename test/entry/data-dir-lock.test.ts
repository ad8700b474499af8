import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/store/backends/data-dir-lock.js';
import { ROOT, runCli, startServerProcess, type ServerProcess } from '../support/cli-process.js';

/** A pid that certainly belongs to no process: one that has just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('the data folder lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-lock-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second holder in the same process, naming the holder, and is free again once released', async () => {
    const first = await lockDataDir(dir, { command: 'serve', port: 8123 });
    const refused = await lockDataDir(dir, { command: 'inject' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).holder).toMatchObject({ pid: process.pid, command: 'serve', port: 8123 });
    expect((refused as Error).message).toContain(`a leadgate server on port 8123 (pid ${process.pid}`);
    await first.release();
    expect(await exists(join(dir, LOCK_FILE))).toBe(false);
    const again = await lockDataDir(dir, { command: 'inject' });
    await again.release();
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const pid = deadPid();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), command: 'serve', startedAt: 'then' }));
    const lock = await lockDataDir(dir, { command: 'serve' });
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('never takes over a lock held from another host, whose processes it cannot see', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'other-host', command: 'serve', startedAt: 'then' }));
    const refused = await lockDataDir(dir, { command: 'serve' }).catch((error: unknown) => error);
    expect((refused as Error).message).toMatch(/on host other-host/);
    await rm(join(dir, LOCK_FILE));
  });

  it('does not release a lock that another holder has taken over since', async () => {
    const lock = await lockDataDir(dir, { command: 'serve' });
    const theirs = JSON.stringify({ pid: 1, host: hostname(), command: 'serve', startedAt: 'later' });
    await writeFile(lock.file, theirs);
    await lock.release();
    expect(await readFile(lock.file, 'utf8')).toBe(theirs);
    await rm(lock.file);
  });
});

/** One leadgate process per embedded store, seen from the command line as a user meets it. */
describe('two processes on one data folder', () => {
  let work: string;
  let dataDir: string;
  let server: ServerProcess;
  const env = () => ({ LEADGATE_DATA_DIR: dataDir, RULES_DIR: join(ROOT, 'rules') });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'leadgate-two-'));
    dataDir = join(work, 'data');
    server = await startServerProcess(env());
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** One line on stderr, no stack trace. */
  const oneLine = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/^\s+at /m);
    return lines[0]!;
  };

  it('a second server on the same folder exits 1 at once, naming the holder', async () => {
    const second = await runCli(['serve'], { ...env(), PORT: '0' });
    expect(second.code).toBe(1);
    const line = oneLine(second.stderr);
    expect(line).toContain(`is in use by a leadgate server on port ${server.port} (pid ${server.child.pid}`);
    expect(second.stdout).not.toContain('server.listening');
  }, 30_000);

  it('an in-process inject against a held folder writes nothing and says how to send the rows', async () => {
    const csv = join(work, 'leads.csv');
    await writeFile(csv, 'phone,firstName\n0383208001,Ada\n');
    const run = await runCli(['inject', csv, '--template', '1', '--campaign', '10', '--allocation', '100'], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`pid ${server.child.pid}`);
    expect(run.stderr).toContain(`--url http://127.0.0.1:${server.port} --api-key`);
    // The running server never saw the row: the same phone is a new lead there.
    const answer = await fetch(`${server.base}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=demo&fTemplateId=1&fCampaignId=10&fAllocationId=100`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '0383208001', firstName: 'Ada' }),
    });
    expect(((await answer.json()) as { code: number }).code).toBe(0);
  }, 30_000);

  it('a server on a port already in use exits 1 with one line, before touching its data folder', async () => {
    const otherData = join(work, 'untouched');
    const run = await runCli(['serve'], { LEADGATE_DATA_DIR: otherData, RULES_DIR: join(ROOT, 'rules'), PORT: String(server.port) });
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toContain(`port ${server.port} is already in use`);
    expect(await exists(otherData)).toBe(false);
  }, 30_000);

  it('a server killed without releasing leaves a lock the next start takes over, with the leads kept', async () => {
    server.child.kill('SIGKILL');
    await server.stop();
    expect(await exists(join(dataDir, LOCK_FILE))).toBe(true);
    server = await startServerProcess(env());
    const again = await fetch(`${server.base}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=demo&fTemplateId=1&fCampaignId=10&fAllocationId=100`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '0383208001' }),
    });
    expect(((await again.json()) as { code: number }).code).toBe(105);
  }, 60_000);

  it('releases the folder on a graceful stop: an in-process inject then runs', async () => {
    expect(await server.stop()).toBe(0);
    expect(await exists(join(dataDir, LOCK_FILE))).toBe(false);
    const csv = join(work, 'after.csv');
    await writeFile(csv, 'phone,firstName\n0383208002,Grace\n');
    const run = await runCli(['inject', csv, '--template', '1', '--campaign', '10', '--allocation', '100', '--json'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 1, accepted: 1 });
  }, 60_000);
});
