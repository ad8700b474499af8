import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppWithCrm } from '../../support/crm-rules.js';
import type { FakeCrm } from '../../support/fake-crm.js';
import { API_KEY, type TestApp } from '../../support/test-app.js';

let t: TestApp;
let crm: FakeCrm;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ crm, t, close } = await createAppWithCrm());
});
afterAll(() => close());

async function call(method: 'GET' | 'POST', path: string, params: Record<string, string>) {
  const all = new URLSearchParams({ auth_token: API_KEY, ...params });
  const res =
    method === 'GET'
      ? await t.app.request(`/v1/${path}?${all}`)
      : await t.app.request(`/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: all.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const insert = async (phone: string, extra: Record<string, string> = {}) => {
  crm.respond({ json: {} });
  const res = await call('POST', 'leads/insert', { list_id: '100', phone_number: phone, phone_code: '61', ...extra });
  return (res.body.data as { lead_id: string }).lead_id;
};

describe('/v1/leads/update', () => {
  it('overwrites the given fields of the lead, re-normalising a new phone', async () => {
    const id = await insert('412600001', { first_name: 'Ada' });
    const res = await call('POST', 'leads/update', { lead_id: id, first_name: 'Grace', phone_number: '412600002', phone_code: '61' });
    expect(res.body).toEqual({ success: true, data: { lead_id: id } });
    const [row] = await t.backend.runner.query<Record<string, unknown>>('select fields, phones, version from leads where id = $1::bigint', [id]);
    expect(row).toEqual({ fields: { phone: '+61412600002', first_name: 'Grace' }, phones: ['+61412600002'], version: 2 });
    const records = await t.backend.runner.query('select source, changes from call_records where lead_id = $1::bigint', [id]);
    expect(records).toEqual([{ source: 'convoso', changes: { phone: { old: '+61412600001', new: '+61412600002' }, first_name: { old: 'Ada', new: 'Grace' } } }]);
  });

  it.each([[{}], [{ lead_id: '999999' }], [{ lead_id: 'abc' }]])('answers 6001 for %j', async (params) => {
    expect((await call('POST', 'leads/update', params)).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
  });
});

describe('/v1/leads/delete', () => {
  it('closes the lead: its phone is free again, updates and deletes find it no more, search shows it closed', async () => {
    const id = await insert('412600050');
    expect((await call('GET', 'leads/delete', { lead_id: id })).body).toEqual({ success: true });
    expect(await t.backend.runner.query('select state from leads where id = $1::bigint', [id])).toEqual([{ state: 'closed' }]);
    expect(await t.backend.runner.query('select count(*)::int as n from phone_claims where lead_id = $1::bigint', [id])).toEqual([{ n: 0 }]);
    expect((await call('POST', 'leads/delete', { lead_id: id })).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
    expect((await call('POST', 'leads/update', { lead_id: id, first_name: 'Ghost' })).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
    expect((await call('POST', 'leads/search', { lead_id: id })).body.data).toMatchObject({ total: '1', entries: [{ id, lead_state: 'closed' }] });
    crm.respond({ json: {} });
    expect((await call('POST', 'leads/insert', { list_id: '100', phone_number: '412600050', phone_code: '61', check_dup: '3' })).body.success).toBe(true);
  });

  it.each([[{}], [{ lead_id: '999999' }], [{ lead_id: 'abc' }]])('answers 6001 for %j', async (params) => {
    expect((await call('POST', 'leads/delete', params)).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
  });
});

describe('/v1/dnc', () => {
  it('inserts (answering the entry id), finds and deletes global and campaign entries', async () => {
    const global = await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '0', reason: 'asked', purpose: 'opt-out' });
    expect(global.body).toEqual({ success: true, id: expect.stringMatching(/^\d+$/) });
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '0' })).body).toEqual({ success: false, code: 6008, text: 'The phone number already exists.' });
    const campaign = await call('GET', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '10' });
    expect(campaign.body).toEqual({ success: true, id: expect.stringMatching(/^\d+$/) });
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '77' })).body).toEqual({
      success: false,
      code: 6006,
      text: 'Invalid Campaign ID',
      reason: "campaign_id must be 0 (global) or a campaign id, got '77'",
    });
    expect((await call('POST', 'dnc/insert', { phone_number: '12', phone_code: '61' })).body).toEqual({ success: false, code: 6008, text: 'The phone number is invalid' });

    const found = await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61' });
    expect(found.body).toEqual({
      success: true,
      data: {
        offset: '0',
        limit: '100',
        total: '2',
        entries: [
          { id: global.body.id, phone_number: '412600020', phone_code: '61', campaign_id: '0', reason: 'asked', purpose: 'opt-out', insert_date: expect.any(String) },
          { id: campaign.body.id, phone_number: '412600020', phone_code: '61', campaign_id: '10', reason: null, purpose: null, insert_date: expect.any(String) },
        ],
      },
    });
    expect((await call('POST', 'dnc/search', { id: campaign.body.id as string })).body.data).toMatchObject({ total: '1' });
    expect((await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61', reason: '-BLANK-' })).body.data).toMatchObject({ total: '1', entries: [{ campaign_id: '10' }] });
    expect((await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61', reason: '-NOTBLANK-' })).body.data).toMatchObject({ total: '1', entries: [{ campaign_id: '0' }] });
    expect((await call('POST', 'dnc/search', { purpose: 'opt-out', phone_number: '412600020', phone_code: '61' })).body.data).toMatchObject({ total: '1' });
    const today = new Date().toISOString().slice(0, 10);
    expect((await call('POST', 'dnc/search', { insert_date: today, phone_number: '412600020', phone_code: '61' })).body.data).toMatchObject({ total: '2' });
    expect((await call('POST', 'dnc/search', { insert_date: '2001-01-01', phone_number: '412600020', phone_code: '61' })).body.data).toMatchObject({ total: '0' });
    expect((await call('POST', 'dnc/search', { limit: '1001' })).body).toMatchObject({ success: false, code: 7258 });
    // the entry is enforced on inserts
    expect((await call('POST', 'leads/insert', { list_id: '100', phone_number: '412600020', phone_code: '61' })).body.code).toBe(6010);

    expect((await call('POST', 'dnc/delete', { phone_number: '412600020', phone_code: '61', campaign_id: '0' })).body).toEqual({ success: true });
    expect((await call('GET', 'dnc/delete', { phone_number: '412600020', phone_code: '61', campaign_id: '10' })).body).toEqual({ success: true });
    expect((await call('POST', 'dnc/delete', { phone_number: '412600020', phone_code: '61', campaign_id: '10' })).body).toEqual({ success: false, code: 6001, text: 'The phone number is not on that DNC list' });
    expect((await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61' })).body.data).toMatchObject({ total: '0', entries: [] });
  });

  it('updates an entry by id: phone, campaign, reason and purpose (-BLANK- clears); 6056 and 6059', async () => {
    const first = (await call('POST', 'dnc/insert', { phone_number: '412600060', phone_code: '61', reason: 'asked', purpose: 'opt-out' })).body.id as string;
    const second = (await call('POST', 'dnc/insert', { phone_number: '412600061', phone_code: '61' })).body.id as string;
    expect((await call('POST', 'dnc/update', { id: first, phone_number: '412600062', phone_code: '61', campaign_id: '10', reason: 'asked twice', purpose: '-BLANK-' })).body).toEqual({ success: true, id: first });
    expect((await call('POST', 'dnc/search', { id: first })).body.data).toMatchObject({
      entries: [{ id: first, phone_number: '412600062', campaign_id: '10', reason: 'asked twice', purpose: null }],
    });
    expect((await call('GET', 'dnc/update', { id: first, reason: '-BLANK-' })).body).toEqual({ success: true, id: first });
    expect((await call('POST', 'dnc/search', { id: first })).body.data).toMatchObject({ entries: [{ reason: null }] });
    // the second entry is 412600061 on the global list: moving the first onto it clashes
    expect((await call('POST', 'dnc/update', { id: first, phone_number: '412600061', phone_code: '61', campaign_id: '0' })).body).toEqual({
      success: false,
      code: 6059,
      text: 'The phone number and campaign combination already exists',
    });
    expect(second).toMatch(/^\d+$/);
    for (const id of ['', 'abc', '999999']) expect((await call('POST', 'dnc/update', { id, reason: 'x' })).body).toEqual({ success: false, code: 6056, text: 'Missing or invalid value for ID' });
  });
});

describe('/v1/lead-validation/search (the ping)', () => {
  const counts = async () => (await t.backend.runner.query<{ n: string }>(`select (select count(*) from leads) + (select count(*) from decision_records) + (select count(*) from dnc) as n`))[0]!.n;

  it('accepts or denies by DNC, duplicates and the duplicate-check table, writing nothing', async () => {
    await insert('412600030');
    const before = await counts();
    crm.respond({ json: {} });
    for (const method of ['GET', 'POST'] as const) {
      expect((await call(method, 'lead-validation/search', { criteria_key: 'sales_leads', phone_number: '412600031', phone_code: '61' })).body).toEqual({
        success: true,
        result: 'Accepted',
        reason: null,
        status: null,
        external_validation: true,
      });
    }
    expect((await call('GET', 'lead-validation/search', { criteria_key: 'sales_leads', phone_number: '412600030', phone_code: '61' })).body).toEqual({
      success: true,
      result: 'Denied',
      reason: 'the phone number already exists',
      code: 6009,
    });
    // list_id still works in place of criteria_key
    expect((await call('GET', 'lead-validation/search', { list_id: '100', phone_number: '412600030', phone_code: '61' })).body).toMatchObject({ result: 'Denied', code: 6009 });
    crm.respond({ json: { customer: { status: 'active' } } });
    expect((await call('GET', 'lead-validation/search', { criteria_key: 'sales_leads', phone_number: '412600032', phone_code: '61' })).body).toMatchObject({ result: 'Denied', reason: 'existing customer', code: 6009 });
    expect((await call('GET', 'lead-validation/search', { criteria_key: 'sales_leads', phone_number: '12', phone_code: '61' })).body).toMatchObject({ result: 'Denied', code: 6008 });
    expect(await counts()).toBe(before);
  });

  it('needs a known criteria_key (6090) or list (6002), and a phone number (6007)', async () => {
    expect((await call('GET', 'lead-validation/search', { phone_number: '412600033', phone_code: '61' })).body).toEqual({ success: false, code: 6090, text: 'Invalid criteria key', reason: 'criteria_key is required' });
    expect((await call('GET', 'lead-validation/search', { criteria_key: 'nope', phone_number: '412600033' })).body).toEqual({
      success: false,
      code: 6090,
      text: 'Invalid criteria key',
      reason: "no criteria key 'nope' in dialer.yaml",
    });
    expect((await call('GET', 'lead-validation/search', { list_id: '999', phone_number: '412600033' })).body).toEqual({ success: false, code: 6002, text: 'No such List' });
    expect((await call('GET', 'lead-validation/search', { criteria_key: 'sales_leads' })).body).toEqual({ success: false, code: 6007, text: 'The Lead requires a phone number and list id' });
  });
});

describe('POST /v1/workflow/leads/{lead_id}/check', () => {
  it("re-asks the CRM and applies the matched row's status and DNC addition to the lead", async () => {
    const id = await insert('412600040');
    crm.respond({ json: { flags: { doNotCall: true } } });
    const res = await call('POST', `workflow/leads/${id}/check`, {});
    expect(res.body).toEqual({ success: true, createLead: true, status: 'DNC', addToDnc: true, row: 1, key: '$.flags.doNotCall', reason: null, source: 'row' });
    expect(JSON.parse(crm.requests.at(-1)!.body)).toMatchObject({ phone_number: '+61412600040' });
    expect(await t.backend.runner.query('select status from leads where id = $1::bigint', [id])).toEqual([{ status: 'DNC' }]);
    expect(await t.backend.runner.query(`select source from dnc where e164 = '+61412600040'`)).toEqual([{ source: 'duplicate-check' }]);
    expect(await t.backend.runner.query("select outcome, entry_point, matched_row from decision_records where lead_id = $1::bigint and entry_point = 'workflow'", [id])).toEqual([
      { outcome: 'rechecked', entry_point: 'workflow', matched_row: 1 },
    ]);
  });

  it('answers 6001 for an unknown lead and 403 without the token', async () => {
    expect((await call('POST', 'workflow/leads/99999/check', {})).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
    const res = await t.app.request('/v1/workflow/leads/1/check', { method: 'POST' });
    expect(res.status).toBe(403);
  });
});
