import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEDUPE_SCOPES,
  DUPLICATE_PHONE,
  FIRST_FAILING_CHECK,
  INSERTED,
  LEAD_REJECTIONS,
  MALFORMED_BODIES,
  placeQuery,
  REQUEST_LEVEL_FAILURES,
  SAME_NUMBER,
  UNAUTHORISED_QUERIES,
} from '../../cases/noojee-insert-cases.js';
import { createTestApp, postNoojee, type NoojeeQuery, type TestApp } from '../../support/test-app.js';

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
const insert = (body: unknown, query: NoojeeQuery = {}) => postNoojee(t.app, 'insertLeadFast', body, query);

describe('insertLeadFast: request-level checks', () => {
  it.each(UNAUTHORISED_QUERIES)('answers 401 for %s', async (_name, query, description) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 401, message: 'UNAUTHORIZED', description });
  });

  it.each(REQUEST_LEVEL_FAILURES)('answers %s with its code', async (_name, query, code, message, description) => {
    const res = await insert({ phone: freshMobile() }, query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message, description });
  });

  it.each(MALFORMED_BODIES)('answers 204 when the body is %s', async (_name, body, description) => {
    const res = await insert(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 204, message: 'MALFORMED_REQUEST', description });
  });

  it('accepts a one-element array as one lead', async () => {
    const res = await insert([{ phone: freshMobile() }]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(INSERTED);
  });
});

describe('insertLeadFast: per-lead checks', () => {
  it.each(LEAD_REJECTIONS)('rejects %s', async (_name, lead, code, description) => {
    const before = await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads');
    const res = await insert(lead);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message: expect.any(String), description });
    const after = await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it.each(FIRST_FAILING_CHECK)('answers the first failing check: %s', async (_name, lead, code) => {
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
    expect((await insert({ phone: SAME_NUMBER.first })).body.code).toBe(0);
    for (const phone of SAME_NUMBER.otherForms) {
      const res = await insert({ phone });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(DUPLICATE_PHONE);
    }
    const mobileField = await insert({ phone: freshMobile(), mobile: SAME_NUMBER.mobileForm });
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
  const tpl = (templateId: number, campaignId: number, allocationId: number) => placeQuery([templateId, campaignId, allocationId]);

  it.each(DEDUPE_SCOPES)('%s', async (_name, steps) => {
    const phones = { a: freshMobile(), b: freshMobile() };
    for (const [slot, at, code] of steps) expect((await insert({ phone: phones[slot] }, placeQuery(at))).body.code).toBe(code);
  });

  it("parses national numbers with the template's country", async () => {
    const res = await insert({ phone: '(212) 555-0142' }, tpl(5, 50, 500));
    expect(res.body.code).toBe(0);
    const rows = await t.backend.runner.query<{ phones: string[] }>('select phones from leads where id = $1::bigint', [res.body.leadId]);
    expect(rows[0]!.phones).toEqual(['+12125550142']);
    expect((await insert({ phone: '0383208134' }, tpl(5, 50, 500))).body.code).toBe(102);
  });
});
