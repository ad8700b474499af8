import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { watchRules } from '../../src/ruleset/watch-rules.js';
import { adaptorRequest, CRM_FAULTS, TABLE_DECISIONS } from '../cases/duplicate-check-cases.js';
import { CRM_TOKEN, crmTable, rulesWithCrm } from '../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { createTestApp, memoryLog, postNoojee, type TestApp } from '../support/test-app.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let crm: FakeCrm;
let backend: TestBackend;
let t: TestApp;
let rulesDir: string;
const env = { CRM_TOKEN };

beforeAll(async () => {
  crm = await startFakeCrm();
  backend = await openTestBackend();
  rulesDir = await rulesWithCrm(crm.url);
  t = await createTestApp({ backend, rulesDir, env });
});
afterAll(async () => {
  await t.close();
  await crm.close();
  await rm(rulesDir, { recursive: true, force: true });
});
beforeEach(() => crm.reset());

let serial = 0;
const freshMobile = () => `04${String(30_000_000 + serial++ * 7919).slice(-8)}`;
const e164 = (national: string) => `+61${national.slice(1)}`;
const insert = (app: TestApp['app'], body: unknown, query = {}) => postNoojee(app, 'insertLeadFast', body, query);

async function decisionsFor(phone: string) {
  return backend.runner.query<Record<string, unknown>>(
    `select lead_id::text, phone, entry_point, connect, request, crm_status, answer, matched_row, values, outcome, decision
     from decision_records where phone = $1 order by id`,
    [phone],
  );
}
async function leadStatus(leadId: unknown) {
  return (await backend.runner.query<{ status: string | null }>('select status from leads where id = $1::bigint', [leadId]))[0]?.status;
}
async function dncSources(phone: string) {
  return (await backend.runner.query<{ source: string; campaign_id: number; reason: string | null }>('select source, campaign_id, reason from dnc where e164 = $1', [phone]));
}

describe('the CRM request', () => {
  it('is sent exactly as the adaptor maps it, phones in E.164, the secret resolved', async () => {
    crm.respond({ json: { customer: null } });
    const expected = adaptorRequest(freshMobile());
    const res = await insert(t.app, expected.lead);
    expect(res.body.code).toBe(0);
    expect(crm.requests).toHaveLength(1);
    const sent = crm.requests[0]!;
    expect(sent.method).toBe(expected.method);
    expect(sent.url).toBe(expected.url);
    expect(sent.headers.authorization).toBe(`Bearer ${CRM_TOKEN}`);
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(sent.body)).toEqual(expected.body);
  });

  it('never records or logs the secret', async () => {
    crm.respond({ json: { customer: null } });
    const phone = freshMobile();
    await insert(t.app, { phone });
    const [record] = await decisionsFor(e164(phone));
    expect(JSON.stringify(record)).not.toContain(CRM_TOKEN);
    expect(record!.request).toMatchObject({ method: 'POST', headers: { Authorization: expect.stringContaining('[REDACTED]') } });
    expect(t.logLines.join('\n')).not.toContain(CRM_TOKEN);
  });
});

