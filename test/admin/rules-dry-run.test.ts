import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { createAppWithCrm, CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { ADMIN_TOKEN, BASIC_RULES, createTestApp, type TestApp } from '../support/test-app.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';

let crm: FakeCrm;
let t: TestApp;
let rulesDir: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ crm, t, rulesDir, close } = await createAppWithCrm());
});
afterAll(() => close());
beforeEach(() => crm.reset());

const dryRun = (app: TestApp['app'], body: unknown, token: string | null = ADMIN_TOKEN) =>
  app.request('/admin/rules/test', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });

describe('POST /admin/rules/test', () => {
  it('evaluates every row on a given CRM answer', async () => {
    const res = await dryRun(t.app, { lead: { phone: '0412345678' }, crmResponse: { customer: { status: 'gold', score: 3 }, flags: { doNotCall: false } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      decision: { source: 'row', rowIndex: 2, key: '$.customer.score', values: [3], createLead: true, status: 'LOW_SCORE', addToDnc: false, success: false, reason: 'low score' },
      rows: [
        { index: 0, key: '$.customer.status', values: ['gold'], matched: false },
        { index: 1, key: '$.flags.doNotCall', values: [false], matched: false },
        { index: 2, key: '$.customer.score', values: [3], matched: true },
        { index: 3, key: '$.blocked', values: [], matched: false },
      ],
    });
  });

  it('calls the CRM live when asked, and writes nothing', async () => {
    crm.respond({ json: { customer: { status: 'Active' } } });
    const res = await dryRun(t.app, { lead: { phone: '0412 345 678' }, live: true });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.decision).toMatchObject({ source: 'row', rowIndex: 0, createLead: false });
    expect(body.crm).toMatchObject({ ok: true, status: 200, answer: { customer: { status: 'Active' } } });
    expect(JSON.stringify(body)).not.toContain(CRM_TOKEN);
    expect(JSON.parse(crm.requests[0]!.body)).toMatchObject({ phone_number: '+61412345678' });
    expect(await t.backend.runner.query('select 1 from decision_records union all select 1 from leads union all select 1 from dnc')).toEqual([]);
  });

  it.each([
    ['no token', null, 401],
    ['a wrong token', 'nope', 401],
  ])('refuses %s', async (_name, token, status) => {
    const res = await dryRun(t.app, { lead: {}, crmResponse: {} }, token);
    expect(res.status).toBe(status);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="leadgate-admin"');
    expect(await res.json()).toEqual({ error: 'a valid admin bearer token is required' });
  });

  it('is switched off without LEADGATE_ADMIN_TOKEN', async () => {
    const off = await createTestApp({ backend: t.backend, rulesDir, env: { CRM_TOKEN }, adminToken: null });
    const res = await dryRun(off.app, { lead: {}, crmResponse: {} }, 'anything');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'the admin API is disabled: set LEADGATE_ADMIN_TOKEN' });
  });

  it('answers 400 for a body of the wrong shape and 422 without a table', async () => {
    const bad = await dryRun(t.app, { crmResponse: {} });
    expect(bad.status).toBe(400);
    const noTable = await createTestApp({ backend: t.backend });
    const res = await dryRun(noTable.app, { lead: {}, crmResponse: {} });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'the rules folder has no duplicate-check table' });
  });
});

describe('connect safety at load', () => {
  it('refuses a loopback CRM unless allowPrivateNetwork is set', async () => {
    const dir = await rulesWithCrm('http://127.0.0.1:9', { connect: { allowPrivateNetwork: false } });
    try {
      const result = compileRuleSet(await readRulesDir(dir), { CRM_TOKEN });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ file: 'connects/crm.yaml', path: 'url' })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a table that names a missing connect, and a missing secret', async () => {
    const dir = await rulesWithCrm(crm.url, { table: { connect: 'nowhere' } });
    try {
      const result = compileRuleSet(await readRulesDir(dir), {});
      expect(result.ok ? [] : result.errors.map((e) => `${e.file} ${e.path}`)).toEqual(['connects/crm.yaml headers.Authorization', 'duplicate-check.yaml connect']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('leadgate rules test', () => {
  it('prints every row and the decision', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'leadgate-cli-'));
    try {
      await writeFile(join(dir, 'lead.json'), JSON.stringify({ phone: '0412345678' }));
      await writeFile(join(dir, 'answer.json'), JSON.stringify({ customer: { status: 'ACTIVE' } }));
      const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)('npx', ['tsx', cli, 'rules', 'test', join(dir, 'lead.json'), join(dir, 'answer.json'), '--rules', rulesDir], {
        env: { ...process.env, CRM_TOKEN },
      });
      expect(stdout).toMatch(/^0 +\$\.customer\.status +\["ACTIVE"\] +yes$/m);
      expect(stdout).toMatch(/^1 +\$\.flags\.doNotCall +\[\] +no$/m);
      expect(stdout).toContain('decision: {"source":"row","rowIndex":0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 on a folder without a table', async () => {
    const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    const json = new URL('../../package.json', import.meta.url).pathname;
    const failed = await promisify(execFile)('npx', ['tsx', cli, 'rules', 'test', json, json, '--rules', BASIC_RULES]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('the rules folder has no duplicate-check table') });
  });
});
