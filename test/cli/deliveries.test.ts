import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/usage.js';
import { pgliteRunner } from '../../src/store/backends/pglite.js';
import { lockDataDir } from '../../src/store/backends/data-dir-lock.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { deliveryState, insertAttempt, insertDelivery, insertLead } from '../support/deliveries.js';
import { ADMIN_TOKEN, BASIC_RULES, createTestApp, type TestApp } from '../support/test-app.js';
import { openTestBackend, SERVER_URL } from '../support/test-backend.js';

/** A port nothing listens on (one that was just free). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `leadgate <argv>` in this process, with its output kept. */
async function run(argv: string[], env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  const sink = (key: keyof typeof out) => ({ write: (text: string) => ((out[key] += text), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const io: CliIo = { stdout: sink('stdout'), stderr: sink('stderr'), env };
  const code = await runCli(argv, io);
  return { code, ...out };
}

interface Fixture {
  lead: string;
  delivered: string;
  dead: string;
  refused: string;
}

/** Three deliveries of one lead (phone +61412300001): delivered (with an attempt), dead, refused at another destination. */
async function seed(db: SqlRunner): Promise<Fixture> {
  const lead = await insertLead(db, ['+61412300001']);
  const delivered = await insertDelivery(db, { leadId: lead, state: 'delivered', attemptCount: 1, dialerLeadId: 'D-9', lastOutcome: 'delivered', lastAnswer: '{"code": 0,\n "message": "SUCCESS"}', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z' });
  await insertAttempt(db, delivered, { at: '2026-01-01T00:00:01.000Z', request: {}, status: 200, answer: '{"code":0}', outcome: 'delivered', latencyMs: 9 });
  const dead = await insertDelivery(db, { leadId: lead, state: 'dead', attemptCount: 48, lastOutcome: 'dead', lastAnswer: 'x'.repeat(100), createdAt: '2026-01-02T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' });
  const refused = await insertDelivery(db, { leadId: lead, destination: 'crm2', state: 'refused', createdAt: '2026-01-03T00:00:00.000Z', updatedAt: '2026-01-03T00:00:00.000Z' });
  return { lead, delivered, dead, refused };
}

describe('leadgate deliveries, in process on the store', () => {
  let dir: string;
  let env: Record<string, string>;
  let f: Fixture;
  /** the store as the CLI left it (PGlite: opened after the CLI closed it) */
  let withStore: <T>(fn: (db: SqlRunner) => Promise<T>) => Promise<T>;
  let closeStore = async () => {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-deliveries-cli-'));
    if (SERVER_URL) {
      const backend = await openTestBackend();
      env = { DATABASE_URL: backend.url!, RULES_DIR: BASIC_RULES };
      withStore = (fn) => fn(backend.runner);
      closeStore = () => backend.close();
    } else {
      // a data folder that already holds the migrated database, as after the server's first start
      const dataDir = join(dir, 'data');
      env = { LEADGATE_DATA_DIR: dataDir, RULES_DIR: BASIC_RULES };
      withStore = async (fn) => {
        const pg = await PGlite.create(dataDir);
        try {
          return await fn(pgliteRunner(pg));
        } finally {
          await pg.close();
        }
      };
      const seeded = await PGlite.create(dataDir, { loadDataDir: new Blob([await readFile(inject('pgliteSnapshot'))]) });
      await seeded.close();
    }
    f = await withStore(seed);
  }, 60_000);
  afterAll(async () => {
    await closeStore();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists as a table, newest first, the last answer on one line and cut to fit', async () => {
    const listed = await run(['deliveries', 'list'], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +lead +destination +event +state +attempts +dialer id +last outcome +next attempt +updated +last answer$/);
    expect(lines.slice(1, 4).map((l) => l.split(/ {2,}/).slice(0, 8))).toEqual([
      [f.refused, f.lead, 'crm2', 'insert', 'refused', '0', '-', '-'],
      [f.dead, f.lead, 'pbx', 'insert', 'dead', '48', '-', 'dead'],
      [f.delivered, f.lead, 'pbx', 'insert', 'delivered', '1', 'D-9', 'delivered'],
    ]);
    expect(lines[2]).toMatch(/ x{59}…$/);
    expect(lines[3]).toMatch(/ {"code": 0, "message": "SUCCESS"}$/);
    expect(lines[4]).toBe('1-3 of 3 deliveries, newest first');
  });

  it('filters as the API does, a national phone read with the first template\'s country; --json prints the API\'s answer', async () => {
    const json = await run(['deliveries', 'list', '--phone', '0412 300 001', '--state', 'dead', '--json'], env);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({
      total: 1,
      deliveries: [
        {
          id: f.dead,
          leadId: f.lead,
          destination: 'pbx',
          event: 'insert',
          state: 'dead',
          attemptCount: 48,
          dialerLeadId: null,
          lastOutcome: 'dead',
          lastAnswer: 'x'.repeat(100),
          nextAttemptAt: null,
          createdAt: '2026-01-02T00:00:00.000Z',
          updatedAt: '2026-01-02T00:00:00.000Z',
        },
      ],
    });
    const paged = JSON.parse((await run(['deliveries', 'list', '--lead-id', f.lead, '--limit', '1', '--offset', '1', '--json'], env)).stdout) as { total: number; deliveries: Array<{ id: string }> };
    expect(paged.total).toBe(3);
    expect(paged.deliveries.map((d) => d.id)).toEqual([f.dead]);
    expect(await run(['deliveries', 'list', '--destination', 'nowhere'], env)).toEqual({ code: 0, stdout: 'no deliveries match\n', stderr: '' });
  });

  it.each([
    [['list', '--state', 'lost'], 'leadgate deliveries: invalid option: state: Invalid option: expected one of "queued"|"delivered"|"refused"|"dead"\n'],
    [['list', '--phone', 'hello'], "leadgate deliveries: phone: 'hello' is not a phone number (read with country AU)\n"],
    [['retry', '--state', 'queued'], 'leadgate deliveries: invalid option: state: Invalid option: expected one of "dead"|"refused"\n'],
    [['retry', '--destination', 'pbx', '--from', 'yesterday'], 'leadgate deliveries: invalid option: from: Invalid ISO datetime\n'],
    [['retry', 'abc'], 'leadgate deliveries: invalid delivery id: id: expected a delivery id\n'],
  ])('refuses %j with exit 2', async (args, stderr) => {
    expect(await run(['deliveries', ...args], env)).toEqual({ code: 2, stdout: '', stderr });
  });

  it('retries one delivery and then a filter, each audited as the CLI; a delivered or unknown one exits 1', async () => {
    expect(await run(['deliveries', 'retry', f.dead], env)).toEqual({ code: 0, stdout: `delivery ${f.dead} is queued again\n`, stderr: '' });
    expect(await run(['deliveries', 'retry', f.dead], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `leadgate deliveries: delivery ${f.dead} is queued or delivered: only dead or refused deliveries can be retried\n`,
    });
    expect(await run(['deliveries', 'retry', '99999'], env)).toEqual({ code: 1, stdout: '', stderr: 'leadgate deliveries: no delivery with id 99999\n' });
    expect(await run(['deliveries', 'retry', '--destination', 'crm2', '--json'], env)).toEqual({ code: 0, stdout: '{"retried":1}\n', stderr: '' });
    expect(await run(['deliveries', 'retry', '--state', 'refused'], env)).toEqual({ code: 0, stdout: '0 deliveries are queued again\n', stderr: '' });
    await withStore(async (db) => {
      expect(await deliveryState(db, f.dead)).toMatchObject({ state: 'queued', attemptCount: 0, due: true });
      expect(await deliveryState(db, f.refused)).toMatchObject({ state: 'queued' });
      expect(await db.query('select actor, action, target, detail from audit_log order by id')).toEqual([
        { actor: 'cli', action: 'leadgate deliveries retry', target: f.dead, detail: null },
        { actor: 'cli', action: 'leadgate deliveries retry', target: 'crm2', detail: { filter: { state: null, destination: 'crm2', from: null, to: null }, retried: 1 } },
      ]);
    });
  });

  it.skipIf(Boolean(SERVER_URL))('while a server holds the data folder: reads nothing and prints the --url command to use', async () => {
    const lock = await lockDataDir(env.LEADGATE_DATA_DIR!, { command: 'serve', port: 4567 });
    try {
      const refused = await run(['deliveries', 'list', '--state', 'dead'], env);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(/^leadgate deliveries: the data folder .* is in use by a leadgate server on port 4567 \(pid \d+, since .*\); nothing was read or changed\. /);
      expect(refused.stderr).toContain('Ask that server instead: leadgate deliveries list --state "dead" --url http://127.0.0.1:4567 (with --admin-token or LEADGATE_ADMIN_TOKEN)\n');
      const retry = await run(['deliveries', 'retry', f.delivered], env);
      expect(retry.stderr).toContain(`leadgate deliveries retry ${f.delivered} --url http://127.0.0.1:4567`);
    } finally {
      await lock.release();
    }
  });
});

describe('leadgate deliveries --url, through a running server', () => {
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let f: Fixture;
  beforeAll(async () => {
    t = await createTestApp();
    f = await seed(t.backend.runner);
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t.close();
  });

  it('lists and retries through the admin API, with the token from --admin-token or LEADGATE_ADMIN_TOKEN', async () => {
    const listed = await run(['deliveries', 'list', '--phone', '0412300001', '--json', '--url', base, '--admin-token', ADMIN_TOKEN], {});
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(listed.stdout) as { deliveries: Array<{ id: string }> }).deliveries.map((d) => d.id)).toEqual([f.refused, f.dead, f.delivered]);
    const table = await run(['deliveries', 'list', '--state', 'dead', '--url', `${base}/`], { LEADGATE_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(table.stdout).toContain('1-1 of 1 deliveries, newest first\n');

    expect(await run(['deliveries', 'retry', f.dead, '--url', base], { LEADGATE_ADMIN_TOKEN: ADMIN_TOKEN })).toEqual({ code: 0, stdout: `delivery ${f.dead} is queued again\n`, stderr: '' });
    expect(await run(['deliveries', 'retry', '--state', 'refused', '--json', '--url', base], { LEADGATE_ADMIN_TOKEN: ADMIN_TOKEN })).toEqual({ code: 0, stdout: '{"retried":1}\n', stderr: '' });
    expect(await deliveryState(t.backend.runner, f.dead)).toMatchObject({ state: 'queued', attemptCount: 0 });
    expect(await deliveryState(t.backend.runner, f.refused)).toMatchObject({ state: 'queued' });
    const audit = await t.backend.runner.query<{ action: string; actor: string }>('select action, actor from audit_log order by id');
    expect(audit.map((a) => a.action)).toEqual(['POST /admin/deliveries/{id}/retry', 'POST /admin/deliveries/retry']);
    expect(audit[0]!.actor).toMatch(/^admin:[0-9a-f]{8}$/);
  });

  it('reports the server\'s refusals: 404 and 409 exit 1, a bad filter or token exit 2, an unreachable server exit 1', async () => {
    const env = { LEADGATE_ADMIN_TOKEN: ADMIN_TOKEN };
    expect(await run(['deliveries', 'retry', '99999', '--url', base], env)).toEqual({ code: 1, stdout: '', stderr: `leadgate deliveries: ${base} answered 404: no delivery with id 99999\n` });
    expect(await run(['deliveries', 'retry', f.delivered, '--url', base], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('answered 409: ') });
    expect(await run(['deliveries', 'list', '--state', 'lost', '--url', base], env)).toMatchObject({ code: 2, stderr: expect.stringContaining('answered 400: invalid query: state: ') });
    expect(await run(['deliveries', 'list', '--url', base, '--admin-token', 'wrong'], {})).toEqual({ code: 2, stdout: '', stderr: `leadgate deliveries: ${base} answered 401: a valid admin bearer token is required\n` });
    const port = await closedPort();
    const closed = await run(['deliveries', 'list', '--url', `http://127.0.0.1:${port}`], env);
    expect(closed).toEqual({ code: 1, stdout: '', stderr: `leadgate deliveries: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n` });
    expect(await run(['deliveries', 'list', '--url', 'ftp://x'], env)).toMatchObject({ code: 2, stderr: "leadgate deliveries: --url must be http or https, got 'ftp:'\n" });
  });
});

describe('leadgate deliveries: usage errors exit 2 before anything is opened', () => {
  it.each([
    [['deliveries', 'list', '--url', 'http://localhost:8080'], 'error: --url needs --admin-token (or LEADGATE_ADMIN_TOKEN)'],
    [['deliveries', 'list', '--admin-token', 't'], 'error: --admin-token goes with --url'],
    [['deliveries', 'list', '--limit', 'many'], "error: option '--limit <n>' argument 'many' is invalid. It must be a whole number."],
    [['deliveries', 'retry'], 'error: give a delivery id, or a filter with at least one of --state, --destination or --from'],
    [['deliveries', 'retry', '--to', '2026-01-01T00:00:00Z'], 'error: give a delivery id, or a filter with at least one of --state, --destination or --from'],
    [['deliveries', 'retry', '5', '--state', 'dead'], 'error: give a delivery id or a filter (--state, --destination, --from, --to), not both'],
    [['deliveries', 'retry', '5', '6'], "error: too many arguments for 'retry'"],
    [['deliveries', 'lst'], "error: unknown command 'lst'\n(Did you mean list?)"],
  ])('%j', async (argv, message) => {
    // a data folder that does not exist: a usage error must not get as far as creating it
    const result = await run(argv, { LEADGATE_DATA_DIR: '/nonexistent/leadgate-data' });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(message);
  });
});
