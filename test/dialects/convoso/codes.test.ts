import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { CONVOSO_ERRORS, isConvosoCode } from '../../../src/dialects/convoso/codes.js';
import { CRM_TOKEN, rulesWithCrm } from '../../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../../support/fake-crm.js';
import { runs } from '../../support/property-runs.js';
import { API_KEY, createTestApp, type TestApp } from '../../support/test-app.js';
import { convoso, freshMobile, insertLead, WAYS } from './convoso-client.js';

let t: TestApp;
let crm: FakeCrm;
let rulesDir: string;
beforeAll(async () => {
  crm = await startFakeCrm();
  rulesDir = await rulesWithCrm(crm.url);
  t = await createTestApp({ rulesDir, env: { CRM_TOKEN }, admission: { slots: 1, queueTimeoutMs: 100 } });
});
afterAll(async () => {
  await t.close();
  await crm.close();
  await rm(rulesDir, { recursive: true, force: true });
});

const body = (name: keyof typeof CONVOSO_ERRORS) => ({ success: false, code: CONVOSO_ERRORS[name].code, text: CONVOSO_ERRORS[name].text });

describe('every Convoso code of SPEC 4, from the one table', () => {
  const CASES: Array<[name: keyof typeof CONVOSO_ERRORS, call: () => Promise<{ status: number; body: Record<string, unknown> }>]> = [
    ['forbidden', () => convoso(t.app, 'leads/insert', { auth_token: 'wrong' })],
    ['noSuchLead', () => convoso(t.app, 'leads/update', { lead_id: '987654' })],
    ['noSuchList', () => convoso(t.app, 'leads/insert', { list_id: '999', phone_number: freshMobile(), phone_code: '61' })],
    ['invalidCampaign', () => convoso(t.app, 'dnc/insert', { phone_number: freshMobile(), phone_code: '61', campaign_id: '77' })],
    ['missingPhoneOrList', () => convoso(t.app, 'leads/insert', { list_id: '100' })],
    ['invalidPhone', () => convoso(t.app, 'leads/insert', { list_id: '100', phone_number: '12', phone_code: '61' })],
    [
      'dncExists',
      async () => {
        const phone = freshMobile();
        await convoso(t.app, 'dnc/insert', { phone_number: phone, phone_code: '61' });
        return convoso(t.app, 'dnc/insert', { phone_number: phone, phone_code: '61' });
      },
    ],
    [
      'duplicate',
      async () => {
        crm.respond({ json: {} });
        const phone = freshMobile();
        await convoso(t.app, 'leads/insert', { list_id: '100', phone_number: phone, phone_code: '61' });
        return convoso(t.app, 'leads/insert', { list_id: '100', phone_number: phone, phone_code: '61', check_dup: '3' });
      },
    ],
    [
      'dnc',
      async () => {
        const phone = freshMobile();
        await convoso(t.app, 'dnc/insert', { phone_number: phone, phone_code: '61' });
        return convoso(t.app, 'leads/insert', { list_id: '100', phone_number: phone, phone_code: '61' });
      },
    ],
    [
      'failedValidation',
      async () => {
        crm.respond({ json: { customer: { score: 1 } } });
        return convoso(t.app, 'leads/insert', { list_id: '100', phone_number: freshMobile(), phone_code: '61' });
      },
    ],
    ['unreadable', async () => ({ status: 0, body: (await (await t.app.request('/v1/leads/insert', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"auth_token":"${API_KEY}",` })).json()) as Record<string, unknown> })],
    ['invalidDate', () => convoso(t.app, 'leads/search', { updated_at_start_date: 'yesterday' })],
    ['invalidId', () => convoso(t.app, 'dnc/update', { reason: 'x' })],
    [
      'dncClash',
      async () => {
        const phone = freshMobile();
        await convoso(t.app, 'dnc/insert', { phone_number: phone, phone_code: '61' });
        const id = (await convoso(t.app, 'dnc/insert', { phone_number: freshMobile(), phone_code: '61' })).body.id as string;
        return convoso(t.app, 'dnc/update', { id, phone_number: phone, phone_code: '61' });
      },
    ],
    ['invalidEmail', () => convoso(t.app, 'leads/insert', { list_id: '100', phone_number: freshMobile(), phone_code: '61', email: 'x@' })],
    ['invalidCriteria', () => convoso(t.app, 'lead-post-validation/insert', { criteria_key: 'nope', phone_number: freshMobile(), phone_code: '61' })],
    ['invalidOffset', () => convoso(t.app, 'dnc/search', { offset: '-5' })],
    ['invalidLimit', () => convoso(t.app, 'leads/search', { limit: '5000' })],
    [
      'tooManyRequests',
      async () => {
        let release = () => {};
        const held = t.gate.run(() => new Promise<void>((resolve) => (release = resolve)));
        try {
          return await convoso(t.app, 'leads/insert', { list_id: '100', phone_number: freshMobile(), phone_code: '61' });
        } finally {
          release();
          await held;
        }
      },
    ],
  ];

  it.each(CASES)('%s', async (name, call) => {
    const res = await call();
    expect(res.body).toMatchObject(body(name));
    const http = 'http' in CONVOSO_ERRORS[name] ? (CONVOSO_ERRORS[name] as { http: number }).http : 200;
    if (res.status !== 0) expect(res.status).toBe(http);
  });
});

describe('no /v1 answer carries a code outside Convoso’s range', () => {
  const PATHS = [
    'leads/insert',
    'lead-post-validation/insert',
    'leads/update',
    'leads/delete',
    'leads/search',
    'dnc/insert',
    'dnc/update',
    'dnc/search',
    'dnc/delete',
    'lead-validation/search',
    'workflow/leads/1/check',
  ];
  const NAMES = [
    'list_id', 'lead_id', 'phone_number', 'phone_code', 'status', 'check_dup', 'check_dup_archive', 'check_dnc', 'update_if_found', 'search_list_id',
    'search_campaign_id', 'criteria_key', 'email', 'first_name', 'state', 'offset', 'limit', 'id', 'campaign_id', 'reason', 'purpose', 'insert_date',
    'created_at_start_date', 'updated_at_end_date', 'alt_phone_1', 'njPriority', 'njCallBackDate', 'njContactHours', 'njExternalLeadId', 'njFoo', 'hopper', 'created_at',
  ];
  const value = fc.oneof(
    fc.constantFrom('', '0', '1', '4', '5', '100', '101', '110', '999', 'true', 'false', '-1', '2001', '-BLANK-', 'sales_leads', 'whole_account', '61', '1e3', '<No Change>', '2026-02-30', '2026-01-01 10:00:00'),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: 400_000_000, max: 499_999_999 }).map(String),
  );
  const request = fc.record({
    path: fc.constantFrom(...PATHS),
    way: fc.constantFrom(...WAYS),
    params: fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 8 }),
  });

  it('for any parameters, sent any way, to any endpoint', async () => {
    crm.respond({ json: {} });
    await insertLead(t.app);
    await fc.assert(
      fc.asyncProperty(request, async ({ path, way, params }) => {
        const res = await convoso(t.app, path, params, way);
        const code = res.body.code;
        if (code !== undefined) expect(isConvosoCode(code as number), `${path} ${JSON.stringify(params)} → ${JSON.stringify(res.body)}`).toBe(true);
        expect(res.body).not.toHaveProperty('message');
        expect(res.status).not.toBe(500);
      }),
      runs(60),
    );
  });
});
