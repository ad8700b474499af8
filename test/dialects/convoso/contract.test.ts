import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, createTestApp, type TestApp } from '../../support/test-app.js';
import { convoso, freshMobile, insertLead, WAYS, type Way } from './convoso-client.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Ids and times differ between equivalent calls that each write; everything else must not. */
function normalised(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => {
    if (typeof v === 'string' && ['id', 'lead_id', 'created_at', 'modified_at', 'insert_date', 'phone_number', 'phone'].includes(key)) return `<${key}>`;
    return v;
  });
}

/**
 * Each endpoint's call, made ready for one way: a write gets its own lead or number, so that the
 * three calls are the same request about different things.
 */
const ENDPOINTS: Array<[path: string, prepare: (way: Way) => Promise<Record<string, string>>, expected: Record<string, unknown>]> = [
  ['leads/insert', async () => ({ list_id: '100', phone_number: freshMobile(), phone_code: '61', first_name: 'Ada', status: 'NEW' }), { success: true, data: { lead_id: '<lead_id>' } }],
  [
    'lead-post-validation/insert',
    async () => ({ criteria_key: 'sales_leads', phone_number: freshMobile(), phone_code: '61' }),
    { success: true, data: { lead_id: '<lead_id>' } },
  ],
  ['leads/update', async () => ({ lead_id: await insertLead(t.app), status: 'CALLBACK', first_name: 'Grace' }), { success: true, data: { lead_id: '<lead_id>' } }],
  ['leads/delete', async () => ({ lead_id: await insertLead(t.app) }), { success: true }],
  [
    'leads/search',
    async () => ({ first_name: 'Contract-Search', limit: '5' }),
    { success: true, data: { offset: '0', limit: '5', total: '1', entries: [expect.objectContaining({ first_name: 'Contract-Search', lead_state: 'active' })] } },
  ],
  ['dnc/insert', async () => ({ phone_number: freshMobile(), phone_code: '61', campaign_id: '10', reason: 'asked' }), { success: true, id: '<id>' }],
  [
    'dnc/update',
    async () => {
      const added = await convoso(t.app, 'dnc/insert', { phone_number: freshMobile(), phone_code: '61' });
      return { id: added.body.id as string, reason: 'asked again' };
    },
    { success: true, id: '<id>' },
  ],
  [
    'dnc/search',
    async () => ({ reason: 'contract-search', limit: '3' }),
    { success: true, data: { offset: '0', limit: '3', total: '1', entries: [expect.objectContaining({ reason: 'contract-search', campaign_id: '0', phone_code: '61' })] } },
  ],
  [
    'dnc/delete',
    async () => {
      const phone = freshMobile();
      await convoso(t.app, 'dnc/insert', { phone_number: phone, phone_code: '61' });
      return { phone_number: phone, phone_code: '61', campaign_id: '0' };
    },
    { success: true },
  ],
  [
    'lead-validation/search',
    async () => ({ criteria_key: 'sales_leads', phone_number: '412345000', phone_code: '61', state: 'VIC' }),
    { success: true, result: 'Accepted', reason: null, status: null, external_validation: true },
  ],
];

describe('every /v1 endpoint answers GET with a query string, POST with a form and POST with JSON alike', () => {
  beforeAll(async () => {
    await insertLead(t.app, { first_name: 'Contract-Search' });
    await convoso(t.app, 'dnc/insert', { phone_number: freshMobile(), phone_code: '61', reason: 'contract-search' });
  });

  it.each(ENDPOINTS)('/v1/%s', async (path, prepare, expected) => {
    const replies = [];
    for (const way of WAYS) replies.push({ way, ...(await convoso(t.app, path, await prepare(way), way)) });
    for (const reply of replies) expect({ way: reply.way, status: reply.status, body: normalised(reply.body) }).toEqual({ way: reply.way, status: 200, body: expected });
    expect(new Set(replies.map((r) => JSON.stringify(normalised(r.body)))).size).toBe(1);
  });

  it('merges the query string with the body, a body value winning', async () => {
    const phone = freshMobile();
    const res = await t.app.request(`/v1/leads/insert?auth_token=wrong&list_id=999&phone_code=61&first_name=Query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth_token: API_KEY, list_id: 100, phone_number: phone }),
    });
    const body = (await res.json()) as { data: { lead_id: string } };
    expect(res.status).toBe(200);
    const [row] = await t.backend.runner.query<{ allocation_id: number; fields: Record<string, unknown> }>('select allocation_id, fields from leads where id = $1::bigint', [body.data.lead_id]);
    expect(row).toEqual({ allocation_id: 100, fields: { phone: `+61${phone}`, first_name: 'Query' } });
  });

  it('answers a wrong token 403 Forbidden whichever way it comes, on every endpoint', async () => {
    for (const [path] of ENDPOINTS) {
      for (const way of WAYS) {
        const res = await convoso(t.app, path, { auth_token: 'wrong' }, way);
        expect({ path, way, ...res }).toEqual({ path, way, status: 403, body: { success: false, code: 403, text: 'Forbidden' } });
      }
    }
  });
});
