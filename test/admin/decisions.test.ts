import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppWithCrm } from '../support/crm-rules.js';
import { admin } from '../support/admin.js';
import { postNoojee, type TestApp } from '../support/test-app.js';

let t: TestApp;
let close: () => Promise<void>;
let startedAt: string;
beforeAll(async () => {
  const made = await createAppWithCrm();
  ({ t, close } = made);
  made.crm.setHandler((request) => {
    const phone = (JSON.parse(request.body) as { phone_number: string }).phone_number;
    return { json: phone === '+61412000002' ? { customer: { status: 'Active' } } : { customer: { status: 'new' } } };
  });
  startedAt = new Date(Date.now() - 1000).toISOString();
  for (const phone of ['0412000001', '0412000002', '0412000003']) await postNoojee(t.app, 'insertLeadFast', { phone });
});
afterAll(() => close());

const decisions = (query = '') => admin(t.app, 'GET', `/admin/decisions${query}`);
const phones = (res: { json: Record<string, unknown> }) => (res.json.entries as Array<{ phone: string }>).map((e) => e.phone);

describe('GET /admin/decisions', () => {
  it('lists decision records newest first, with the total', async () => {
    const res = await decisions();
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ offset: 0, limit: 100, total: 3 });
    expect(phones(res)).toEqual(['+61412000003', '+61412000002', '+61412000001']);
  });

  it('filters by phone in any form the template country parses', async () => {
    const res = await decisions(`?phone=${encodeURIComponent('0412 000 002')}`);
    expect(res.json).toEqual({
      offset: 0,
      limit: 100,
      total: 1,
      entries: [
        {
          id: '2',
          leadId: null,
          phone: '+61412000002',
          entryPoint: 'noojee',
          connect: 'crm',
          request: expect.objectContaining({ method: 'POST' }),
          crmStatus: 200,
          latencyMs: expect.any(Number),
          answer: '{"customer":{"status":"Active"}}',
          matchedRow: 0,
          values: ['Active'],
          outcome: 'skipped',
          decision: { source: 'row', rowIndex: 0, key: '$.customer.status', values: ['Active'], createLead: false, addToDnc: false, success: false, reason: 'existing customer' },
          matchedOn: null,
          matchedLeadId: null,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
        },
      ],
    });
    expect(phones(await decisions('?phone=%2B61412000002'))).toEqual(['+61412000002']);
    expect(phones(await decisions('?phone=412000002&templateId=1'))).toEqual(['+61412000002']);
  });

  it('filters by outcome, connect and time range', async () => {
    expect(phones(await decisions('?outcome=created'))).toEqual(['+61412000003', '+61412000001']);
    expect(phones(await decisions('?outcome=skipped'))).toEqual(['+61412000002']);
    expect((await decisions('?outcome=dnc')).json).toEqual({ offset: 0, limit: 100, total: 0, entries: [] });
    expect((await decisions('?connect=crm')).json.total).toBe(3);
    expect((await decisions('?connect=other')).json.total).toBe(0);
    expect((await decisions(`?from=${encodeURIComponent(startedAt)}`)).json.total).toBe(3);
    expect((await decisions(`?to=${encodeURIComponent(startedAt)}`)).json.total).toBe(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await decisions(`?from=${encodeURIComponent(startedAt)}&to=${encodeURIComponent(future)}&outcome=created`)).json.total).toBe(2);
    expect((await decisions(`?from=${encodeURIComponent(future)}`)).json.total).toBe(0);
  });

  it('pages with limit and offset', async () => {
    const page = await decisions('?limit=1&offset=1');
    expect(page.json).toMatchObject({ offset: 1, limit: 1, total: 3 });
    expect(phones(page)).toEqual(['+61412000002']);
    expect(phones(await decisions('?limit=2&offset=2'))).toEqual(['+61412000001']);
    expect((await decisions('?offset=3')).json).toEqual({ offset: 3, limit: 100, total: 3, entries: [] });
  });

  it.each([
    ['?limit=0', 'invalid query: limit: Too small: expected number to be >=1'],
    ['?limit=1001', 'invalid query: limit: Too big: expected number to be <=1000'],
    ['?offset=-1', 'invalid query: offset: expected a whole number'],
    ['?outcome=maybe', 'invalid query: outcome: Invalid option: expected one of "created"|"skipped"|"rejected"|"dnc"|"duplicate_external_id"|"duplicate_phone"|"duplicate_key"|"rechecked"'],
    ['?from=yesterday', 'invalid query: from: Invalid ISO datetime'],
    ['?phone_number=0412000001', 'invalid query: Unrecognized key: "phone_number"'],
    ['?phone=hello', "phone: 'hello' is not a phone number (read with country AU)"],
    ['?phone=0412000001&templateId=9', 'templateId 9 names no template'],
  ])('refuses %s', async (query, error) => {
    const res = await decisions(query);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error });
  });
});