describe('the table decides', () => {
  it('skip: 105 with the row and reason, no lead, a decision record', async () => {
    const { skip } = TABLE_DECISIONS;
    crm.respond({ json: skip.answer });
    const phone = freshMobile();
    const res = await insert(t.app, { phone });
    expect(res.status).toBe(skip.status);
    expect(res.body).toEqual(skip.body);
    expect(await backend.runner.query('select 1 from leads where phones @> array[$1]::text[]', [e164(phone)])).toEqual([]);
    expect(await decisionsFor(e164(phone))).toEqual([
      expect.objectContaining({ lead_id: null, entry_point: 'noojee', connect: 'crm', crm_status: 200, matched_row: 0, values: [' ACTIVE '], outcome: 'skipped' }),
    ]);
  });

  it('create with a status and add the phones to the DNC list in the same decision', async () => {
    const { createWithDnc } = TABLE_DECISIONS;
    crm.respond({ json: createWithDnc.answer });
    const phone = freshMobile();
    const res = await insert(t.app, { phone });
    expect(res.status).toBe(createWithDnc.status);
    expect(res.body).toEqual(createWithDnc.body);
    expect(await leadStatus(res.body.leadId)).toBe(createWithDnc.leadStatus);
    expect(await dncSources(e164(phone))).toEqual([{ source: 'duplicate-check', campaign_id: 0, reason: createWithDnc.dncReason }]);
    expect((await decisionsFor(e164(phone)))[0]).toMatchObject({ lead_id: res.body.leadId, matched_row: 1, values: [true], outcome: 'created' });
    crm.reset();
    expect((await insert(t.app, { phone: `${phone.slice(0, 4)} ${phone.slice(4)}` }, { fCampaignId: 11, fAllocationId: 110 })).body.code).toBe(104);
    expect(crm.requests).toHaveLength(0);
  });

  it('success false: 205 with the new lead id', async () => {
    const { failedValidation } = TABLE_DECISIONS;
    crm.respond({ json: failedValidation.answer });
    const res = await insert(t.app, { phone: freshMobile() });
    expect(res.status).toBe(failedValidation.status);
    expect(res.body).toEqual(failedValidation.body);
    expect(await leadStatus(res.body.leadId)).toBe(failedValidation.leadStatus);
  });

  it('skip and add to DNC', async () => {
    const { skipAndDnc } = TABLE_DECISIONS;
    crm.respond({ json: skipAndDnc.answer });
    const phone = freshMobile();
    const res = await insert(t.app, { phone });
    expect(res.status).toBe(skipAndDnc.status);
    expect(res.body).toEqual(skipAndDnc.body);
    expect(await dncSources(e164(phone))).toEqual([{ source: 'duplicate-check', campaign_id: 0, reason: skipAndDnc.dncReason }]);
  });

  it('noMatch: created with no status', async () => {
    const { noMatch } = TABLE_DECISIONS;
    crm.respond({ json: noMatch.answer });
    const phone = freshMobile();
    const res = await insert(t.app, { phone });
    expect(res.status).toBe(noMatch.status);
    expect(res.body).toEqual(noMatch.body);
    expect(await leadStatus(res.body.leadId)).toBe(noMatch.leadStatus);
    expect((await decisionsFor(e164(phone)))[0]).toMatchObject({ matched_row: null, values: null, outcome: 'created', decision: expect.objectContaining({ source: 'noMatch' }) });
  });

  it('does not ask the CRM about a lead the store already refuses', async () => {
    const phone = freshMobile();
    crm.respond({ json: {} });
    expect((await insert(t.app, { phone })).body.code).toBe(0);
    crm.reset();
    expect((await insert(t.app, { phone })).body.code).toBe(105);
    await backend.runner.query(`insert into dnc (e164, campaign_id, source) values ($1, 0, 'test')`, [e164(freshMobile())]);
    expect(crm.requests).toHaveLength(0);
  });
});

describe('CRM faults end in onError, never in a lost lead', () => {
  it.each(CRM_FAULTS)('%s', async (_name, reply, attempts, failure) => {
    crm.respond(reply);
    const phone = freshMobile();
    const res = await insert(t.app, { phone });
    expect(res.body.code).toBe(0);
    expect(await leadStatus(res.body.leadId)).toBe('CRM_ERROR');
    expect(crm.requests).toHaveLength(attempts);
    expect((await decisionsFor(e164(phone)))[0]).toMatchObject({ outcome: 'created', decision: expect.objectContaining({ source: 'onError', crmFailure: failure }) });
  });

  it('an oversized answer', async () => {
    const small = await rulesWithCrm(crm.url, { connect: { maxResponseBytes: 1024 } });
    const app = await createTestApp({ backend: await openTestBackend(), rulesDir: small, env });
    try {
      crm.respond({ kind: 'stream', totalBytes: 50 * 1024 * 1024 });
      const res = await insert(app.app, { phone: freshMobile() });
      expect(res.body.code).toBe(0);
      expect(await app.backend.runner.query('select status from leads where id = $1::bigint', [res.body.leadId])).toEqual([{ status: 'CRM_ERROR' }]);
      expect(crm.streamedBytes).toBeLessThan(5 * 1024 * 1024);
    } finally {
      await app.close();
      await rm(small, { recursive: true, force: true });
    }
  });

  it('an open circuit answers onError without calling the CRM', async () => {
    const tripping = await rulesWithCrm(crm.url, { connect: { retries: 0, circuit: { failureThreshold: 2, openMs: 60_000 } } });
    const app = await createTestApp({ backend: await openTestBackend(), rulesDir: tripping, env });
    try {
      crm.respond({ status: 503, json: {} });
      for (let i = 0; i < 2; i += 1) expect((await insert(app.app, { phone: freshMobile() })).body.code).toBe(0);
      expect(crm.requests).toHaveLength(2);
      const phone = freshMobile();
      expect((await insert(app.app, { phone })).body.code).toBe(0);
      expect(crm.requests).toHaveLength(2);
      const [record] = await app.backend.runner.query<{ decision: Record<string, unknown> }>('select decision from decision_records where phone = $1', [e164(phone)]);
      expect(record!.decision).toMatchObject({ source: 'onError', crmFailure: 'circuit-open' });
    } finally {
      await app.close();
      await rm(tripping, { recursive: true, force: true });
    }
  });

  it('onError reject: 206 with Retry-After, nothing created, the rejection recorded', async () => {
    const rejecting = await rulesWithCrm(crm.url, { table: { onError: { reject: true } } });
    const app = await createTestApp({ backend: await openTestBackend(), rulesDir: rejecting, env });
    try {
      crm.respond({ status: 502, json: {} });
      const phone = freshMobile();
      const res = await insert(app.app, { phone });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual({ code: 206, message: 'CRM_UNAVAILABLE', description: 'the CRM could not be asked (status); retry later', rule: null });
      expect(await app.backend.runner.query('select 1 from leads')).toEqual([]);
      expect(await app.backend.runner.query('select outcome from decision_records where phone = $1', [e164(phone)])).toEqual([{ outcome: 'rejected' }]);
    } finally {
      await app.close();
      await rm(rejecting, { recursive: true, force: true });
    }
  });
});

