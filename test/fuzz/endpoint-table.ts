/**
 * The public endpoints and what their answers look like. Adding an endpoint is one row in
 * ENDPOINTS: its method and path, the URL and headers an authorised caller sends, the statuses it
 * may answer, the shape of its body and, when it reads a JSON body, how a generated JSON text
 * becomes its body. Every generic property in the fuzz files then runs against it.
 */
import { expect } from 'vitest';
import type { z } from 'zod';
import {
  apiKeyCreated,
  auditPage,
  decisionsPage,
  deliveriesPage,
  deliveriesRetried,
  deliveryDetail,
  deliveryRetried,
  dncAdded,
  ruleErrors,
  ruleFilesList,
  ruleFileValid,
} from '../../src/admin/schemas.js';
import { ADMIN_TOKEN, API_KEY, noojeeUrl } from '../support/test-app.js';
import { isConvosoCode } from '../../src/dialects/convoso/codes.js';
import { checkAdmin, checkConvoso, checkNoojeeBatch, checkNoojeeLead } from './answer-shapes.js';
import type { Answer, FuzzRequest } from './fuzz-kit.js';

// ---------------------------------------------------------------------------------------------
// the endpoint table

export interface EndpointRow {
  name: string;
  method: 'GET' | 'POST';
  /** the route's path, no query */
  path: string;
  /** path and query an authorised caller sends */
  url: string;
  /** headers an authorised caller sends */
  headers: Record<string, string>;
  /** every status the route may answer to an authorised caller, whatever the input */
  statuses: readonly number[];
  /** the documented body shape (and headers) of any answer */
  check(answer: Answer, request: FuzzRequest): void;
  /** the answer's media type; JSON unless said otherwise */
  answers?: 'json' | 'text';
  /** routes that read a JSON body: the body carrying a generated JSON text (a lead, or the value under test) */
  wrap?: (json: string) => string;
  /** a well-formed body around a fresh phone, and the answer it must get */
  valid?: { body(phone: string): string; expect(answer: Answer): void };
  /** the result code of every lead the answer reports (the request-level code when it reports none) */
  leadCodes?(answer: Answer): number[];
  /** the answer to a body over the size limit */
  tooLarge?(answer: Answer): void;
  /** the answer to a body that is not UTF-8, not JSON, or not the JSON the route takes */
  malformed?(answer: Answer): void;
  /** the route honours Idempotency-Key (SPEC 6, 8a) */
  idempotent?: boolean;
  /** the body may be a form or JSON and is trimmed first (Convoso): blank bodies are not malformed */
  lenientBody?: boolean;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** Convoso answers other than the insert's: `{success: true, ...}` or a `{success: false, code, text}` refusal, with Convoso's codes only. */
const checkConvosoAnswer = (answer: Answer) => {
  const body = answer.json as { success?: unknown; code?: unknown; createLead?: unknown };
  expect(typeof body.success).toBe('boolean');
  if (body.code !== undefined) expect(isConvosoCode(body.code as number), `code ${String(body.code)} is not a Convoso code`).toBe(true);
  // the workflow check answers a decision, whose `success` is the table's verdict, not a refusal
  if (body.success === false && body.createLead === undefined) expect(body).toMatchObject({ code: expect.any(Number), text: expect.any(String) });
};
/**
 * A Convoso insert's result in the shared code table's terms, where the property tests ask for
 * one: Convoso's 6023 is leadgate's 204, 6901 its 203, 6908 its 208, 6900 its 103; other codes as
 * they are (never one of these).
 */
const CONVOSO_AS_SHARED: Record<number, number> = { 6023: 204, 6901: 203, 6908: 208, 6900: 103 };
const convosoLeadCodes = (answer: Answer): number[] => {
  const body = answer.json as { success: boolean; code?: number };
  return [body.success ? 0 : (CONVOSO_AS_SHARED[body.code!] ?? body.code!)];
};

const ADMIN = { ...JSON_TYPE, authorization: `Bearer ${ADMIN_TOKEN}` };
const NOOJEE_STATUSES = [200, 400, 401, 413, 422, 503];
const ADMIN_STATUSES = [200, 400, 401, 403, 413, 422, 503];
const expectCode = (code: number) => (answer: Answer) => expect(answer.json).toMatchObject({ code });

const noojeeLeadCodes = (answer: Answer): number[] => {
  const body = answer.json as { code: number; results?: { code: number }[] };
  return answer.status === 200 && Array.isArray(body.results) ? body.results.map((r) => r.code) : [body.code];
};
const noojee = {
  headers: JSON_TYPE,
  statuses: NOOJEE_STATUSES,
  leadCodes: noojeeLeadCodes,
  tooLarge: (answer: Answer) => {
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ code: 203, message: 'PAYLOAD_TOO_LARGE' });
  },
  malformed: (answer: Answer) => {
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 204, message: 'MALFORMED_REQUEST' });
  },
  idempotent: true,
};
const admin = {
  method: 'POST' as const,
  path: '/admin/rules/test',
  url: '/admin/rules/test',
  headers: ADMIN,
  statuses: ADMIN_STATUSES,
  check: checkAdmin,
  tooLarge: (answer: Answer) => expect(answer.status).toBe(413),
  malformed: (answer: Answer) => expect(answer.status).toBe(400),
};

