import { createHmac } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../../src/ruleset/rule-set.js';
import { readRulesDir } from '../../../src/ruleset/read-rules-dir.js';
import { accepted, contact, HMAC_SECRET, HOOK_ENV, OLD_SECRET, SIGNATURE_REFUSALS, standardHeaders, writeHookSources } from '../../cases/hooks-cases.js';
import { BASIC_RULES, createTestApp, type TestApp } from '../../support/test-app.js';

const env = HOOK_ENV;

let t: TestApp;
let rulesDir: string;
beforeAll(async () => {
  rulesDir = await mkdtemp(join(tmpdir(), 'leadgate-hooks-'));
  await cp(BASIC_RULES, rulesDir, { recursive: true });
  await writeHookSources(rulesDir);
  t = await createTestApp({ rulesDir, env });
});
afterAll(async () => {
  await t.close();
  await rm(rulesDir, { recursive: true, force: true });
});

async function deliver(source: string, body: string, headers: Record<string, string>) {
  const res = await t.app.request(`/hooks/${source}`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
}
const leadsWithExternalId = (ext: string) => t.backend.runner.query<Record<string, unknown>>('select id::text, fields from leads where external_id = $1', [ext]);

describe('POST /hooks/:source, standard-webhooks', () => {
  it('creates the lead once, however often the event is redelivered', async () => {
    const body = contact('C-1', '0412 800 001');
    const first = await deliver('crm', body, standardHeaders('evt-1', body));
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toEqual(accepted('crm', 'evt-1'));
    const again = await deliver('crm', body, standardHeaders('evt-1', body));
    expect(again).toEqual({ status: 200, text: first.text, replayed: 'true' });
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => deliver('crm', body, standardHeaders('evt-1', body))));
    expect(concurrent.every((r) => r.text === first.text)).toBe(true);
    expect(await leadsWithExternalId('C-1')).toHaveLength(1);
  });

  it('creates one lead when copies of a new event arrive at once', async () => {
    const body = contact('C-2', '0412 800 002');
    const copies = await Promise.all(Array.from({ length: 4 }, () => deliver('crm', body, standardHeaders('evt-2', body))));
    expect(new Set(copies.map((c) => c.text)).size).toBe(1);
    expect(await leadsWithExternalId('C-2')).toHaveLength(1);
  });

  it('accepts the previous secret during rotation', async () => {
    const body = contact('C-3', '0412 800 003');
    expect((await deliver('crm', body, standardHeaders('evt-3', body, OLD_SECRET))).status).toBe(200);
  });

  it.each(SIGNATURE_REFUSALS)('refuses %s with 401 and writes nothing', async (_name, headers, error) => {
    const body = contact('C-X', '0412 800 099');
    const res = await deliver('crm', body, headers(body));
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toEqual({ error });
    expect(await leadsWithExternalId('C-X')).toHaveLength(0);
  });

  it('upserts: a later event for the same contact updates its lead', async () => {
    const created = JSON.parse((await deliver('crm', contact('C-4', '0412 800 004'), standardHeaders('evt-4a', contact('C-4', '0412 800 004')))).text);
    const body = contact('C-4', '0412 800 005', 'Grace');
    const updated = JSON.parse((await deliver('crm', body, standardHeaders('evt-4b', body))).text);
    expect(updated).toMatchObject({ code: 0, leadId: created.leadId });
    expect(await leadsWithExternalId('C-4')).toEqual([{ id: created.leadId, fields: { phone: '0412 800 005', firstName: 'Grace' } }]);
  });

  it('answers a signed body with a JSON syntax error with its line and column, writing nothing', async () => {
    const count = async () => (await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads'))[0]!.n;
    const before = await count();
    const body = '{\n  "type": "contact.created",\n  "contact": {"id": "C-J", "phone": "0412 800 098",}\n}';
    const res = await deliver('crm', body, standardHeaders('evt-json', body));
    expect([res.status, JSON.parse(res.text)]).toEqual([400, { error: "the body is not valid JSON: a trailing comma before '}' at line 3, column 52" }]);
    expect(await count()).toBe(before);
  });

  it('answers 404 for an unknown source and 422 for an event id reused with another body', async () => {
    expect((await deliver('nope', '{}', {})).status).toBe(404);
    const body = contact('C-5', '0412 800 006');
    await deliver('crm', body, standardHeaders('evt-5', body));
    const other = contact('C-5', '0412 800 007');
    expect((await deliver('crm', other, standardHeaders('evt-5', other))).status).toBe(422);
  });
});

describe('POST /hooks/:source, hmac-sha256', () => {
  const sign = (body: string, timestamp?: number) => ({
    'x-signature': `sha256=${createHmac('sha256', HMAC_SECRET).update(timestamp === undefined ? body : `${timestamp}.${body}`).digest('hex')}`,
    ...(timestamp === undefined ? {} : { 'x-timestamp': String(timestamp) }),
  });

  it('verifies with and without a timestamp, and takes the event id from the payload', async () => {
    const body = JSON.stringify({ eventId: 'f-1', data: { phone: '0412 800 101', surname: 'Lovelace' } });
    const res = await deliver('forms', body, sign(body, Math.floor(Date.now() / 1000)));
    expect(JSON.parse(res.text)).toMatchObject({ source: 'forms', eventId: 'f-1', code: 0 });
    const body2 = JSON.stringify({ eventId: 'f-2', data: { phone: '0412 800 102' } });
    expect((await deliver('forms', body2, sign(body2))).status).toBe(200);
    expect((await deliver('forms', body2, { 'x-signature': 'sha256=00' })).status).toBe(401);
    expect((await deliver('forms', body, sign(body, Math.floor(Date.now() / 1000) - 1000))).status).toBe(401);
  });

  it('answers a refused lead with its code, and remembers it', async () => {
    const body = JSON.stringify({ eventId: 'f-3', data: { phone: 'not a phone' } });
    const res = await deliver('forms', body, sign(body));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ code: 102, message: 'NO_PHONE_FIELDS' });
    expect((await deliver('forms', body, sign(body))).replayed).toBe('true');
  });
});

describe('source files', () => {
  it('refuse bad JSONPath keys, missing secrets and unknown targets at load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'leadgate-hooks-bad-'));
    try {
      await cp(BASIC_RULES, dir, { recursive: true });
      await mkdir(join(dir, 'sources'));
      await writeFile(
        join(dir, 'sources/bad.yaml'),
        stringify({
          version: 1,
          target: { templateId: 1, campaignId: 10, allocationId: 999 },
          signature: { scheme: 'hmac-sha256', secrets: ['${env:MISSING}'] },
          eventId: '$.id',
          fields: { phone: '$..[' },
        }),
      );
      const result = compileRuleSet(await readRulesDir(dir), {});
      expect(result.ok ? [] : result.errors.map((e) => `${e.file} ${e.path}`)).toEqual([
        'sources/bad.yaml signature.secrets[0]',
        'sources/bad.yaml fields.phone',
        'sources/bad.yaml target',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('webhooks during a store outage', () => {
  it('are refused with 503 and Retry-After, so the sender retries them later', async () => {
    const down = await createTestApp({ rulesDir, env });
    await down.backend.close();
    const body = contact('C-9', '0412 800 009');
    const res = await down.app.request('/hooks/crm', { method: 'POST', body, headers: standardHeaders('evt-9', body) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ error: 'the lead store is unavailable; retry later' });
  });
});
