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
const freshMobile = () => `04${String(40_000_000 + serial++ * 7919).slice(-8)}`;
const update = (body: unknown, query = {}) => postNoojee(t.app, 'updateLeadFast', body, { fAllocationId: null, ...query });

/** Inserts a lead and returns its external id, phone and id. */
async function seedLead(extra: Record<string, unknown> = {}) {
  const ext = `U-${serial}`;
  const phone = freshMobile();
  const res = await postNoojee(t.app, 'insertLeadFast', { phone, surname: 'Orig', njExternalLeadId: ext, ...extra });
  expect(res.body.code).toBe(0);
  return { ext, phone, id: res.body.leadId as string };
}
const leadRow = async (id: string) =>
  (await t.backend.runner.query<Record<string, unknown>>(
    'select fields, phones, disposition, state, version, priority, contact_hours, callback_at, external_id, allocation_id from leads where id = $1::bigint',
    [id],
  ))[0]!;
const callRecords = (id: string) =>
  t.backend.runner.query<Record<string, unknown>>('select disposition, changes, source from call_records where lead_id = $1::bigint order by id', [id]);

describe('updateLeadFast', () => {
  it('overwrites given fields, keeps <No Change> and absent ones, records the call and bumps the version', async () => {
    const lead = await seedLead({ city: 'Hobart', age: 30 });
    const res = await update({ njExternalLeadId: lead.ext, njDisposition: 'sale', phone: '<No Change>', surname: 'New', city: ' <no change> ', njPriority: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: lead.id });
    expect(await leadRow(lead.id)).toMatchObject({
      fields: { phone: lead.phone, surname: 'New', city: 'Hobart', age: 30 },
      disposition: 'SALE',
      state: 'closed',
      version: 2,
      priority: 3,
    });
    expect(await callRecords(lead.id)).toEqual([
      {
        disposition: 'SALE',
        source: 'updateLeadFast',
        changes: { surname: { old: 'Orig', new: 'New' }, njDisposition: { old: null, new: 'SALE' }, njPriority: { old: 10, new: 3 } },
      },
    ]);
  });

  it.each([
    ['no njExternalLeadId', { phone: '<No Change>', njDisposition: 'SALE' }, 101, 'njExternalLeadId is required to find the lead'],
    ['an unknown njExternalLeadId', { njExternalLeadId: 'nobody', phone: '<No Change>', njDisposition: 'SALE' }, 101, "no lead of campaign 10 has njExternalLeadId 'nobody'"],
    ['no phone field', { njExternalLeadId: 'X', njDisposition: 'SALE' }, 102, 'an update must give at least one phone field (phone, mobile), as a number or <No Change>'],
    ['a junk phone', { njExternalLeadId: 'X', phone: '12', njDisposition: 'SALE' }, 202, "field 'phone': '12' is not a valid AU phone number"],
    ['an unknown disposition', { njExternalLeadId: 'X', phone: '<No Change>', njDisposition: 'Sold' }, 106, "njDisposition 'Sold' is not a disposition of template 1"],
    ['a bad callback date', { njExternalLeadId: 'X', phone: '<No Change>', njDisposition: 'SALE', njCallBackDate: 'tomorrow' }, 114, "njCallBackDate 'tomorrow' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
    ['unknown contact hours', { njExternalLeadId: 'X', phone: '<No Change>', njDisposition: 'SALE', njContactHours: 'Mars' }, 111, "njContactHours 'Mars' names no contact hours"],
    ['a bad priority', { njExternalLeadId: 'X', phone: '<No Change>', njDisposition: 'SALE', njPriority: 'top' }, 201, "njPriority 'top' is not an integer from 0 to 100"],
    ['njAction ADD', { njExternalLeadId: 'X', phone: '<No Change>', njAction: 'ADD' }, 204, "njAction 'ADD' does not belong on this request"],
  ])('answers %s with its code', async (_name, body, code, description) => {
    const res = await update(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message: expect.any(String), description });
  });

  it('answers 107 when the disposition is left out and the lead has none, accepts it once it has one', async () => {
    const lead = await seedLead();
    const res = await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: '<No Change>' });
    expect(res.body).toEqual({ code: 107, message: 'DISPOSTION_ISNT_SET_AND_NOCHANGE_SPECIFIED', description: 'njDisposition is omitted or <No Change>, and the lead has no disposition yet' });
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'busy' })).body.code).toBe(0);
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', surname: 'Later' })).body.code).toBe(0);
    expect(await leadRow(lead.id)).toMatchObject({ disposition: 'busy', fields: { surname: 'Later' }, version: 3 });
  });

  it('answers 114 for a callback disposition without a date, and schedules it with one', async () => {
    const lead = await seedLead();
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'Call Back' })).body).toMatchObject({
      code: 114,
      description: "disposition 'Call Back' schedules a callback and needs njCallBackDate",
    });
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'Call Back', njCallBackDate: '2016/12/25 03:15' })).body.code).toBe(0);
    expect(await leadRow(lead.id)).toMatchObject({ callback_at: new Date('2016-12-24T16:15:00.000Z'), state: 'active' });
  });

  it('checks fAllocationId only when given, and the template and campaign always', async () => {
    const lead = await seedLead();
    const body = { njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'busy' };
    expect((await update(body, { fAllocationId: 999 })).body.code).toBe(115);
    expect((await update(body, { fCampaignId: 11 })).body.code).toBe(101);
    expect((await update(body, { fTemplateId: 2 })).body.code).toBe(117);
    expect((await update(body, { apiKey: 'x' })).status).toBe(401);
    expect((await update(body, { fAllocationId: 100 })).body.code).toBe(0);
  });

  it('re-normalises a changed phone without de-duplicating it; the old number is free again', async () => {
    const a = await seedLead();
    const b = await seedLead();
    expect((await update({ njExternalLeadId: a.ext, phone: b.phone.replace(/^0/, '+61 '), njDisposition: 'busy' })).body.code).toBe(0);
    expect((await leadRow(a.id)).phones).toEqual([`+61${b.phone.slice(1)}`]);
    // a's old number no longer belongs to any lead: an insert of it is not a duplicate
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: a.phone })).body.code).toBe(0);
  });

  it('runs the dnc action: the phones join the DNC list and a later insert is 104', async () => {
    const lead = await seedLead();
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'dnc request' })).body.code).toBe(0);
    expect(await leadRow(lead.id)).toMatchObject({ state: 'closed', disposition: 'DNC Request' });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: lead.phone }, { fCampaignId: 11, fAllocationId: 110 })).body.code).toBe(104);
  });

  it('runs the reallocate action: a fresh copy in the allocation takes over the external id', async () => {
    const lead = await seedLead();
    const res = await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'Transfer', surname: 'Moved' });
    expect(res.body.code).toBe(0);
    const copyId = res.body.leadId as string;
    expect(copyId).not.toBe(lead.id);
    expect(await leadRow(lead.id)).toMatchObject({ state: 'reallocated', disposition: 'Transfer', allocation_id: 100 });
    expect(await leadRow(copyId)).toMatchObject({ state: 'active', disposition: null, allocation_id: 101, external_id: lead.ext, fields: { surname: 'Moved' }, version: 1 });
    // the external id now finds the copy
    expect((await update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'busy' })).body.leadId).toBe(copyId);
    // the phone still belongs to a lead of the campaign
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: lead.phone }, { fAllocationId: 101 })).body.code).toBe(105);
  });
});

describe('110: concurrent updates of one lead', () => {
  it('lets exactly the winners write, one call record each, and the last winner is what is stored', async () => {
    const lead = await seedLead();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => update({ njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'busy', surname: `Racer ${i}` })),
    );
    const codes = answers.map((a) => a.body.code);
    expect(codes.every((c) => c === 0 || c === 110)).toBe(true);
    expect(codes).toContain(110);
    const winners = answers.map((a, i) => (a.body.code === 0 ? i : -1)).filter((i) => i >= 0);
    const records = await callRecords(lead.id);
    expect(records).toHaveLength(winners.length);
    const row = await leadRow(lead.id);
    expect(row.version).toBe(1 + winners.length);
    const stored = (row.fields as { surname: string }).surname;
    expect(winners.map((i) => `Racer ${i}`)).toContain(stored);
    expect((records.at(-1)!.changes as { surname: { new: string } }).surname.new).toBe(stored);
    const loser = answers.find((a) => a.body.code === 110)!;
    expect(loser.body).toEqual({
      code: 110,
      message: 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT',
      description: 'the lead changed while this update was prepared; nothing was written, check the lead before retrying',
    });
  });
});
