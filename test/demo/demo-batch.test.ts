import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

/**
 * The shipped demo (rules/ as it is, the demo CRM served by the app itself over real HTTP) answers
 * a phone by its last digit whether it is the first lead or the last: its deliberate failures
 * (phones ending in 9 answer 503) must not open the circuit for everyone else.
 */

const SHIPPED_RULES = fileURLToPath(new URL('../../rules', import.meta.url));

let t: TestApp;
let server: ServerType;
let rulesDir: string;
beforeAll(async () => {
  // serves the app made below: the rules need the port first
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: (request, env) => t.app.fetch(request, env), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  // the shipped connect calls the default port 8080; point it at this server, nothing else changes
  rulesDir = await mkdtemp(join(tmpdir(), 'leadgate-demo-rules-'));
  await cp(SHIPPED_RULES, rulesDir, { recursive: true });
  const connectFile = join(rulesDir, 'connects/demo-crm.yaml');
  const shipped = await readFile(connectFile, 'utf8');
  expect(shipped).toContain('url: http://127.0.0.1:8080/demo/crm/lookup');
  await writeFile(connectFile, shipped.replace('http://127.0.0.1:8080/', `http://127.0.0.1:${port}/`));
  t = await createTestApp({ rulesDir, demo: true, maxBatch: 2000 });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
  await rm(rulesDir, { recursive: true, force: true });
});

const insert = (body: unknown) => postNoojee(t.app, 'insertLeadFast', body);

describe('the shipped demo', () => {
  it('keeps skipping a phone ending in 1 after a run of phones ending in 9 (the demo CRM answering 503)', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await insert({ phone: `0415000${String(i).padStart(2, '0')}9` });
      expect(res.body).toMatchObject({ code: 0 }); // onError: created with status CRM_ERROR
    }
    const res = await insert({ phone: '0415000101' });
    expect(res.body).toEqual({
      code: 105,
      message: 'DUPLICATE',
      description: 'skipped as a duplicate by the duplicate check: existing customer',
      reason: 'existing customer',
      rule: { row: 0, key: '$.customer.status' },
    });
  });

  it('answers every phone of a 1,000-lead batch by its last digit, the last as the first', async () => {
    const leads = Array.from({ length: 1000 }, (_, i) => ({ phone: `0416${String(i).padStart(6, '0')}` }));
    const res = await postNoojee(t.app, 'insertLeadsFast', leads);
    expect(res.status).toBe(200);
    const results = res.body.results as Array<{ index: number; code: number }>;
    const byDigit = (digit: string) => [...new Set(results.filter((r) => leads[r.index]!.phone.endsWith(digit)).map((r) => r.code))];
    expect(byDigit('1')).toEqual([105]);
    expect(byDigit('3')).toEqual([205]);
    expect(byDigit('9')).toEqual([0]);
    const onError = await t.backend.runner.query<{ n: number }>("select count(*)::int as n from leads where status = 'CRM_ERROR' and phones[1] like '+61416%'");
    expect(onError[0]!.n).toBe(100); // the phones ending in 9, and no other
  });
});
