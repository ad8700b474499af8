import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

let serial = 0;
/** A valid AU mobile number no other test uses. */
const freshMobile = () => `04${String(10_000_000 + serial++ * 7919).slice(-8)}`;
const insert = (body: unknown, query = {}) => postNoojee(t.app, 'insertLeadFast', body, query);


describe('insertLeadFast: request-level checks', () => {
  it.each([
    ['no apiKey', { apiKey: null }],
    ['a wrong apiKey', { apiKey: 'nope' }],
    ['a wrong apiKey and a bad template', { apiKey: 'nope', fTemplateId: 'x' }],
  ])('answers 401 for %s', async (_name, query) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 401, message: 'UNAUTHORIZED' });
  });

  it.each([
    ['missing fTemplateId', { fTemplateId: null }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId is required'],
    ['non-integer fTemplateId', { fTemplateId: '1x' }, 116, 'TEMPLATE_ID_REQUIRED', "fTemplateId must be an integer id, got '1x'"],
    ['unknown fTemplateId', { fTemplateId: 99 }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId 99 names no campaign template'],
    ['bad template and bad campaign', { fTemplateId: 99, fCampaignId: 99 }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId 99 names no campaign template'],
    ['missing fCampaignId', { fCampaignId: null }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId is required'],
    ['unknown fCampaignId', { fCampaignId: 77 }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId 77 names no campaign'],
    ['a campaign of another template', { fCampaignId: 20 }, 117, 'CAMPAIGN_ID_REQUIRED', 'campaign 20 does not belong to template 1'],
    ['bad campaign and bad allocation', { fCampaignId: 77, fAllocationId: 9 }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId 77 names no campaign'],
    ['missing fAllocationId', { fAllocationId: null }, 115, 'ALLOCATION_ID_REQUIRED', 'fAllocationId is required'],
    ['unknown fAllocationId', { fAllocationId: 999 }, 115, 'ALLOCATION_ID_REQUIRED', 'fAllocationId 999 names no allocation'],
    ['an allocation of another campaign', { fAllocationId: 110 }, 115, 'ALLOCATION_ID_REQUIRED', 'allocation 110 does not belong to campaign 10'],
  ])('answers %s with its code', async (_name, query, code, message, description) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message, description });
  });

  it.each([
    ['not JSON', '{"phone": ', 'the body is not valid JSON'],
    ['a JSON string', '"0412345678"', 'the body must be one lead object (or a one-element array)'],
    ['two leads', [{ phone: '0412345678' }, { phone: '0412345679' }], 'the body must be one lead object (or a one-element array)'],
    ['null', 'null', 'the body must be one lead object (or a one-element array)'],
  ])('answers 204 when the body is %s', async (_name, body, description) => {
    const res = await insert(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 204, message: 'MALFORMED_REQUEST', description });
  });

  it('accepts a one-element array as one lead', async () => {
    const res = await insert([{ phone: freshMobile() }]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: expect.stringMatching(/^\d+$/) });
  });
});