/** The admin routes' documented shapes (src/admin/schemas.ts), with no field beyond them; errors are `{error}`. */
const adminShape =
  (ok: z.ZodObject, invalid?: z.ZodObject) =>
  (answer: Answer): void => {
    if (answer.status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="leadgate-admin"');
    if (answer.status === 200 || answer.status === 201) ok.strict().parse(answer.json);
    else if (answer.status === 422 && invalid) invalid.strict().parse(answer.json);
    else expect(answer.json).toEqual({ error: expect.stringMatching(/\S/) });
  };
const adminRead = { method: 'GET' as const, headers: { authorization: ADMIN.authorization }, statuses: [200, 400, 401, 403, 404, 503] };
const adminWrite = { method: 'POST' as const, headers: ADMIN, tooLarge: (answer: Answer) => expect(answer.status).toBe(413), malformed: (answer: Answer) => expect(answer.status).toBe(400) };

export const ENDPOINTS: readonly EndpointRow[] = [
  {
    ...noojee,
    name: 'noojee.insertLeadFast',
    method: 'POST',
    path: '/servicemanager/rest/CampaignAPI/insertLeadFast',
    url: noojeeUrl('insertLeadFast'),
    check: checkNoojeeLead,
    wrap: (json) => json,
    valid: { body: (phone) => JSON.stringify({ phone }), expect: expectCode(0) },
  },
  {
    ...noojee,
    name: 'noojee.insertLeadsFast',
    method: 'POST',
    path: '/servicemanager/rest/CampaignAPI/insertLeadsFast',
    url: noojeeUrl('insertLeadsFast'),
    check: checkNoojeeBatch,
    wrap: (json) => `[${json}]`,
    valid: {
      body: (phone) => JSON.stringify([{ phone }]),
      expect: (answer) => expect(answer.json).toMatchObject({ code: 0, results: [{ index: 0, code: 0 }] }),
    },
  },
  {
    ...noojee,
    name: 'noojee.updateLeadFast',
    method: 'POST',
    path: '/servicemanager/rest/CampaignAPI/updateLeadFast',
    url: noojeeUrl('updateLeadFast'),
    check: checkNoojeeLead,
    wrap: (json) => json,
  },
  {
    ...noojee,
    name: 'noojee.injectLeads',
    method: 'POST',
    path: '/servicemanager/rest/CampaignAPI/injectLeads',
    url: noojeeUrl('injectLeads'),
    check: checkNoojeeBatch,
    wrap: (json) => `[${json}]`,
    valid: {
      body: (phone) => JSON.stringify([{ phone, NjAction: 'add' }]),
      expect: (answer) => expect(answer.json).toMatchObject({ code: 0, results: [{ index: 0, code: 0 }] }),
    },
  },
  ...(['POST', 'GET'] as const).flatMap((method): EndpointRow[] =>
    (
      [
        ['leadsInsert', '/v1/leads/insert', 'list_id=100&phone_code=61&phone_number=0412999999'],
        ['leadPostValidationInsert', '/v1/lead-post-validation/insert', 'criteria_key=sales_leads&phone_code=61&phone_number=0412999996'],
      ] as const
    ).map(([name, path, query]) => ({
      name: `convoso.${name}${method === 'GET' ? '.get' : ''}`,
      method,
      path,
      // phone_number in the query so generated bodies reach the pipeline; a body value wins over it
      url: `${path}?auth_token=${API_KEY}&${query}`,
      headers: method === 'GET' ? {} : JSON_TYPE,
      statuses: [200, 403, 422, 429, 503],
      check: checkConvoso,
      idempotent: method === 'POST',
      leadCodes: convosoLeadCodes,
      ...(method === 'POST'
        ? {
            wrap: (json: string) => json,
            valid: {
              body: (phone: string) => JSON.stringify({ phone_number: phone.slice(1) }),
              expect: (answer: Answer) => expect(answer.json).toEqual({ success: true, data: { lead_id: expect.any(String) } }),
            },
            lenientBody: true,
            tooLarge: (answer: Answer) => expect(answer.json).toMatchObject({ success: false, code: 6901 }),
            malformed: (answer: Answer) => expect(answer.json).toMatchObject({ success: false, code: 6023 }),
          }
        : {}),
    })),
  ),
  ...(['POST', 'GET'] as const).flatMap((method) =>
    (
      [
        ['convoso.leadsUpdate', '/v1/leads/update', 'lead_id=1'],
        ['convoso.leadsDelete', '/v1/leads/delete', 'lead_id=999999'],
        ['convoso.leadsSearch', '/v1/leads/search', 'list_id=100'],
        ['convoso.dncInsert', '/v1/dnc/insert', 'phone_code=61&phone_number=0412999998'],
        ['convoso.dncUpdate', '/v1/dnc/update', 'id=1'],
        ['convoso.dncSearch', '/v1/dnc/search', 'campaign_id=0'],
        ['convoso.dncDelete', '/v1/dnc/delete', 'phone_code=61&phone_number=0412999998'],
        ['convoso.leadValidation', '/v1/lead-validation/search', 'criteria_key=sales_leads&phone_code=61&phone_number=0412999997'],
        ['convoso.workflowCheck', '/v1/workflow/leads/:leadId/check', ''],
      ] as const
    ).map(
      ([name, path, query]): EndpointRow => ({
        name: `${name}${method === 'GET' ? '.get' : ''}`,
        method,
        path,
        url: `${path.replace(':leadId', '1')}?auth_token=${API_KEY}${query ? `&${query}` : ''}`,
        headers: method === 'GET' ? {} : JSON_TYPE,
        statuses: [200, 403, 422, 429, 503],
        check: checkConvosoAnswer,
        idempotent: method === 'POST',
        ...(method === 'POST'
          ? {
              wrap: (json: string) => json,
              lenientBody: true,
              tooLarge: (answer: Answer) => expect(answer.json).toMatchObject({ success: false, code: 6901 }),
              malformed: (answer: Answer) => expect(answer.json).toMatchObject({ success: false, code: 6023 }),
            }
          : {}),
      }),
    ),
  ),
  {
    name: 'hooks.unsigned',
    method: 'POST',
    path: '/hooks/:source',
    url: '/hooks/demo',
    headers: JSON_TYPE,
    statuses: [401, 404, 413],
    check: (answer) => expect(answer.json).toEqual({ error: expect.any(String) }),
  },
  {
    ...admin,
    name: 'admin.rulesTest.lead',
    wrap: (json) => `{"lead":${json},"crmResponse":{"customer":{"status":"gold","score":70}}}`,
    valid: {
      body: (phone) => JSON.stringify({ lead: { phone }, crmResponse: { customer: { status: ' ACTIVE ' } } }),
      expect: (answer) => expect(answer.json).toMatchObject({ decision: { source: 'row', rowIndex: 0, createLead: false } }),
    },
  },
  {
    ...admin,
    name: 'admin.rulesTest.crmResponse',
    wrap: (json) => `{"lead":{"phone":"0412345678"},"crmResponse":${json}}`,
  },
  {
    ...admin,
    name: 'admin.rulesTest.live',
    wrap: (json) => `{"lead":${json},"live":true}`,
    valid: {
      body: (phone) => JSON.stringify({ lead: { phone }, live: true }),
      expect: (answer) => expect(answer.json).toMatchObject({ decision: { source: 'noMatch' }, crm: { ok: true, status: 200 } }),
    },
  },
  { ...adminRead, name: 'admin.rules.list', path: '/admin/rules', url: '/admin/rules', check: adminShape(ruleFilesList) },
  {
    ...adminRead,
    name: 'admin.rules.read',
    path: '/admin/rules/*',
    url: '/admin/rules/dialer.yaml',
    answers: 'text',
    check: (answer) => {
      if (answer.status === 200) expect(answer.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
      else expect(answer.json).toEqual({ error: expect.stringMatching(/\S/) });
    },
  },
  { ...adminRead, name: 'admin.decisions', path: '/admin/decisions', url: '/admin/decisions?limit=5', check: adminShape(decisionsPage) },
  { ...adminRead, name: 'admin.audit', path: '/admin/audit', url: '/admin/audit?limit=5', check: adminShape(auditPage) },
  { ...adminRead, name: 'admin.deliveries', path: '/admin/deliveries', url: '/admin/deliveries?limit=5', check: adminShape(deliveriesPage) },
  { ...adminRead, name: 'admin.deliveries.read', path: '/admin/deliveries/:id', url: '/admin/deliveries/1', check: adminShape(deliveryDetail) },
  {
    ...adminWrite,
    name: 'admin.deliveries.retryOne',
    path: '/admin/deliveries/:id/retry',
    url: '/admin/deliveries/1/retry',
    statuses: [200, 400, 401, 403, 404, 409, 503],
    check: adminShape(deliveryRetried),
  },
  {
    ...adminWrite,
    name: 'admin.deliveries.retry',
    path: '/admin/deliveries/retry',
    url: '/admin/deliveries/retry',
    statuses: [200, 400, 401, 403, 413, 503],
    check: adminShape(deliveriesRetried),
    wrap: (json) => `{"state":"dead","destination":${json}}`,
  },
  {
    ...adminWrite,
    name: 'admin.rules.validate',
    path: '/admin/rules/validate/*',
    url: '/admin/rules/validate/duplicate-check.yaml',
    statuses: [200, 400, 401, 403, 413, 422, 503],
    check: adminShape(ruleFileValid, ruleErrors),
    // the body is a rule file's text, any text: blank is a file that does not load (422), not a malformed request
    wrap: (json) => `version: 1\nenabled: true\nconnect: crm\nrows: [{ key: $.a, value: ${json}, createLead: true }]\nnoMatch: { createLead: true }\nonError: ${json}\n`,
    lenientBody: true,
    // only text that is not UTF-8 is malformed (400); any other text is a rule file that may not load (422)
    malformed: (answer: Answer) => expect([400, 422]).toContain(answer.status),
  },
  {
    ...adminWrite,
    name: 'admin.dnc.add',
    path: '/admin/dnc',
    url: '/admin/dnc',
    statuses: [200, 201, 400, 401, 403, 413, 422, 503],
    check: adminShape(dncAdded),
    wrap: (json) => `{"phone":${json},"reason":"fuzz"}`,
    valid: {
      body: (phone) => JSON.stringify({ phone, reason: 'fuzz' }),
      expect: (answer) => expect(answer.json).toEqual({ phone: expect.stringMatching(/^\+61\d{9}$/), campaignId: 0, added: expect.any(Boolean) }),
    },
  },
  {
    ...adminWrite,
    name: 'admin.apiKeys.create',
    path: '/admin/api-keys',
    url: '/admin/api-keys',
    statuses: [201, 400, 401, 403, 413, 503],
    check: adminShape(apiKeyCreated),
    wrap: (json) => `{"label":${json}}`,
    // a blank body creates a key without a label
    lenientBody: true,
  },
  {
    name: 'ops.healthz',
    method: 'GET',
    path: '/healthz',
    url: '/healthz',
    headers: {},
    statuses: [200],
    check: (answer) => expect(answer.json).toEqual({ status: 'ok' }),
  },
  {
    name: 'ops.readyz',
    method: 'GET',
    path: '/readyz',
    url: '/readyz',
    headers: {},
    statuses: [200, 503],
    check: (answer) => expect(answer.json).toMatchObject({ status: answer.status === 200 ? 'ready' : 'not ready', checks: expect.any(Object) }),
  },
  {
    name: 'ops.metrics',
    method: 'GET',
    path: '/metrics',
    url: '/metrics',
    headers: {},
    statuses: [200],
    answers: 'text',
    check: (answer) => {
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain\b/);
      expect(answer.text).toMatch(/^# (HELP|TYPE) /m);
    },
  },
];

export const BODY_ENDPOINTS = ENDPOINTS.filter((row): row is EndpointRow & Required<Pick<EndpointRow, 'wrap'>> => row.wrap !== undefined);

/** One body row per route (method + path): for properties about reading the body rather than what it carries. */
export const BODY_ROUTES = BODY_ENDPOINTS.filter((row, i) => BODY_ENDPOINTS.findIndex((r) => r.method === row.method && r.path === row.path) === i);

/** Routes the app serves that have no row yet; a new route must get a row here or above. */
export const NOT_FUZZED: readonly { method: string; path: string; why: string }[] = [
  // The table's properties POST to every row's URL; these methods and this shared path do not fit it.
  { method: 'PUT', path: '/admin/rules/*', why: 'property-tested in test/admin/admin-writes.fuzz.test.ts (paths, preconditions, bodies)' },
  { method: 'DELETE', path: '/admin/dnc', why: 'property-tested in test/admin/admin-writes.fuzz.test.ts' },
  { method: 'DELETE', path: '/admin/api-keys/:id', why: 'property-tested in test/admin/admin-writes.fuzz.test.ts' },
  { method: 'GET', path: '/admin/api-keys', why: 'POST /admin/api-keys shares the path, which the "POST to a GET route" property cannot tell apart; tested in test/admin/api-keys.test.ts' },
  { method: 'GET', path: '/admin/ui', why: 'a static HTML page; tested in test/admin/admin-ui.test.ts' },
];

/** The app's own routes (middleware excluded), as [method, matcher]. */
export function servedRoutes(app: { routes: readonly { method: string; path: string }[] }): { method: string; path: string; matches(path: string): boolean }[] {
  return app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => {
      const pattern = new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+').replace(/\*/g, '.*')}$`);
      return { method: r.method, path: r.path, matches: (path: string) => pattern.test(path) };
    });
}

/** Whether method + path (percent-decoded as the router does) is a route the app serves. */
export function isKnownRoute(app: { routes: readonly { method: string; path: string }[] }, method: string, url: string): boolean {
  const { pathname } = new URL(url, 'http://localhost');
  let decoded = pathname;
  try {
    decoded = decodeURI(pathname);
  } catch {
    // the router keeps undecodable paths as they are
  }
  const m = method.toUpperCase();
  return servedRoutes(app).some((r) => (r.method === m || (m === 'HEAD' && r.method === 'GET')) && (r.matches(pathname) || r.matches(decoded)));
}
