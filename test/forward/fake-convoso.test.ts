import { afterEach, describe, expect, it } from 'vitest';
import { startFakeConvoso, type ConvosoOptions, type FakeConvoso } from '../support/fake-dialers/convoso.js';

/** The fake Convoso account answers as SPEC section 4 describes Convoso's API. */

let convoso: FakeConvoso;
afterEach(async () => convoso?.close());

async function start(options: ConvosoOptions = {}): Promise<FakeConvoso> {
  convoso = await startFakeConvoso({ lists: { '100': 'C1', '101': 'C1', '200': 'C2' }, ...options });
  return convoso;
}

type Params = Record<string, string>;

/** POST with a form body, as go-convoso and convoso-js send it */
async function post(path: string, params: Params): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const response = await fetch(`${convoso.url}${path}`, {
    method: 'POST',
    body: new URLSearchParams({ auth_token: convoso.authToken, ...params }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get('retry-after') };
}

const insert = (params: Params) => post('/v1/leads/insert', params);

describe('fake Convoso: /v1/leads/insert', () => {
  it('stores the lead and answers success with data.lead_id as a string', async () => {
    await start();
    expect(await insert({ list_id: '100', phone_number: '(555) 201-0001', first_name: 'Ann' })).toMatchObject({
      status: 200,
      body: { success: true, data: { lead_id: '5001' } },
    });
    expect(convoso.leads).toMatchObject([{ id: '5001', list_id: '100', phone_number: '5552010001', first_name: 'Ann', status: 'NEW' }]);
    expect(convoso.leads[0]).not.toHaveProperty('auth_token');
  });

  it.each([
    ['no phone_number', { list_id: '100' }, 6007, 'The Lead requires a phone number and list id'],
    ['an unknown list', { list_id: '999', phone_number: '5552010009' }, 6002, 'No such List'],
    ['an invalid phone', { list_id: '100', phone_number: '12345' }, 6008, 'The phone number is invalid'],
    ['check_dup 1 and the phone in another campaign', { list_id: '200', phone_number: '5552010001', check_dup: '1' }, 6009, 'The phone number already exists'],
    ['check_dup 3 and the phone in a list of the campaign', { list_id: '101', phone_number: '5552010001', check_dup: '3' }, 6009, 'The phone number already exists'],
    ['check_dnc and the phone on the global DNC', { list_id: '100', phone_number: '5552010099', check_dnc: 'true' }, 6010, 'The phone number is on the DNC list'],
  ])('answers %s with HTTP 200 and its code', async (_case, params, code, text) => {
    await start();
    await insert({ list_id: '100', phone_number: '5552010001' });
    await post('/v1/dnc/insert', { phone_number: '5552010099', campaign_id: '0' });
    expect(await insert(params)).toMatchObject({ status: 200, body: { success: false, code, text } });
    expect(convoso.leads).toHaveLength(1);
  });

  it('inserts a duplicate phone when check_dup is 0, or 2 and another list; update_if_found updates instead', async () => {
    await start();
    await insert({ list_id: '100', phone_number: '5552010001' });
    expect((await insert({ list_id: '100', phone_number: '5552010001' })).body).toMatchObject({ success: true });
    expect((await insert({ list_id: '200', phone_number: '5552010001', check_dup: '2' })).body).toMatchObject({ success: true });
    const found = await insert({ list_id: '100', phone_number: '5552010001', update_if_found: '1', search_list_id: '200', last_name: 'Lee' });
    expect(found.body).toEqual({ success: true, data: { lead_id: '5003' } });
    expect(convoso.leads).toHaveLength(3);
    expect(convoso.leads[2]).toMatchObject({ last_name: 'Lee' });
  });

  it('refuses a missing or wrong auth_token with HTTP 403, and takes GET query or JSON body alike', async () => {
    await start();
    const wrong = await fetch(`${convoso.url}/v1/leads/insert?auth_token=nope&list_id=100&phone_number=5552010001`);
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ success: false, code: 403, text: 'Forbidden' });
    const viaGet = await fetch(`${convoso.url}/v1/leads/insert?auth_token=${convoso.authToken}&list_id=100&phone_number=5552010001`);
    expect(await viaGet.json()).toMatchObject({ success: true });
    const viaJson = await fetch(`${convoso.url}/v1/leads/insert?list_id=999`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth_token: convoso.authToken, list_id: 200, phone_number: 5552010002 }),
    });
    expect(await viaJson.json()).toMatchObject({ success: true });
    expect(convoso.leads.map((lead) => lead.list_id)).toEqual(['100', '200']);
  });
});

