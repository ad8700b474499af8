import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_CODES } from '../../src/codes.js';
import { createDemoDialerRoutes, type DemoDialerOptions } from '../../src/demo/dialer-routes.js';
import { API_KEY, createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ demo: true });
});
afterAll(async () => {
  await t.close();
});

type Fetcher = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };
type Query = Record<string, string | number | null>;

const CAMPAIGN_API = '/servicemanager/rest/CampaignAPI';
const QUERY = { apiKey: 'demo-dialer-key', fTemplateId: 1, fCampaignId: 1, fAllocationId: 1 };

/** POSTs to the demo dialer: through the app (under /demo/dialer) or a bare instance (base ''). */
async function post(endpoint: string, body: unknown, query: Query = {}, via: { app: Fetcher; base: string } = { app: t.app, base: '/demo/dialer' }) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...QUERY, ...query })) if (v !== null) params.set(k, String(v));
  const res = await via.app.request(`${via.base}${CAMPAIGN_API}/${endpoint}?${params}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

// Every test uses numbers of its own (distinct last 9 digits), ending in the digit it needs.
let serial = 0;
const phone = (last = 0) => `04${String(1_000_000 + serial++).slice(-7)}${last}`;
const e164 = (national: string) => `+61${national.slice(1)}`;

/** `{code, message, description}`: the description exact, matching a pattern, or any text. */
const answer = (code: keyof typeof RESULT_CODES, description: string | RegExp = /./) => ({
  code,
  message: RESULT_CODES[code].message,
  description: typeof description === 'string' ? description : expect.stringMatching(description),
});

async function dialerLeads(app: Fetcher = t.app, base = '/demo/dialer', limit?: number) {
  const res = await app.request(`${base}/leads${limit === undefined ? '' : `?limit=${limit}`}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; leads: Array<Record<string, unknown>> };
}

async function stats(app: Fetcher = t.app, base = '/demo/dialer') {
  return (await (await app.request(`${base}/stats`)).json()) as Record<string, number>;
}

describe('insertLeadFast', () => {
  it('takes a lead and answers its dialer lead id', async () => {
    const res = await post('insertLeadFast', { phone: phone(), firstName: 'Ada' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...answer(0, RESULT_CODES[0].description), leadId: expect.stringMatching(/^\d+$/) });
  });

  it.each([
    ['<No Change> in an insert', () => ({ phone: phone(), surname: '<No Change>' }), 400, answer(108, "field 'surname' is <No Change>, which only an update may send")],
    ['no phone field', () => ({ surname: 'Smith' }), 400, answer(102, /no field named like a phone/)],
    ['a phone field without a number', () => ({ mobile: 'n/a' }), 400, answer(102, /no field named like a phone/)],
    ['a phone ending in 7 (the demo DNC list)', () => ({ phone: '0412 000 007' }), 400, answer(104, 'demo dialer: 0412000007 is on its DNC list (every number ending in 7 is)')],
    ['two leads', () => [{ phone: phone() }, { phone: phone() }], 400, answer(204, 'the body must be one lead object')],
    ['a nested field', () => ({ phone: phone(), address: { city: 'Perth' } }), 400, answer(204, /a lead must be a JSON object/)],
    ['a body that is not JSON', () => '{"phone": ', 400, answer(204, /not valid JSON/)],
  ])('refuses %s', async (_name, body, status, expected) => {
    const res = await post('insertLeadFast', body());
    expect(res.status).toBe(status);
    expect(res.body).toEqual(expected);
  });

  it('refuses a second lead with the same njExternalLeadId in the campaign (112), not in another campaign', async () => {
    const id = `ext-${phone()}`;
    expect((await post('insertLeadFast', { phone: phone(), njExternalLeadId: id })).body.code).toBe(0);
    const again = await post('insertLeadFast', { phone: phone(), njExternalLeadId: id });
    expect(again.status).toBe(400);
    expect(again.body).toEqual(answer(112, `njExternalLeadId '${id}' already belongs to a lead of campaign 1`));
    expect((await post('insertLeadFast', { phone: phone(), njExternalLeadId: id }, { fCampaignId: 2 })).body.code).toBe(0);
  });

  it('refuses a phone the campaign has (105), national and E.164 alike, unless allowDuplicates=true', async () => {
    const national = phone();
    expect((await post('insertLeadFast', { phone: national })).body.code).toBe(0);
    const dup = await post('insertLeadFast', { mobile: e164(national) });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual(answer(105, `a lead of campaign 1 already has the phone number ${e164(national).slice(1)}`));
    expect((await post('insertLeadFast', { mobile: e164(national) }, { allowDuplicates: 'true' })).body.code).toBe(0);
  });

  it('fails a phone ending in 8 with 103 (HTTP 500) on its first attempt and takes it on the next', async () => {
    const national = phone(8);
    const first = await post('insertLeadFast', { phone: national });
    expect(first.status).toBe(500);
    expect(first.body).toEqual(answer(103, `demo dialer: a number ending in 8 (${national.replace(/\D/g, '')}) fails its first attempt; send it again`));
    const second = await post('insertLeadFast', { phone: e164(national) });
    expect(second.status).toBe(200);
    expect(second.body.code).toBe(0);
  });
});

