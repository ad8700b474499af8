import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/test-app.js';
import { convoso, freshMobile, insertLead } from './convoso-client.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const update = (params: Record<string, string>) => convoso(t.app, 'leads/update', params);
async function entryOf(id: string): Promise<Record<string, unknown>> {
  const res = await convoso(t.app, 'leads/search', { lead_id: id });
  return (res.body.data as { entries: Array<Record<string, unknown>> }).entries[0]!;
}

describe('/v1/leads/update applies every documented field, read back through search', () => {
  const FIELDS: Array<[name: string, value: string, readBack: Record<string, unknown>]> = [
    ['status', 'CALLBACK', { status: 'CALLBACK' }],
    ['list_id', '101', { list_id: '101', campaign_id: '10' }],
    ['first_name', 'Grace', { first_name: 'Grace' }],
    ['last_name', 'Hopper', { last_name: 'Hopper' }],
    ['email', 'grace@example.com', { email: 'grace@example.com' }],
    ['address1', '1 Navy Way', { address1: '1 Navy Way' }],
    ['address2', 'Suite 2', { address2: 'Suite 2' }],
    ['city', 'Arlington', { city: 'Arlington' }],
    ['state', 'NJ', { state: 'NJ', lead_state: 'active' }],
    ['province', 'VA', { province: 'VA' }],
    ['postal_code', '22202', { postal_code: '22202' }],
    ['country', 'US', { country: 'US' }],
    ['gender', 'F', { gender: 'F' }],
    ['date_of_birth', '1906-12-09', { date_of_birth: '1906-12-09' }],
    ['owner_id', '42', { owner_id: '42' }],
    ['user_id', '43', { user_id: '43' }],
    ['created_by', 'api', { created_by: 'api' }],
    ['last_modified_by', 'agent-7', { last_modified_by: 'agent-7' }],
    ['notes', 'call after 5', { notes: 'call after 5' }],
    ['std_company_name', 'Acme', { std_company_name: 'Acme' }],
    ['alt_phone_1', '412 999 001', { alt_phone_1: '+61412999001' }],
    ['alt_phone_2', '0412999002', { alt_phone_2: '+61412999002' }],
  ];

  it.each(FIELDS)('%s', async (name, value, readBack) => {
    const id = await insertLead(t.app, { first_name: 'Ada', status: 'NEW' });
    expect((await update({ lead_id: id, [name]: value })).body).toEqual({ success: true, data: { lead_id: id } });
    expect(await entryOf(id)).toMatchObject(readBack);
  });

  it('phone_number with phone_code is international; without it, national in the template country', async () => {
    const id = await insertLead(t.app);
    const international = freshMobile();
    expect((await update({ lead_id: id, phone_number: international, phone_code: '61' })).body.success).toBe(true);
    expect(await entryOf(id)).toMatchObject({ phone_number: international, phone_code: '61', phone: `+61${international}` });
    const national = freshMobile();
    expect((await update({ lead_id: id, phone_number: `0${national}` })).body.success).toBe(true);
    expect(await entryOf(id)).toMatchObject({ phone_number: national, phone_code: '61' });
    // the old number is the lead's no more: a list-scoped insert of it is not a duplicate
    expect((await convoso(t.app, 'leads/insert', { list_id: '100', phone_number: international, phone_code: '61', check_dup: '2' })).body.success).toBe(true);
  });

  it('moves the lead between lists of its campaign; another campaign is no list of its', async () => {
    const phone = freshMobile();
    const id = await insertLead(t.app, { phone_number: phone });
    expect((await update({ lead_id: id, list_id: '110' })).body).toEqual({ success: false, code: 6002, text: 'No such List' });
    expect((await update({ lead_id: id, list_id: 'abc' })).body).toEqual({ success: false, code: 6002, text: 'No such List' });
    expect((await update({ lead_id: id, list_id: '101' })).body.success).toBe(true);
    // the lead's phone now counts in list 101, and no longer in list 100
    expect((await convoso(t.app, 'leads/insert', { list_id: '101', phone_number: phone, phone_code: '61', check_dup: '2' })).body.code).toBe(6009);
    expect((await convoso(t.app, 'leads/insert', { list_id: '100', phone_number: phone, phone_code: '61', check_dup: '2' })).body.success).toBe(true);
  });

  it('writes a call record of what changed', async () => {
    const id = await insertLead(t.app, { first_name: 'Ada', status: 'NEW' });
    await update({ lead_id: id, first_name: 'Grace', status: 'SALE', list_id: '101' });
    expect(await t.backend.runner.query('select source, changes from call_records where lead_id = $1::bigint', [id])).toEqual([
      { source: 'convoso', changes: { first_name: { old: 'Ada', new: 'Grace' }, status: { old: 'NEW', new: 'SALE' }, allocationId: { old: 100, new: 101 } } },
    ]);
  });

  it.each([
    ['id', { id: '5' }, "'id' cannot be changed through /v1/leads/update"],
    ['created_at', { created_at: '2026-01-01' }, "'created_at' cannot be changed through /v1/leads/update"],
    ['lead_state', { lead_state: 'closed' }, "'lead_state' cannot be changed through /v1/leads/update"],
    ['campaign_id', { campaign_id: '11' }, "'campaign_id' cannot be changed through /v1/leads/update"],
    ['check_dup', { check_dup: '1' }, "'check_dup' cannot be changed through /v1/leads/update"],
    ['a system field', { njPriority: '5' }, "'njPriority' is a leadgate system field, not a Convoso parameter"],
    ['phone_code alone', { phone_code: '44' }, 'phone_code is applied together with phone_number'],
  ])('refuses %s with 6902 and changes nothing', async (_name, params, reason) => {
    const id = await insertLead(t.app, { first_name: 'Ada' });
    expect((await update({ lead_id: id, first_name: 'Changed', ...params })).body).toEqual({ success: false, code: 6902, text: 'The parameter cannot be applied', reason });
    expect(await entryOf(id)).toMatchObject({ first_name: 'Ada' });
  });

  it('refuses an invalid email (6079) and an invalid phone (6008)', async () => {
    const id = await insertLead(t.app);
    expect((await update({ lead_id: id, email: 'nope' })).body).toEqual({ success: false, code: 6079, text: 'Invalid email' });
    expect((await update({ lead_id: id, phone_number: '12' })).body).toEqual({ success: false, code: 6008, text: 'The phone number is invalid' });
  });
});
