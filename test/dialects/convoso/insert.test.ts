import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CRM_TOKEN, rulesWithCrm } from '../../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../../support/fake-crm.js';
import { API_KEY, createTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

type Params = Record<string, string>;
let serial = 0;
const freshNumber = () => `4${String(50_000_000 + serial++ * 7919).slice(-8)}`;

async function insert(app: TestApp['app'], params: Params, as: 'query' | 'form' | 'json' = 'form') {
  const withToken = { auth_token: API_KEY, ...params };
  const query = as === 'query' ? `?${new URLSearchParams(withToken)}` : '';
  const init: RequestInit =
    as === 'form'
      ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(withToken).toString() }
      : as === 'json'
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(withToken) }
        : { method: 'POST' };
  const res = await app.request(`/v1/leads/insert${query}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

describe('POST /v1/leads/insert', () => {
  it.each(['query', 'form', 'json'] as const)('inserts from a %s and answers the lead id', async (as) => {
    const number = freshNumber();
    const res = await insert(t.app, { list_id: '100', phone_number: number, phone_code: '61', first_name: 'Ada', email: 'ada@example.com' }, as);
    expect(res).toEqual({ status: 200, body: { success: true, data: { lead_id: expect.stringMatching(/^\d+$/) } }, retryAfter: null });
    const [row] = await t.backend.runner.query<Record<string, unknown>>('select phones, fields, allocation_id, campaign_id from leads where id = $1::bigint', [
      (res.body.data as { lead_id: string }).lead_id,
    ]);
    expect(row).toEqual({ phones: [`+61${number}`], fields: { phone: `+61${number}`, first_name: 'Ada', email: 'ada@example.com' }, allocation_id: 100, campaign_id: 10 });
  });

  it.each([
    ['no auth_token', { auth_token: '' }],
    ['a wrong auth_token', { auth_token: 'nope' }],
  ])('answers 403 Forbidden for %s', async (_name, params) => {
    const res = await insert(t.app, { list_id: '100', phone_number: freshNumber(), ...params });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ success: false, code: 403, text: 'Forbidden' });
  });

  it.each([
    ['no phone number', { list_id: '100' }, 6007, 'The Lead requires a phone number and list id'],
    ['no list id', { phone_number: '412345678', phone_code: '61' }, 6007, 'The Lead requires a phone number and list id'],
    ['an unknown list', { list_id: '999', phone_number: '412345678', phone_code: '61' }, 6002, 'No such List'],
    ['a non-numeric list', { list_id: 'abc', phone_number: '412345678', phone_code: '61' }, 6002, 'No such List'],
    ['an invalid phone', { list_id: '100', phone_number: '12', phone_code: '61' }, 6008, 'The phone number is invalid'],
    ['an AU number with the default US code', { list_id: '100', phone_number: '0412345678' }, 6008, 'The phone number is invalid'],
    ['an invalid email', { list_id: '100', phone_number: '412345678', phone_code: '61', email: 'not-an-email' }, 6079, 'Invalid email'],
  ])('answers %s with its code, HTTP 200', async (_name, params, code, text) => {
    const res = await insert(t.app, params as Params);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: false, code, text });
  });

  it('answers a JSON body with a syntax error with its line and column, writing nothing', async () => {
    const count = async () => (await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads'))[0]!.n;
    const before = await count();
    const body = `{\n  "auth_token": "${API_KEY}",\n  "list_id": 100,\n  "phone_number": "${freshNumber()}"\n  "phone_code": "61"\n}`;
    const res = await t.app.request('/v1/leads/insert', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect([res.status, await res.json()]).toEqual([
      200,
      { success: false, code: 6023, text: 'Required fields are missed', reason: "the body is not valid JSON: unexpected '\"' at line 5, column 3 (expected ',' or '}')" },
    ]);
    expect(await count()).toBe(before);
  });

  it('checks duplicates in the scope check_dup names', async () => {
    const number = freshNumber();
    const base = { phone_number: number, phone_code: '61' };
    expect((await insert(t.app, { ...base, list_id: '100' })).body.success).toBe(true);
    // 2 = list (allocation): another list of the same campaign is fine
    expect((await insert(t.app, { ...base, list_id: '101', check_dup: '2' })).body.success).toBe(true);
    // 3 = campaign
    expect((await insert(t.app, { ...base, list_id: '101', check_dup: '3' })).body).toEqual({ success: false, code: 6009, text: 'The phone number already exists' });
    // 1 (or true) = the whole account: another campaign too
    expect((await insert(t.app, { ...base, list_id: '110', check_dup: '1' })).body.code).toBe(6009);
    expect((await insert(t.app, { ...base, list_id: '110', check_dup: 'true' })).body.code).toBe(6009);
    expect((await insert(t.app, { ...base, list_id: '110', check_dup: '4' })).body.code).toBe(6009);
    // 0 (or false) = none
    expect((await insert(t.app, { ...base, list_id: '100', check_dup: '0' })).body.success).toBe(true);
    expect((await insert(t.app, { ...base, list_id: '100', check_dup: 'false' })).body.success).toBe(true);
    for (const bad of ['7', 'toString', 'yes']) {
      expect((await insert(t.app, { ...base, list_id: '100', check_dup: bad })).body).toEqual({
        success: false,
        code: 6905,
        text: 'Invalid field value',
        reason: `check_dup must be 0, 1, 2, 3, 4, true or false, got '${bad}'`,
      });
    }
  });

  it('check_dup 4 and check_dup_archive count closed (deleted) leads; the other levels do not', async () => {
    const number = freshNumber();
    const base = { phone_number: number, phone_code: '61' };
    const first = await insert(t.app, { ...base, list_id: '100' });
    const leadId = (first.body.data as { lead_id: string }).lead_id;
    const deleted = await t.app.request(`/v1/leads/delete?auth_token=${API_KEY}&lead_id=${leadId}`);
    expect(await deleted.json()).toEqual({ success: true });
    const duplicate = { success: false, code: 6009, text: 'The phone number already exists' };
    expect((await insert(t.app, { ...base, list_id: '110', check_dup: '4' })).body).toEqual(duplicate);
    expect((await insert(t.app, { ...base, list_id: '101', check_dup: '3', check_dup_archive: 'true' })).body).toEqual(duplicate);
    // without them, the closed lead's phone is free again
    expect((await insert(t.app, { ...base, list_id: '110', check_dup: '1' })).body.success).toBe(true);
    // the archive counts in check_dup's scope only: list 101 has no lead with the number, closed or not
    expect((await insert(t.app, { ...base, list_id: '101', check_dup: '2', check_dup_archive: '1' })).body.success).toBe(true);
  });

  it('stores status, and keeps Convoso instructions leadgate does not act on under _convoso_', async () => {
    const res = await insert(t.app, { list_id: '100', phone_number: freshNumber(), phone_code: '61', status: 'NEW', hopper: '1', hopper_priority: '99', notes: 'call after 5' });
    const [row] = await t.backend.runner.query<Record<string, unknown>>('select status, fields from leads where id = $1::bigint', [(res.body.data as { lead_id: string }).lead_id]);
    expect(row).toEqual({ status: 'NEW', fields: { phone: expect.stringMatching(/^\+614/), notes: 'call after 5', _convoso_hopper: '1', _convoso_hopper_priority: '99' } });
  });

  it('answers 6010 for a number on the DNC list', async () => {
    const number = freshNumber();
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ($1, 0, 'test')`, [`+61${number}`]);
    expect((await insert(t.app, { list_id: '100', phone_number: number, phone_code: '61', check_dnc: '1' })).body).toEqual({
      success: false,
      code: 6010,
      text: 'The phone number is on the DNC list',
    });
  });

  it('update_if_found=1 updates the lead that already has the phone, answering its id', async () => {
    const number = freshNumber();
    const first = await insert(t.app, { list_id: '100', phone_number: number, phone_code: '61', first_name: 'Ada' });
    const leadId = (first.body.data as { lead_id: string }).lead_id;
    const again = await insert(t.app, { list_id: '101', phone_number: number, phone_code: '61', first_name: 'Grace', status: 'CALLBACK', check_dup: '3', update_if_found: 'true' });
    expect(again.body).toEqual({ success: true, data: { lead_id: leadId } });
    const rows = await t.backend.runner.query<{ fields: Record<string, unknown>; version: number; status: string }>('select fields, version, status from leads where phones @> array[$1]::text[]', [`+61${number}`]);
    expect(rows).toEqual([{ fields: { phone: `+61${number}`, first_name: 'Grace' }, version: 2, status: 'CALLBACK' }]);
    // without the flag it stays a duplicate
    expect((await insert(t.app, { list_id: '101', phone_number: number, phone_code: '61', check_dup: '3' })).body.code).toBe(6009);
  });

  it('update_if_found looks by lead_id first, then by phone in search_list_id, search_campaign_id or the account', async () => {
    const number = freshNumber();
    const inList101 = (await insert(t.app, { list_id: '101', phone_number: number, phone_code: '61', check_dup: '0' })).body.data as { lead_id: string };
    const other = (await insert(t.app, { list_id: '100', phone_number: freshNumber(), phone_code: '61' })).body.data as { lead_id: string };
    const upsert = (params: Params) => insert(t.app, { list_id: '100', phone_number: number, phone_code: '61', check_dup: '0', update_if_found: '1', ...params });
    // by lead_id, whatever the phone
    expect((await upsert({ lead_id: other.lead_id, city: 'Perth' })).body).toEqual({ success: true, data: { lead_id: other.lead_id } });
    // by phone in list 101
    expect((await upsert({ search_list_id: '101' })).body).toEqual({ success: true, data: { lead_id: inList101.lead_id } });
    // in campaign 11 there is no such lead: a new lead is inserted
    const inserted = (await upsert({ search_campaign_id: '11' })).body.data as { lead_id: string };
    expect(inserted.lead_id).not.toBe(inList101.lead_id);
    // the account: the lowest id holding the phone
    expect((await upsert({})).body).toEqual({ success: true, data: { lead_id: inList101.lead_id } });
    expect((await upsert({ search_list_id: '999' })).body).toEqual({ success: false, code: 6002, text: 'No such List', reason: "search_list_id '999' names no list" });
    expect((await upsert({ search_campaign_id: '98' })).body).toEqual({ success: false, code: 6006, text: 'Invalid Campaign ID', reason: "search_campaign_id '98' names no campaign" });
  });

  it('answers 503 with Retry-After when the store is unreachable', async () => {
    const broken = await createTestApp();
    await broken.backend.close();
    const res = await insert(broken.app, { list_id: '100', phone_number: freshNumber(), phone_code: '61' });
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('5');
    expect(res.body).toEqual({ success: false, code: 6907, text: 'The lead store is unavailable; retry later' });
  });
});