describe('insertLeadsFast', () => {
  it('answers one result per lead in order, with counts, as Noojee does', async () => {
    const [a, seven, eight] = [phone(), phone(7), phone(8)];
    const res = await post('insertLeadsFast', [{ phone: a }, { phone: e164(a) }, { phone: seven }, { surname: 'no phone' }, { phone: eight }, { phone: phone() }]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 0,
      message: 'OK',
      results: [
        { index: 0, code: 0, message: 'OK', leadId: expect.any(String) },
        { index: 1, code: 105, message: 'DUPLICATE', description: `a lead of campaign 1 already has the phone number ${e164(a).slice(1)}` },
        { index: 2, code: 104, message: 'DNC', description: `demo dialer: ${seven} is on its DNC list (every number ending in 7 is)` },
        { index: 3, code: 102, message: 'NO_PHONE_FIELDS', description: expect.stringMatching(/no field named like a phone/) },
        { index: 4, code: 103, message: 'EXCEPTION', description: expect.stringMatching(/fails its first attempt/) },
        { index: 5, code: 0, message: 'OK', leadId: expect.any(String) },
      ],
      counts: { '0': 2, '102': 1, '103': 1, '104': 1, '105': 1 },
    });
    // the retried 8 goes through, in a batch as alone
    const retry = await post('insertLeadsFast', [{ phone: eight }]);
    expect((retry.body.results as Array<{ code: number }>)[0]!.code).toBe(0);
  });

  it('treats a lone object as a batch of one', async () => {
    const res = await post('insertLeadsFast', { phone: phone() });
    expect(res.body).toMatchObject({ code: 0, counts: { '0': 1 } });
  });
});