describe('fake Convoso: update, search and DNC', () => {
  it('updates a lead by lead_id (6001 when unknown, 6002 for another campaign’s list)', async () => {
    await start();
    await insert({ list_id: '100', phone_number: '5552010001' });
    expect((await post('/v1/leads/update', { lead_id: '9' })).body).toEqual({ success: false, code: 6001, text: 'No such Lead' });
    expect((await post('/v1/leads/update', { lead_id: '5001', list_id: '200' })).body).toMatchObject({ code: 6002 });
    expect((await post('/v1/leads/update', { lead_id: '5001', status: 'SALE', list_id: '101' })).body).toEqual({ success: true, data: { lead_id: '5001' } });
    expect(convoso.leads[0]).toMatchObject({ status: 'SALE', list_id: '101' });
  });

  it('searches by phone_number and list_id in id order, ids and counts as strings, and checks offset and limit', async () => {
    await start();
    for (const list of ['100', '200', '100']) await insert({ list_id: list, phone_number: '5552010001' });
    const found = await post('/v1/leads/search', { phone_number: '555-201-0001', list_id: '100' });
    expect(found.body).toMatchObject({ success: true, data: { offset: '0', limit: '10', total: '2', entries: [{ id: '5001' }, { id: '5003' }] } });
    expect((await post('/v1/leads/search', { limit: '2001' })).body).toEqual({ success: false, code: 7258, text: 'Invalid limit value' });
    expect((await post('/v1/leads/search', { offset: '-1' })).body).toEqual({ success: false, code: 7231, text: 'Invalid offset value' });
  });

  it('adds a DNC number once (6008 the second time) and refuses an unknown campaign with 6006', async () => {
    await start();
    expect((await post('/v1/dnc/insert', { phone_number: '5552010001', campaign_id: 'C1', reason: 'asked' })).body).toEqual({ success: true, id: '1' });
    expect((await post('/v1/dnc/insert', { phone_number: '5552010001', campaign_id: 'C1' })).body).toEqual({
      success: false,
      code: 6008,
      text: 'The phone number already exists.',
    });
    expect((await post('/v1/dnc/insert', { phone_number: '5552010001', campaign_id: 'C9' })).body).toMatchObject({ code: 6006 });
    expect(convoso.dnc).toEqual([{ id: '1', phone_number: '5552010001', phone_code: '1', campaign_id: 'C1', reason: 'asked', purpose: '' }]);
  });
});

describe('fake Convoso: knobs', () => {
  it('rateLimit answers HTTP 429 with Retry-After past maxRequests in the window', async () => {
    await start({ rateLimit: { maxRequests: 2, windowMs: 60_000, retryAfterSeconds: 7 } });
    const answers = [];
    for (const i of [1, 2, 3]) answers.push(await insert({ list_id: '100', phone_number: `555201000${i}` }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]).toMatchObject({ retryAfter: '7', body: { success: false, code: 429 } });
    expect(convoso.leads).toHaveLength(2);
  });

  it('cutAfterInsert stores the lead then drops the connection; a search finds it', async () => {
    await start({ cutAfterInsert: 1 });
    await expect(insert({ list_id: '100', phone_number: '5552010001' })).rejects.toThrow();
    expect((await post('/v1/leads/search', { phone_number: '5552010001', list_id: '100' })).body).toMatchObject({ data: { total: '1' } });
  });

  it("down 'refuse' / '503', delayMs and answerOverride", async () => {
    await start({ down: 'refuse' });
    const refused = await insert({ list_id: '100', phone_number: '5552010001' }).catch((error: unknown) => error);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    await convoso.set({ down: '503' });
    const unavailable = await fetch(`${convoso.url}/v1/leads/insert`, { method: 'POST' });
    expect(unavailable.status).toBe(503);
    await convoso.set({ down: false, delayMs: 150, answerOverride: { answer: { status: 502, body: { oops: true } }, times: 1 } });
    const began = Date.now();
    expect(await insert({ list_id: '100', phone_number: '5552010001' })).toMatchObject({ status: 502, body: { oops: true } });
    expect(Date.now() - began).toBeGreaterThanOrEqual(140);
    expect((await insert({ list_id: '100', phone_number: '5552010001' })).body).toMatchObject({ success: true });
  });
});