describe('insertLeadFast: per-lead checks', () => {
  it.each([
    ['a nested object value', { phone: '0412000001', address: { street: 'x' } }, 204, "field 'address' must be a string, number, boolean or null"],
    ['an array value', { phone: '0412000001', tags: ['a'] }, 204, "field 'tags' must be a string, number, boolean or null"],
    ['an unknown nj field', { phone: '0412000001', njColour: 'red' }, 204, "unknown system field 'njColour'"],
    ['a system field twice', { phone: '0412000001', njPriority: 1, NJPRIORITY: 2 }, 204, "system field 'njPriority' is given twice"],
    ['njAction MODIFY', { phone: '0412000001', njAction: 'MODIFY' }, 204, "njAction 'MODIFY' is only accepted by injectLeads; inserts are ADD"],
    ['a disposition', { phone: '0412000001', njDisposition: 'SALE' }, 204, 'njDisposition applies to updates, not inserts'],
    ['<No Change>', { phone: '0412000001', surname: '<No Change>' }, 108, "field 'surname' holds <No Change>, which only updates accept"],
    ['<no change> trimmed, any case', { phone: '0412000001', surname: '  <NO change> ' }, 108, "field 'surname' holds <No Change>, which only updates accept"],
    ['no phone field', { surname: 'Smith' }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
    ['empty phone fields', { phone: '', mobile: null }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
    ['only junk in phone fields', { phone: 'call me' }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
    ['a junk phone beside a good one', { phone: '0412000001', mobile: '12' }, 202, "field 'mobile': '12' is not a valid AU phone number"],
    ['a callback in the wrong format', { phone: '0412000001', njCallBackDate: '2026-12-31 14:23' }, 114, "njCallBackDate '2026-12-31 14:23' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
    ['a callback on no real day', { phone: '0412000001', njCallBackDate: '2026/02/30 10:00' }, 114, "njCallBackDate '2026/02/30 10:00' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
    ['a callback at 24:00', { phone: '0412000001', njCallBackDate: '2026/02/03 24:00' }, 114, "njCallBackDate '2026/02/03 24:00' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
    ['unknown contact hours', { phone: '0412000001', njContactHours: 'Mars' }, 111, "njContactHours 'Mars' names no contact hours"],
    ['priority 101', { phone: '0412000001', njPriority: 101 }, 201, "njPriority '101' is not an integer from 0 to 100"],
    ['priority -1', { phone: '0412000001', njPriority: -1 }, 201, "njPriority '-1' is not an integer from 0 to 100"],
    ['priority 5.5', { phone: '0412000001', njPriority: 5.5 }, 201, "njPriority '5.5' is not an integer from 0 to 100"],
    ['priority text', { phone: '0412000001', njPriority: 'high' }, 201, "njPriority 'high' is not an integer from 0 to 100"],
  ])('rejects %s', async (_name, lead, code, description) => {
    const before = await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads');
    const res = await insert(lead);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message: expect.any(String), description });
    const after = await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it.each([
    ['<No Change> over no phone: 108 before 102', { surname: '<No Change>' }, 108],
    ['no phone over a bad date: 102 before 114', { phone: 'x', njCallBackDate: 'soon' }, 102],
    ['junk phone over a bad date: 202 before 114', { phone: '0412000001', mobile: 'x1', njCallBackDate: 'soon' }, 202],
    ['bad date over bad contact hours: 114 before 111', { phone: '0412000001', njCallBackDate: 'soon', njContactHours: 'Mars' }, 114],
    ['bad contact hours over bad priority: 111 before 201', { phone: '0412000001', njContactHours: 'Mars', njPriority: 500 }, 111],
    ['malformed over everything: 204 first', { phone: 'x', surname: '<No Change>', njWhat: 1 }, 204],
  ])('answers the first failing check: %s', async (_name, lead, code) => {
    const res = await insert(lead);
    expect(res.body.code).toBe(code);
  });

  it('treats "No Change" without brackets as an ordinary value', async () => {
    const res = await insert({ phone: freshMobile(), surname: 'No Change' });
    expect(res.body.code).toBe(0);
  });

  it('stores the lead with E.164 phones, default priority, the callback in the contact hours zone', async () => {
    const phone = freshMobile();
    const res = await insert({
      phone,
      mobile: '+61 3 8320 0001',
      firstName: 'Ada',
      age: 36,
      vip: true,
      njExternalLeadId: 'ext-store-1',
      njCallBackDate: '2016/12/31 14:23:00',
      NjContactHours: 'perth',
    });
    expect(res.status).toBe(200);
    const rows = await t.backend.runner.query<Record<string, unknown>>(
      `select template_id, campaign_id, allocation_id, external_id, status, priority, contact_hours, fields, phones,
              state, version, callback_at from leads where id = $1::bigint`,
      [res.body.leadId],
    );
    expect(rows[0]).toEqual({
      template_id: 1,
      campaign_id: 10,
      allocation_id: 100,
      external_id: 'ext-store-1',
      status: null,
      priority: 10,
      contact_hours: 'Perth',
      fields: { phone, mobile: '+61 3 8320 0001', firstName: 'Ada', age: 36, vip: true },
      phones: [`+61${phone.slice(1)}`, '+61383200001'],
      state: 'active',
      version: 1,
      // 14:23 in Perth (UTC+8, no DST) is 06:23Z
      callback_at: new Date('2016-12-31T06:23:00.000Z'),
    });
  });

  it('reads the callback in the template default zone with its daylight saving', async () => {
    const res = await insert({ phone: freshMobile(), njCallBackDate: '2016/12/31 14:23', njPriority: '0' });
    const rows = await t.backend.runner.query<{ callback_at: Date; priority: number; contact_hours: string }>(
      'select callback_at, priority, contact_hours from leads where id = $1::bigint',
      [res.body.leadId],
    );
    // Melbourne is UTC+11 in summer
    expect(rows[0]).toEqual({ callback_at: new Date('2016-12-31T03:23:00.000Z'), priority: 0, contact_hours: 'Melbourne' });
  });
});

describe('insertLeadFast: DNC, external ids and duplicates', () => {
  it('answers 104 for a number on the global DNC list, in any written form', async () => {
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ('+61383209999', 0, 'test')`);
    for (const phone of ['0383209999', '383209999', '+61 3 8320 9999']) {
      const res = await insert({ phone });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 104, message: 'DNC', description: "one of the lead's phone numbers is on the DNC list" });
    }
  });

  it('answers 104 for a campaign DNC entry only in that campaign', async () => {
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ('+61383208888', 11, 'test')`);
    expect((await insert({ phone: '0383208888' }, { fCampaignId: 11, fAllocationId: 110 })).body.code).toBe(104);
    expect((await insert({ phone: '0383208888' })).body.code).toBe(0);
  });

  it('answers 104 when any one of the phones is on the list', async () => {
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ('+61383207777', 0, 'test')`);
    expect((await insert({ phone: freshMobile(), mobile: '0383207777' })).body.code).toBe(104);
  });

  it('answers 112 for an external id already in the campaign, not in another campaign', async () => {
    expect((await insert({ phone: freshMobile(), njExternalLeadId: 'E-112' })).body.code).toBe(0);
    const again = await insert({ phone: freshMobile(), njExternalLeadId: 'E-112' });
    expect(again.body).toEqual({ code: 112, message: 'DUPLICATE_EXTERNAL_ID', description: 'njExternalLeadId already belongs to a lead of the campaign' });
    expect(again.status).toBe(400);
    expect((await insert({ phone: freshMobile(), njExternalLeadId: 'E-112' }, { fCampaignId: 11, fAllocationId: 110 })).body.code).toBe(0);
  });

  it('treats 0383208134, 383208134 and +61 3 8320 8134 as one number (105)', async () => {
    expect((await insert({ phone: '0383208134' })).body.code).toBe(0);
    for (const phone of ['383208134', '+61 3 8320 8134', '+61383208134']) {
      const res = await insert({ phone });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 105, message: 'DUPLICATE', description: 'a lead with one of these phone numbers already exists' });
    }
    const mobileField = await insert({ phone: freshMobile(), mobile: '03 8320 8134' });
    expect(mobileField.body.code).toBe(105);
  });

  it('skips de-duplication with allowDuplicates=true, only then', async () => {
    const phone = freshMobile();
    expect((await insert({ phone })).body.code).toBe(0);
    expect((await insert({ phone }, { allowDuplicates: 'yes' })).body.code).toBe(105);
    expect((await insert({ phone }, { allowDuplicates: 'true' })).body.code).toBe(0);
    expect((await insert({ phone })).body.code).toBe(105);
  });

  it('still answers DNC and external-id clashes with allowDuplicates=true', async () => {
    await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ('+61383206666', 0, 'test')`);
    expect((await insert({ phone: '0383206666' }, { allowDuplicates: 'true' })).body.code).toBe(104);
    expect((await insert({ phone: freshMobile(), njExternalLeadId: 'E-AD' })).body.code).toBe(0);
    expect((await insert({ phone: freshMobile(), njExternalLeadId: 'E-AD' }, { allowDuplicates: 'true' })).body.code).toBe(112);
  });

  it.each([
    ['DNC over a clashing external id: 104 before 112', 104],
    ['a clashing external id over a duplicate phone: 112 before 105', 112],
  ])('answers the store checks in order: %s', async (_name, expected) => {
    const phone = freshMobile();
    const ext = `ORDER-${expected}`;
    expect((await insert({ phone, njExternalLeadId: ext })).body.code).toBe(0);
    if (expected === 104) {
      const dncPhone = freshMobile();
      await t.backend.runner.query(`insert into dnc (e164, campaign_id, source) values ($1, 0, 'test')`, [`+61${dncPhone.slice(1)}`]);
      expect((await insert({ phone: dncPhone, njExternalLeadId: ext })).body.code).toBe(104);
    } else {
      expect((await insert({ phone, njExternalLeadId: ext })).body.code).toBe(112);
    }
  });
});

describe('insertLeadFast: de-duplication scope from the template', () => {
  const tpl = (templateId: number, campaignId: number, allocationId: number) => ({
    fTemplateId: templateId,
    fCampaignId: campaignId,
    fAllocationId: allocationId,
  });

  it('campaign scope: another allocation of the campaign is a duplicate, another campaign is not', async () => {
    const phone = freshMobile();
    expect((await insert({ phone }, tpl(1, 10, 100))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(1, 10, 101))).body.code).toBe(105);
    expect((await insert({ phone }, tpl(1, 11, 110))).body.code).toBe(0);
  });

  it('allocation scope: only the same allocation is a duplicate', async () => {
    const phone = freshMobile();
    expect((await insert({ phone }, tpl(2, 20, 200))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(2, 20, 201))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(2, 20, 200))).body.code).toBe(105);
  });

  it('global scope: a lead anywhere, of any template, is a duplicate', async () => {
    const phone = freshMobile();
    expect((await insert({ phone }, tpl(1, 10, 100))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(3, 30, 300))).body.code).toBe(105);
    const other = freshMobile();
    expect((await insert({ phone: other }, tpl(3, 30, 300))).body.code).toBe(0);
    expect((await insert({ phone: other }, tpl(3, 31, 310))).body.code).toBe(105);
  });

  it('none: never a duplicate, yet later leads of other templates still see it', async () => {
    const phone = freshMobile();
    expect((await insert({ phone }, tpl(4, 40, 400))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(4, 40, 400))).body.code).toBe(0);
    expect((await insert({ phone }, tpl(3, 30, 300))).body.code).toBe(105);
  });

  it("parses national numbers with the template's country", async () => {
    const res = await insert({ phone: '(212) 555-0142' }, tpl(5, 50, 500));
    expect(res.body.code).toBe(0);
    const rows = await t.backend.runner.query<{ phones: string[] }>('select phones from leads where id = $1::bigint', [res.body.leadId]);
    expect(rows[0]!.phones).toEqual(['+12125550142']);
    expect((await insert({ phone: '0383208134' }, tpl(5, 50, 500))).body.code).toBe(102);
  });
});