describe('updateLeadFast', () => {
  it('finds the lead by njExternalLeadId, keeps <No Change> and absent fields, and overwrites the rest', async () => {
    const national = phone();
    const id = `upd-${national}`;
    const inserted = await post('insertLeadFast', { phone: national, surname: 'Smith', firstName: 'Ada', njExternalLeadId: id });
    const res = await post('updateLeadFast', { njExternalLeadId: id, njDisposition: 'SALE', phone: '<No Change>', surname: 'Jones', firstName: '<No Change>' }, { fAllocationId: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...answer(0, RESULT_CODES[0].description), leadId: inserted.body.leadId });
    const held = (await dialerLeads()).leads.find((lead) => lead.leadId === inserted.body.leadId);
    expect(held).toMatchObject({ externalId: id, disposition: 'SALE', phones: [national], fields: { phone: national, surname: 'Jones', firstName: 'Ada' } });
    expect(held!.updatedAt).toEqual(expect.any(String));
    // a disposition given once may then be left as it is
    expect((await post('updateLeadFast', { njExternalLeadId: id, njDisposition: '<No Change>', phone: '<No Change>' })).body.code).toBe(0);
  });

  it.each([
    ['no njExternalLeadId', () => ({ njDisposition: 'SALE', phone: '<No Change>' }), answer(101, 'njExternalLeadId is missing: an update finds its lead by it')],
    ['an unknown njExternalLeadId', () => ({ njExternalLeadId: 'nobody', njDisposition: 'SALE', phone: '<No Change>' }), answer(101, "no lead of campaign 1 has njExternalLeadId 'nobody'")],
    ['no phone field at all', () => ({ njExternalLeadId: 'nobody', njDisposition: 'SALE' }), answer(102, 'an update must send at least one phone field (its value or <No Change>)')],
  ])('refuses %s', async (_name, body, expected) => {
    const res = await post('updateLeadFast', body());
    expect(res.status).toBe(400);
    expect(res.body).toEqual(expected);
  });

  it('refuses to keep a disposition the lead does not have yet (107)', async () => {
    const id = `nodispo-${phone()}`;
    await post('insertLeadFast', { phone: phone(), njExternalLeadId: id });
    const res = await post('updateLeadFast', { njExternalLeadId: id, phone: '<No Change>' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(answer(107, 'njDisposition is omitted or <No Change>, and the lead has no disposition yet'));
  });
});

describe('request checks', () => {
  it.each([
    ['a wrong apiKey', { apiKey: 'nope' }, 401, 401],
    ["leadgate's own API key (the dialer has its own)", { apiKey: API_KEY }, 401, 401],
    ['no apiKey', { apiKey: null }, 401, 401],
    ['no fTemplateId', { fTemplateId: null }, 400, 116],
    ['a campaign id that is not an integer', { fCampaignId: 'ten' }, 400, 117],
    ['no fAllocationId on an insert', { fAllocationId: null }, 400, 115],
  ] as const)('answers %s in the CampaignAPI shape', async (_name, query, status, code) => {
    const res = await post('insertLeadFast', { phone: phone() }, query);
    expect(res.status).toBe(status);
    expect(res.body).toEqual(answer(code));
  });

  it("401 says so in Noojee's words", async () => {
    expect((await post('insertLeadsFast', [{ phone: phone() }], { apiKey: 'nope' })).body).toEqual({
      code: 401,
      message: 'UNAUTHORIZED',
      description: "apiKey is missing or not the demo dialer's key",
    });
  });

  it("is not leadgate's CampaignAPI: the dialer's key opens nothing of leadgate's", async () => {
    const res = await postNoojee(t.app, 'insertLeadFast', { phone: phone() }, { apiKey: 'demo-dialer-key' });
    expect(res.status).toBe(401);
  });
});

describe('GET /demo/dialer/leads', () => {
  it('lists what the dialer holds, newest first, with ids, phones, fields and times', async () => {
    const [first, second] = [phone(), phone()];
    await post('insertLeadFast', { phone: first, njExternalLeadId: `list-${first}`, firstName: 'First' });
    await post('insertLeadFast', { mobile: e164(second), firstName: 'Second' }, { fCampaignId: 3, fAllocationId: 30 });
    const list = await dialerLeads(t.app, '/demo/dialer', 2);
    expect(list.total).toBeGreaterThanOrEqual(2);
    expect(list.leads).toEqual([
      {
        leadId: expect.stringMatching(/^\d+$/),
        externalId: null,
        templateId: 1,
        campaignId: 3,
        allocationId: 30,
        phones: [e164(second).slice(1)],
        fields: { mobile: e164(second), firstName: 'Second' },
        disposition: null,
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: null,
      },
      expect.objectContaining({ externalId: `list-${first}`, campaignId: 1, allocationId: 1, phones: [first], fields: { phone: first, firstName: 'First' } }),
    ]);
    expect(Number(list.leads[0]!.leadId)).toBeGreaterThan(Number(list.leads[1]!.leadId));
  });
});

describe('the limits of seed 003', () => {
  const bare = (options: DemoDialerOptions) => ({ app: createDemoDialerRoutes(options), base: '' });

  it('serves at most 2 calls at once, each taking at least 100 ms: five calls take 300 ms or more (the app defaults)', async () => {
    expect(await stats()).toMatchObject({ maxConcurrency: 2, minCallMs: 100, queueTimeoutMs: 5000 });
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('insertLeadFast', { phone: phone() })));
    const elapsed = performance.now() - started;
    expect(answers.map((a) => a.body.code)).toEqual([0, 0, 0, 0, 0]);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(await stats()).toMatchObject({ peakInFlight: 2, inFlight: 0, queued: 0 });
  });

  it('serves the waiting calls in arrival order', async () => {
    const dialer = bare({ maxConcurrency: 1, minCallMs: 20 });
    const phones = [phone(), phone(), phone(), phone()];
    await Promise.all(phones.map((p) => post('insertLeadFast', { phone: p }, {}, dialer)));
    const { leads } = await dialerLeads(dialer.app, '');
    expect(leads.map((lead) => lead.fields)).toEqual(phones.reverse().map((p) => ({ phone: p })));
  });

  it('answers 109 to a call that waited longer than queueTimeoutMs, and writes nothing of it', async () => {
    const dialer = bare({ maxConcurrency: 1, minCallMs: 300, queueTimeoutMs: 50 });
    const [served, refused] = await Promise.all([post('insertLeadFast', { phone: phone() }, {}, dialer), post('insertLeadsFast', [{ phone: phone() }], {}, dialer)]);
    expect(served.body.code).toBe(0);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(answer(109, "waited 50 ms for one of the demo dialer's 1 slots"));
    expect(refused.headers.get('retry-after')).toBeNull();
    expect((await dialerLeads(dialer.app, '')).total).toBe(1);
    expect(await stats(dialer.app, '')).toMatchObject({ admitted: 1, timedOut: 1, peakInFlight: 1 });
  });

  it('keeps only the newest maxLeads leads, forgetting the phones and external ids of the ones it drops', async () => {
    const dialer = bare({ minCallMs: 0, maxLeads: 2 });
    const oldest = phone();
    for (const p of [oldest, phone(), phone()]) await post('insertLeadFast', { phone: p, njExternalLeadId: `x-${p}` }, {}, dialer);
    const list = await dialerLeads(dialer.app, '');
    expect(list.total).toBe(2);
    expect(list.leads.map((lead) => lead.externalId)).not.toContain(`x-${oldest}`);
    expect((await post('insertLeadFast', { phone: oldest, njExternalLeadId: `x-${oldest}` }, {}, dialer)).body.code).toBe(0);
  });
});

describe('with the demo off', () => {
  it('serves no demo dialer', async () => {
    const off = await createTestApp({ demo: false });
    try {
      const insert = await off.app.request(`/demo/dialer${CAMPAIGN_API}/insertLeadFast?apiKey=demo-dialer-key&fTemplateId=1&fCampaignId=1&fAllocationId=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '0412345670' }),
      });
      expect(insert.status).toBe(404);
      expect((await off.app.request('/demo/dialer/leads')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