describe('batches and entry points', () => {
  it('decides every lead of a batch, never more CRM calls in flight than the connect allows', async () => {
    crm.setHandler((request) => {
      const phone = (JSON.parse(request.body) as { phone_number: string }).phone_number;
      return { delayMs: 20, json: phone.endsWith('1') ? { customer: { status: 'active' } } : {} };
    });
    const leads = Array.from({ length: 12 }, () => ({ phone: freshMobile() }));
    const res = await postNoojee(t.app, 'insertLeadsFast', leads);
    const expected = leads.map((l) => (l.phone.endsWith('1') ? 105 : 0));
    expect((res.body.results as Array<{ code: number }>).map((r) => r.code)).toEqual(expected);
    expect(crm.requests).toHaveLength(12);
    expect(crm.maxInFlight).toBeLessThanOrEqual(4);
  });

  it('appliesTo leaves other entry points alone', async () => {
    const convosoOnly = await rulesWithCrm(crm.url, { table: { appliesTo: ['convoso'] } });
    const app = await createTestApp({ backend, rulesDir: convosoOnly, env });
    try {
      crm.respond({ json: { customer: { status: 'active' } } });
      expect((await insert(app.app, { phone: freshMobile() })).body.code).toBe(0);
      expect(crm.requests).toHaveLength(0);
    } finally {
      await rm(convosoOnly, { recursive: true, force: true });
    }
  });
});

describe('table edits', () => {
  it('take effect without restart; a broken edit leaves the old table active', async () => {
    const dir = await rulesWithCrm(crm.url);
    const app = await createTestApp({ backend, rulesDir: dir, env });
    const log = memoryLog();
    const reloader = watchRules(dir, app.rules, log.logger, { env, debounceMs: 20 });
    try {
      crm.respond({ json: { customer: { status: 'gold' } } });
      expect((await insert(app.app, { phone: freshMobile() })).body.code).toBe(0);
      const edited = crmTable();
      (edited.rows[0] as Record<string, unknown>).value = 'gold';
      await writeFile(join(dir, 'duplicate-check.yaml'), stringify(edited));
      const until = Date.now() + 20_000;
      while ((await insert(app.app, { phone: freshMobile() })).body.code !== 105) {
        if (Date.now() > until) throw new Error('the edit never took effect');
        await new Promise((r) => setTimeout(r, 25));
      }
      (edited.rows[0] as Record<string, unknown>).key = '$.customer[?@.status]';
      (edited.rows[1] as Record<string, unknown>).key = '$..[';
      await writeFile(join(dir, 'duplicate-check.yaml'), stringify(edited));
      while (!log.lines.some((l) => l.includes('rules.reload_failed'))) await new Promise((r) => setTimeout(r, 25));
      const failure = JSON.parse(log.lines.find((l) => l.includes('rules.reload_failed'))!) as { errors: Array<{ file: string; path: string }> };
      expect(failure.errors.map((e) => `${e.file} ${e.path}`)).toContain('duplicate-check.yaml rows[1].key');
      expect((await insert(app.app, { phone: freshMobile() })).body.code).toBe(105);
    } finally {
      reloader.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
