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

describe('/v1/leads/search', () => {
  it('finds by phone, list and status with offset, limit and total', async () => {
    await insert('412600010');
    await insert('412600011');
    const byPhone = await call('POST', 'leads/search', { phone_number: '0412 600 010', phone_code: '61' });
    expect(byPhone.body).toEqual({
      success: true,
      data: {
        offset: 0,
        limit: 100,
        total: 1,
        entries: [expect.objectContaining({ id: expect.any(String), status: null, phone_number: '+61412600010', list_id: '100', campaign_id: '10', created_at: expect.any(String) })],
      },
    });
    const paged = await call('POST', 'leads/search', { list_id: '100', offset: '1', limit: '1' });
    expect((paged.body.data as { total: number }).total).toBeGreaterThanOrEqual(3);
    expect((paged.body.data as { entries: unknown[] }).entries).toHaveLength(1);
    expect((await call('POST', 'leads/search', { limit: '2001' })).body).toEqual({ success: false, code: 204, text: 'limit must be a whole number from 1 to 2000' });
  });
});

describe('/v1/dnc', () => {
  it('inserts, finds and deletes global and campaign entries', async () => {
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '0', reason: 'asked' })).body).toEqual({
      success: true,
      data: { phone_number: '+61412600020', campaign_id: '0', inserted: true },
    });
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '0' })).body.data).toMatchObject({ inserted: false });
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '10' })).body.data).toMatchObject({ inserted: true });
    expect((await call('POST', 'dnc/insert', { phone_number: '412600020', phone_code: '61', campaign_id: '77' })).body).toEqual({ success: false, code: 117, text: 'campaign 77 does not exist' });
    expect((await call('POST', 'dnc/insert', { phone_number: '12', phone_code: '61' })).body).toEqual({ success: false, code: 6008, text: 'The phone number is invalid' });

    const found = await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61' });
    expect(found.body.data).toMatchObject({ total: 2, entries: [expect.objectContaining({ campaign_id: '0', reason: 'asked', source: 'convoso' }), expect.objectContaining({ campaign_id: '10' })] });
    // the entry is enforced on inserts
    expect((await call('POST', 'leads/insert', { list_id: '100', phone_number: '412600020', phone_code: '61' })).body.code).toBe(6010);

    expect((await call('POST', 'dnc/delete', { phone_number: '412600020', phone_code: '61', campaign_id: '0' })).body.data).toMatchObject({ deleted: 1 });
    expect((await call('POST', 'dnc/delete', { phone_number: '412600020', phone_code: '61', campaign_id: '10' })).body.data).toMatchObject({ deleted: 1 });
    expect((await call('POST', 'dnc/search', { phone_number: '412600020', phone_code: '61' })).body.data).toMatchObject({ total: 0, entries: [] });
  });
});

describe('GET /v1/lead-validation/search (the ping)', () => {
  const counts = async () => (await t.backend.runner.query<{ n: string }>(`select (select count(*) from leads) + (select count(*) from decision_records) + (select count(*) from dnc) as n`))[0]!.n;

  it('accepts or denies by DNC, duplicates and the duplicate-check table, writing nothing', async () => {
    await insert('412600030');
    const before = await counts();
    crm.respond({ json: {} });
    expect((await call('GET', 'lead-validation/search', { list_id: '100', phone_number: '412600031', phone_code: '61' })).body).toEqual({
      success: true,
      result: 'Accepted',
      reason: null,
      status: null,
      external_validation: true,
    });
    expect((await call('GET', 'lead-validation/search', { list_id: '100', phone_number: '412600030', phone_code: '61' })).body).toEqual({
      success: true,
      result: 'Denied',
      reason: 'the phone number already exists',
      code: 105,
    });
    crm.respond({ json: { customer: { status: 'active' } } });
    expect((await call('GET', 'lead-validation/search', { list_id: '100', phone_number: '412600032', phone_code: '61' })).body).toMatchObject({ result: 'Denied', reason: 'existing customer' });
    expect((await call('GET', 'lead-validation/search', { list_id: '100', phone_number: '12', phone_code: '61' })).body).toMatchObject({ result: 'Denied', code: 102 });
    expect(await counts()).toBe(before);
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
