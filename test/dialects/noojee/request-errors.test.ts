import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, createTestApp, noojeeUrl, type TestApp } from '../../support/test-app.js';

/**
 * Refusals of a request as a whole are answered in the Noojee dialect, with a description that
 * says what to change: wrong method (405 + Allow), unknown path (404), missing or wrong apiKey
 * (401), a form body, a JSON syntax error (line and column). None of them writes anything.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const BASE = '/servicemanager/rest/CampaignAPI';
const ENDPOINTS = ['insertLeadFast', 'insertLeadsFast', 'updateLeadFast', 'injectLeads'];

const count = async (table: string) => (await t.backend.runner.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
const storeCounts = async () => ({ leads: await count('leads'), decisions: await count('decision_records'), dnc: await count('dnc') });

/** The answer to `request`, and that the store holds exactly what it held before. */
async function refused(url: string, init: RequestInit) {
  const before = await storeCounts();
  const res = await t.app.request(url, init);
  const answer = { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), body: (await res.json()) as unknown };
  expect(await storeCounts()).toEqual(before);
  return answer;
}

const noojee400 = (description: string) => ({ status: 400, allow: null, type: 'application/json', body: { code: 204, message: 'MALFORMED_REQUEST', description } });

describe('a method other than POST on a CampaignAPI endpoint', () => {
  it.each(ENDPOINTS.flatMap((endpoint) => ['GET', 'PUT', 'DELETE', 'PATCH'].map((method) => [endpoint, method])))(
    '%s %s: 405 with Allow: POST and a Noojee body',
    async (endpoint, method) => {
      const answer = await refused(noojeeUrl(endpoint), { method, ...(method === 'GET' ? {} : { body: '{"phone":"0412345678"}' }) });
      expect(answer).toEqual({
        status: 405,
        allow: 'POST',
        type: 'application/json',
        body: { code: 405, message: 'METHOD_NOT_ALLOWED', description: `${endpoint} takes POST with a JSON body, not ${method}` },
      });
    },
  );

  it('answers HEAD with the 405 status and Allow header (and no body)', async () => {
    const res = await t.app.request(noojeeUrl('insertLeadFast'), { method: 'HEAD' });
    expect([res.status, res.headers.get('allow'), await res.text()]).toEqual([405, 'POST', '']);
  });

  it('answers 405 before looking at the apiKey', async () => {
    const answer = await refused(`${BASE}/insertLeadFast`, { method: 'GET' });
    expect(answer.status).toBe(405);
  });
});