describe('POST /v1/leads/insert with the duplicate check', () => {
  let crm: FakeCrm;
  let app: TestApp;
  let rulesDir: string;
  beforeAll(async () => {
    crm = await startFakeCrm();
    rulesDir = await rulesWithCrm(crm.url);
    app = await createTestApp({ backend: t.backend, rulesDir, env: { CRM_TOKEN } });
  });
  afterAll(async () => {
    await crm.close();
    await rm(rulesDir, { recursive: true, force: true });
  });
  beforeEach(() => crm.reset());

  it('answers a skip as 6009 with the reason and the rule', async () => {
    crm.respond({ json: { customer: { status: 'active' } } });
    expect((await insert(app.app, { list_id: '100', phone_number: freshNumber(), phone_code: '61' })).body).toEqual({
      success: false,
      code: 6009,
      text: 'The phone number already exists',
      reason: 'existing customer',
      rule: { row: 0, key: '$.customer.status' },
    });
    expect(JSON.parse(crm.requests[0]!.body)).toMatchObject({ phone_number: expect.stringMatching(/^\+614/) });
  });

  it('answers success false as 6011 with the new lead id', async () => {
    crm.respond({ json: { customer: { score: 1 } } });
    const res = await insert(app.app, { list_id: '100', phone_number: freshNumber(), phone_code: '61' });
    expect(res.body).toEqual({
      success: false,
      code: 6011,
      text: 'The lead failed external validation',
      data: { lead_id: expect.stringMatching(/^\d+$/) },
      reason: 'low score',
      rule: { row: 2, key: '$.customer.score' },
    });
  });
});
