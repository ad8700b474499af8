import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/test-app.js';
import { convoso, freshMobile } from './convoso-client.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const postInsert = (params: Record<string, string>) => convoso(t.app, 'lead-post-validation/insert', params);
const ping = (params: Record<string, string>) => convoso(t.app, 'lead-validation/search', params, 'get');
const leadRow = async (id: string) =>
  (await t.backend.runner.query<{ allocation_id: number; status: string | null }>('select allocation_id, status from leads where id = $1::bigint', [id]))[0];

describe('/v1/lead-post-validation/insert: an insert under a criteria key', () => {
  it("puts the lead in the criteria's list with the criteria's checks, answering as /v1/leads/insert", async () => {
    const phone = freshMobile();
    const res = await postInsert({ criteria_key: 'sales_leads', phone_number: phone, phone_code: '61', status: 'NEW', first_name: 'Ada' });
    expect(res.body).toEqual({ success: true, data: { lead_id: expect.stringMatching(/^\d+$/) } });
    expect(await leadRow((res.body.data as { lead_id: string }).lead_id)).toEqual({ allocation_id: 100, status: 'NEW' });
    // sales_leads checks the campaign (3): the phone is taken in campaign 10, whatever check_dup the request says
    expect((await postInsert({ criteria_key: 'sales_leads', phone_number: phone, phone_code: '61', check_dup: '0' })).body).toEqual({ success: false, code: 6009, text: 'The phone number already exists' });
    // the ping says the same before any insert
    expect((await ping({ criteria_key: 'sales_leads', phone_number: phone, phone_code: '61' })).body).toMatchObject({ result: 'Denied', code: 6009 });
  });

  it('check_dup 4 of a criteria key counts closed leads of the whole account; checkDupArchive in its own scope', async () => {
    const phone = freshMobile();
    const first = await convoso(t.app, 'leads/insert', { list_id: '110', phone_number: phone, phone_code: '61' });
    await convoso(t.app, 'leads/delete', { lead_id: (first.body.data as { lead_id: string }).lead_id });
    expect((await ping({ criteria_key: 'whole_account', phone_number: phone, phone_code: '61' })).body).toEqual({
      success: true,
      result: 'Denied',
      reason: 'a closed lead already has this phone number',
      code: 6009,
    });
    expect((await postInsert({ criteria_key: 'whole_account', phone_number: phone, phone_code: '61' })).body.code).toBe(6009);
    // list_archive: list 110, its closed lead counts
    expect((await postInsert({ criteria_key: 'list_archive', phone_number: phone, phone_code: '61' })).body.code).toBe(6009);
    // sales_leads checks campaign 10's active leads only
    expect((await postInsert({ criteria_key: 'sales_leads', phone_number: phone, phone_code: '61' })).body.success).toBe(true);
  });

  it.each([
    [{ phone_number: '412345678', phone_code: '61' }, { success: false, code: 6090, text: 'Invalid criteria key', reason: 'criteria_key is required' }],
    [{ criteria_key: 'SALES_LEADS', phone_number: '412345678', phone_code: '61' }, { success: false, code: 6090, text: 'Invalid criteria key', reason: "no criteria key 'SALES_LEADS' in dialer.yaml" }],
    [{ criteria_key: 'sales_leads' }, { success: false, code: 6007, text: 'The Lead requires a phone number and list id' }],
    [{ criteria_key: 'sales_leads', phone_number: '12', phone_code: '61' }, { success: false, code: 6008, text: 'The phone number is invalid' }],
    [{ list_id: '100', phone_number: '412345678', phone_code: '61' }, { success: false, code: 6090, text: 'Invalid criteria key', reason: 'criteria_key is required' }],
  ])('%j → %j', async (params, expected) => {
    expect((await postInsert(params)).body).toEqual(expected);
  });
});
