import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_RULES } from '../support/test-app.js';
import { SERVER_URL } from '../support/test-backend.js';
import { countBy, loadPhone, runLoad, type Answer } from './load.js';

const API_KEY = 'sigterm-key';

/** Starts `leadgate serve` as its own process; resolves once it listens, with its port. */
async function startServer(env: Record<string, string>) {
  const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<Record<string, unknown>> = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.event === 'server.listening') resolve(entry.port as number);
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, port, exited, lines };
}

describe('SIGTERM during load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-sigterm-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes the requests in flight, refuses new ones, stores every success, exits 0', async () => {
    const env: Record<string, string> = {
      PORT: '0',
      RULES_DIR: BASIC_RULES,
      LEADGATE_API_KEYS: API_KEY,
      LEADGATE_DEMO: '0',
      LEADGATE_SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
      ...(SERVER_URL ? { DATABASE_URL: SERVER_URL } : { LEADGATE_DATA_DIR: join(dir, 'data') }),
    };
    const server = await startServer(env);
    const base = `http://127.0.0.1:${server.port}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=${API_KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`;
    const run = Date.now() % 90;
    let signalled = false;
    let signalledAt = 0;
    const send = async (i: number): Promise<Answer> => {
      try {
        const res = await fetch(base, { method: 'POST', body: JSON.stringify({ phone: loadPhone(run, i), njExternalLeadId: `S-${run}-${i}` }) });
        const body = (await res.json()) as { code: number; leadId?: string };
        return { i, status: res.status, code: body.code, leadId: body.leadId };
      } catch {
        return { i, status: 0 };
      }
    };
    const load = runLoad({ workers: 6, maxRequests: 5000, send, stop: () => signalled && Date.now() - signalledAt > 500 });
    await new Promise((r) => setTimeout(r, 1000));
    server.child.kill('SIGTERM');
    signalled = true;
    signalledAt = Date.now();
    const answers = await load;
    const exitCode = await server.exited;

    const successes = answers.filter((a) => a.code === 0);
    console.log(`sigterm: ${answers.length} requests, by HTTP/code ${JSON.stringify(countBy(answers, (a) => `${a.status}/${a.code ?? '-'}`))}`);
    expect(exitCode).toBe(0);
    expect(successes.length).toBeGreaterThan(0);
    // answered requests all succeeded; the rest were refused at the door (no answer), never cut with a 5xx
    for (const a of answers) expect([0, 200]).toContain(a.status);
    expect(server.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['server.stopping', 'server.stopped']));
    expect(server.lines.some((l) => l.event === 'server.stop_forced')).toBe(false);

    const externalIds = successes.map((a) => `S-${run}-${a.i}`);
    let stored: string[];
    if (SERVER_URL) {
      const sql = postgres(SERVER_URL, { max: 1 });
      stored = (await sql<{ external_id: string }[]>`select external_id from leads where external_id = any(${externalIds})`).map((r) => r.external_id);
      await sql.end();
    } else {
      const pg = await PGlite.create(join(dir, 'data'));
      stored = (await pg.query<{ external_id: string }>('select external_id from leads where external_id = any($1)', [externalIds])).rows.map((r) => r.external_id);
      await pg.close();
    }
    expect(stored.sort()).toEqual([...externalIds].sort());
  }, 120_000);
});
