import { afterEach, describe, expect, it } from 'vitest';
import { NOOJEE_PATH, startFakeNoojee, type FakeNoojee, type NoojeeOptions } from '../support/fake-dialers/noojee.js';

/**
 * The fake Noojee dialer answers as seeds 001-003 say, before leadgate is ever tested against it.
 * Every expected code, message and HTTP status below is read off the seeds' code table.
 */

let noojee: FakeNoojee;
afterEach(async () => noojee?.close());

async function start(options: NoojeeOptions = {}): Promise<FakeNoojee> {
  noojee = await startFakeNoojee({ minCallMs: 0, ...options });
  return noojee;
}

interface Call {
  op?: 'insertLeadFast' | 'insertLeadsFast' | 'updateLeadFast';
  body: unknown;
  query?: Record<string, string>;
}

async function call({ op = 'insertLeadFast', body, query = {} }: Call): Promise<{ status: number; body: Record<string, unknown> }> {
  const params = new URLSearchParams({ apiKey: noojee.apiKey, fTemplateId: '1', fCampaignId: '10', fAllocationId: '100', ...query });
  for (const [name, value] of Object.entries(query)) if (value === '') params.delete(name);
  const response = await fetch(`${noojee.url}${NOOJEE_PATH}/${op}?${params}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : { text } };
}

describe('fake Noojee: insertLeadFast', () => {
  it('stores a lead and answers 0 OK with its lead id', async () => {
    await start();
    const answer = await call({ body: { phone: '0383208134', firstName: 'Ann', njExternalLeadId: 'ext-1' } });
    expect(answer).toEqual({
      status: 200,
      body: { code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: '1001' },
    });
    expect(noojee.leads).toMatchObject([{ leadId: '1001', externalId: 'ext-1', campaignId: 10, allocationId: 100, fields: { firstName: 'Ann' } }]);
    expect(noojee.requests[0]).toMatchObject({ method: 'POST', path: `${NOOJEE_PATH}/insertLeadFast`, query: { fCampaignId: '10' } });
  });

  it.each([
    ['njExternalLeadId already in the campaign', { phone: '0399999999', njExternalLeadId: 'ext-1' }, {}, 112, 'DUPLICATE_EXTERNAL_ID'],
    ['a phone already in the campaign', { phone: '03 8320 8134' }, {}, 105, 'DUPLICATE'],
    ['a phone on the DNC list', { phone: '0311112222' }, {}, 104, 'DNC'],
    ['no phone field', { firstName: 'Bo' }, {}, 102, 'NO_PHONE_FIELDS'],
    ['<NO CHANGE> in an insert', { phone: '0355555555', surname: '<NO CHANGE>' }, {}, 108, 'IMPORT_BUT_NOCHANGE_SPECIFIED'],
    ['a callback date not yyyy/MM/dd HH:mm', { phone: '0355555555', njCallBackDate: '2016-12-31 14:23' }, {}, 114, 'INVALID_CALLBACK_DATE_FORMAT'],
    ['an unknown Contact Hours', { phone: '0355555555', njContactHours: 'Mars' }, {}, 111, 'INVALID_TIMEZONE_SPECIFIED'],
    ['no fTemplateId', { phone: '0355555555' }, { fTemplateId: '' }, 116, 'TEMPLATE_ID_REQUIRED'],
    ['a campaign not of the template', { phone: '0355555555' }, { fCampaignId: '11' }, 117, 'CAMPAIGN_ID_REQUIRED'],
    ['an allocation not of the campaign', { phone: '0355555555' }, { fAllocationId: '999' }, 115, 'ALLOCATION_ID_REQUIRED'],
  ])('answers %s with its code (HTTP 400) and stores nothing', async (_case, lead, query, code, message) => {
    await start({ dnc: ['03 1111 2222'] });
    await call({ body: { phone: '0383208134', njExternalLeadId: 'ext-1' } });
    const answer = await call({ body: lead, query });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, message });
    expect(noojee.leads).toHaveLength(1);
  });

  it('skips the phone de-duplication when allowDuplicates is true, and refuses a wrong apiKey with 401', async () => {
    await start();
    await call({ body: { phone: '0383208134' } });
    expect((await call({ body: { phone: '0383208134' }, query: { allowDuplicates: 'true' } })).body).toMatchObject({ code: 0 });
    expect((await call({ body: { phone: '0383208135' }, query: { apiKey: 'wrong' } })).status).toBe(401);
    expect(noojee.leads).toHaveLength(2);
  });

  it('insertLeadsFast answers one result per lead in order; a phone repeated in the batch is a duplicate', async () => {
    await start();
    const answer = await call({ op: 'insertLeadsFast', body: [{ phone: '0383208134' }, { phone: '0383208134' }, { name: 'x' }] });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      code: 0,
      results: [
        { index: 0, code: 0, leadId: '1001' },
        { index: 1, code: 105, message: 'DUPLICATE' },
        { index: 2, code: 102, message: 'NO_PHONE_FIELDS' },
      ],
      counts: { '0': 1, '105': 1, '102': 1 },
    });
  });
});

describe('fake Noojee: updateLeadFast', () => {
  it('finds the lead by njExternalLeadId, keeps <No Change> fields and does not de-duplicate a new phone', async () => {
    await start();
    await call({ body: { phone: '0383208134', surname: 'Smith', njExternalLeadId: 'a' } });
    await call({ body: { phone: '0383208999', njExternalLeadId: 'b' } });
    const update = (body: Record<string, string>) => call({ op: 'updateLeadFast', body, query: { fAllocationId: '' } });
    expect((await update({ njExternalLeadId: 'zz', phone: '<No Change>', njDisposition: 'SALE' })).body).toMatchObject({ code: 101 });
    expect((await update({ njExternalLeadId: 'a', surname: 'Jones' })).body).toMatchObject({ code: 102 });
    expect((await update({ njExternalLeadId: 'a', phone: '<No Change>' })).body).toMatchObject({ code: 107 });
    expect((await update({ njExternalLeadId: 'a', phone: '<No Change>', njDisposition: 'Nope' })).body).toMatchObject({ code: 106 });
    const done = await update({ njExternalLeadId: 'a', phone: '0383208999', surname: '<NO CHANGE>', njDisposition: 'sale' });
    expect(done).toMatchObject({ status: 200, body: { code: 0, leadId: '1001' } });
    expect(noojee.leads[0]).toMatchObject({ disposition: 'SALE', updates: 1, fields: { phone: '0383208999', surname: 'Smith' } });
    expect((await update({ njExternalLeadId: 'a', phone: '<No Change>' })).body).toMatchObject({ code: 0 });
  });
});

describe('fake Noojee: the rate limit of seed 003', () => {
  it('serves `concurrency` calls at once, each at least minCallMs, and answers 109 to one queued past queueTimeoutMs', async () => {
    await start({ concurrency: 2, minCallMs: 400, queueTimeoutMs: 150 });
    const began = Date.now();
    const answers = await Promise.all([0, 1, 2].map((i) => call({ body: { phone: `038320813${i}` } }).then((a) => ({ ...a, ms: Date.now() - began }))));
    const codes = answers.map((a) => a.body.code).sort();
    expect(codes).toEqual([0, 0, 109]);
    const timedOut = answers.find((a) => a.body.code === 109)!;
    expect(timedOut.status).toBe(400);
    expect(timedOut.body.message).toBe('TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS');
    expect(timedOut.ms).toBeLessThan(390);
    for (const served of answers.filter((a) => a.body.code === 0)) expect(served.ms).toBeGreaterThanOrEqual(390);
    expect(noojee.leads).toHaveLength(2);
    expect(noojee.maxInFlightSeen).toBe(3);
  });

  it('admits queued calls first in, first out', async () => {
    await start({ concurrency: 1, minCallMs: 60, queueTimeoutMs: 5_000 });
    const pending = [];
    for (const i of [0, 1, 2, 3]) {
      pending.push(call({ body: { phone: `038320813${i}` } }));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(pending);
    expect(noojee.leads.map((lead) => lead.fields.phone)).toEqual(['0383208130', '0383208131', '0383208132', '0383208133']);
  });

  it('fails inserts with 103 (HTTP 500) while a manual import runs, but not updates', async () => {
    await start();
    await call({ body: { phone: '0383208134', njExternalLeadId: 'a' } });
    await noojee.set({ manualImport: true });
    expect(await call({ body: { phone: '0383208135' } })).toMatchObject({ status: 500, body: { code: 103, message: 'EXCEPTION' } });
    expect((await call({ op: 'updateLeadFast', body: { njExternalLeadId: 'a', phone: '<No Change>', njDisposition: 'SALE' } })).body.code).toBe(0);
    await noojee.set({ manualImport: false });
    expect((await call({ body: { phone: '0383208135' } })).body.code).toBe(0);
  });
});

describe('fake Noojee: knobs', () => {
  it('cutAfterInsert stores the lead then drops the connection; the re-send is answered 112', async () => {
    await start({ cutAfterInsert: 1 });
    await expect(call({ body: { phone: '0383208134', njExternalLeadId: 'lg-1' } })).rejects.toThrow();
    expect(noojee.leads).toMatchObject([{ externalId: 'lg-1' }]);
    expect((await call({ body: { phone: '0383208134', njExternalLeadId: 'lg-1' } })).body).toMatchObject({ code: 112 });
  });

  it("down: 'refuse' refuses connections, '503' answers 503, false serves again on the same URL", async () => {
    await start({ down: 'refuse' });
    const refused = await call({ body: { phone: '0383208134' } }).catch((error: unknown) => error);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    await noojee.set({ down: '503' });
    expect((await call({ body: { phone: '0383208134' } })).status).toBe(503);
    await noojee.set({ down: false });
    expect((await call({ body: { phone: '0383208134' } })).body.code).toBe(0);
  });

  it('delayMs slows every call; answerOverride forces a code for its `times`', async () => {
    await start({ delayMs: 200, answerOverride: { answer: 110, times: 1 } });
    const began = Date.now();
    expect(await call({ body: { phone: '0383208134' } })).toMatchObject({ status: 400, body: { code: 110, message: 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT' } });
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    expect((await call({ body: { phone: '0383208134' } })).body.code).toBe(0);
  });
});
