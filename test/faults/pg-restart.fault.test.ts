import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, noojeeUrl, type TestApp } from '../support/test-app.js';
import { countBy, loadPhone, runLoad, type Answer } from './load.js';

/*
 * Stops and restarts the PostgreSQL server under a load of inserts. It needs a server it may
 * restart, so it runs only when .ci/run (or a developer) exports the throwaway server's folder:
 * LEADGATE_FAULT_PG_DIR, PG_BIN and, when run as root, PG_OWNER. Restarting would break other test
 * files sharing the server, so .ci/run runs this suite on its own (npm run test:faults).
 */
const dir = process.env.LEADGATE_FAULT_PG_DIR;
const pgCtl = (...args: string[]) => {
  const command = `${process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'}/pg_ctl`;
  const full = ['-D', `${dir}/data`, '-w', '-t', '60', ...args];
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', process.env.PG_OWNER ?? 'postgres', '--', command, ...full], { stdio: 'ignore' });
  else execFileSync(command, full, { stdio: 'ignore' });
};

describe.runIf(dir && process.env.TEST_DATABASE_URL)('PostgreSQL restart under load', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers every request with success or a retryable code, loses nothing, duplicates nothing, and recovers by itself', async () => {
    let phase: 'before' | 'down' | 'after' = 'before';
    let answeredAfterRestart = 0;
    const sentAfterRestart = new Set<number>();
    const send = async (i: number): Promise<Answer> => {
      if (phase === 'after') sentAfterRestart.add(i);
      const res = await t.app.request(noojeeUrl('insertLeadFast'), {
        method: 'POST',
        body: JSON.stringify({ phone: loadPhone(7, i), njExternalLeadId: `R-${i}` }),
      });
      const body = (await res.json()) as { code: number; leadId?: string };
      if (sentAfterRestart.has(i)) answeredAfterRestart += 1;
      return { i, status: res.status, code: body.code, leadId: body.leadId, retryAfter: res.headers.get('retry-after') };
    };
    const load = runLoad({ workers: 8, maxRequests: 50_000, send, stop: () => phase === 'after' && answeredAfterRestart >= 300 });
    await new Promise((r) => setTimeout(r, 1500));
    pgCtl('stop', '-m', 'fast');
    phase = 'down';
    const readyWhileDown = (await t.app.request('/readyz')).status;
    await new Promise((r) => setTimeout(r, 1500));
    pgCtl('start', '-l', `${dir}/server.log`);
    phase = 'after';
    const answers = await load;

    const byCode = countBy(answers, (a) => `${a.status}/${a.code}`);
    const successes = answers.filter((a) => a.code === 0);
    const failures = answers.filter((a) => a.code !== 0);
    console.log(`pg restart: ${answers.length} requests, ${successes.length} succeeded, failures by HTTP/code ${JSON.stringify(byCode)}`);

    expect(readyWhileDown).toBe(503);
    // every answer: success, or 207 (store unavailable) with Retry-After
    for (const a of failures) expect({ status: a.status, code: a.code, retryAfter: a.retryAfter }).toEqual({ status: 503, code: 207, retryAfter: '5' });
    expect(failures.length).toBeGreaterThan(0);
    // service resumed without restarting leadgate
    expect(successes.filter((a) => sentAfterRestart.has(a.i)).length).toBeGreaterThan(200);
    expect((await t.app.request('/readyz')).status).toBe(200);

    const stored = await t.backend.runner.query<{ id: string; external_id: string }>(`select id::text, external_id from leads where external_id like 'R-%'`);
    const storedIds = new Map(stored.map((r) => [r.external_id, r.id]));
    // every success exactly once (external ids are unique), no failure stored
    expect(stored.length).toBe(successes.length);
    for (const s of successes) expect(storedIds.get(`R-${s.i}`)).toBe(s.leadId);
    for (const f of failures) expect(storedIds.has(`R-${f.i}`)).toBe(false);
  }, 120_000);
});