describe('a path under the CampaignAPI that names no endpoint', () => {
  const notFound = (path: string) => ({
    status: 404,
    allow: null,
    type: 'application/json',
    body: {
      code: 404,
      message: 'NOT_FOUND',
      description: `there is no CampaignAPI endpoint at ${path}; the endpoints are insertLeadFast, insertLeadsFast, updateLeadFast, injectLeads (POST, with a JSON body)`,
    },
  });

  it.each([
    ['POST', `${BASE}/insertLead`],
    ['POST', `${BASE}/insertleadfast`],
    ['POST', `${BASE}/insertLeadFast/`],
    ['GET', `${BASE}/`],
    ['GET', `${BASE}/a/b`],
  ])('%s %s: a Noojee 404 naming the endpoints', async (method, path) => {
    const answer = await refused(`${path}?apiKey=${API_KEY}`, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{"phone":"0412345678"}' } : {}) });
    expect(answer).toEqual(notFound(path));
  });

  it('leaves paths outside the CampaignAPI to the generic 404', async () => {
    const res = await t.app.request('/servicemanager/rest/Other/insertLeadFast', { method: 'POST' });
    expect([res.status, await res.json()]).toEqual([404, { error: 'not found', path: '/servicemanager/rest/Other/insertLeadFast' }]);
  });
});

describe('401 descriptions', () => {
  const unauthorized = (description: string) => ({ status: 401, allow: null, type: 'application/json', body: { code: 401, message: 'UNAUTHORIZED', description } });
  const post = (url: string, headers: Record<string, string> = {}) =>
    refused(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"phone":"0412345678"}' });

  it('tells a missing key from a wrong one', async () => {
    expect(await post(noojeeUrl('insertLeadsFast', { apiKey: null }))).toEqual(unauthorized('apiKey is missing: pass it as the apiKey query parameter'));
    expect(await post(noojeeUrl('insertLeadsFast', { apiKey: 'nope' }))).toEqual(unauthorized('apiKey is not valid: check the key passed as the apiKey query parameter'));
  });

  it('points at a key sent in a header or under a misspelt parameter name', async () => {
    expect(await post(noojeeUrl('insertLeadFast', { apiKey: null }), { 'x-api-key': API_KEY })).toEqual(
      unauthorized('apiKey is missing: the CampaignAPI reads it from the apiKey query parameter, not from the x-api-key header'),
    );
    expect(await post(`${noojeeUrl('insertLeadFast', { apiKey: null })}&apikey=${API_KEY}`)).toEqual(
      unauthorized("apiKey is missing: the query has 'apikey', but parameter names are case-sensitive; pass it as apiKey"),
    );
  });
});

describe('a form body', () => {
  // Refused rather than read as a lead: Noojee itself takes JSON only, and a form turns the '+' of
  // '+61…' into a space, so the lead would be stored with another number.
  it.each(['insertLeadFast', 'updateLeadFast', 'insertLeadsFast'])('%s: 204 saying the API takes JSON', async (endpoint) => {
    const answer = await refused(noojeeUrl(endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ phone: '+61412345678', firstName: 'Ada' }).toString(),
    });
    expect(answer).toEqual(
      noojee400('the Noojee CampaignAPI takes a JSON body (Content-Type: application/json); this request sent application/x-www-form-urlencoded'),
    );
  });

  it('still reads JSON that curl -d labels as a form', async () => {
    const res = await t.app.request(noojeeUrl('insertLeadFast'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: ' {"phone":"0412555001"}',
    });
    expect(await res.json()).toMatchObject({ code: 0 });
  });

  it('answers broken JSON labelled as a form with the syntax error, not the form refusal', async () => {
    const answer = await refused(noojeeUrl('insertLeadFast'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{"phone":"0412555002",}' });
    expect(answer).toEqual(noojee400("the body is not valid JSON: a trailing comma before '}' at line 1, column 23"));
  });
});

describe('a JSON syntax error', () => {
  const post = (endpoint: string, body: string) => refused(noojeeUrl(endpoint), { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it.each([
    ['insertLeadFast', '{\n  "phone": "0412555003",\n  "firstName": \n}', "the body is not valid JSON: unexpected '}' at line 4, column 1 (expected a value)"],
    ['updateLeadFast', '{\r\n  "njExternalLeadId": "X-1",\r\n  "phone" "0412555004"\r\n}', "the body is not valid JSON: unexpected '\"' at line 3, column 11 (expected ':' after the property name)"],
    ['insertLeadsFast', '[\n  {"phone": "0412555005"},\n  {"phone": "0412555006"}\n  {"phone": "0412555007"}\n]', "the body is not valid JSON: unexpected '{' at line 4, column 3 (expected ',' or ']')"],
    ['injectLeads', "[\n  {'phone': '0412555008'}\n]", 'the body is not valid JSON: unexpected "\'" at line 2, column 4 (expected a property name in double quotes)'],
    ['insertLeadFast', '\ufeff{\n  "firstName": "Zoë 😀", "phone": 0412555009\n}', 'the body is not valid JSON: a number with a leading zero at line 2, column 34'],
    ['insertLeadFast', '{"phone": "0412555010", "note": "two\nlines"}', 'the body is not valid JSON: a line break inside a string at line 1, column 37 (write it as an escape such as \\n, or close the string before it)'],
    ['insertLeadFast', ' \n ', 'the body is empty; it must be JSON'],
  ])('%s: names the line, the column and what is wrong (%#)', async (endpoint, body, description) => {
    expect(await post(endpoint, body)).toEqual(noojee400(description));
  });
});
