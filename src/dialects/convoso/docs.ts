import { z } from 'zod';
import type { ResultCode } from '../../codes.js';
import { codeExamples, idempotencyHeaders, json, retryAfterHeader, routeDoc, type RouteDoc } from '../../ops/route-doc.js';
import { RESULT_CODES } from '../../codes.js';
import { CONVOSO_CODES, CONVOSO_ERRORS } from './render.js';
import {
  convosoAuthParams,
  convosoDecision,
  convosoDncAnswer,
  convosoDncParams,
  convosoDncSearchAnswer,
  convosoDncSearchParams,
  convosoFailure,
  convosoInsertParams,
  convosoLeadAnswer,
  convosoLeadPath,
  convosoSearchAnswer,
  convosoSearchParams,
  convosoUpdateParams,
  convosoValidationAnswer,
  convosoValidationQuery,
} from './schemas.js';

const TAG = ['Convoso'];
const FORBIDDEN = { success: false, code: 403, text: 'Forbidden' };
/** Convoso's own refusals: the dialect's errors, and leadgate's codes Convoso has words for. */
const errorExamples: Record<string, unknown> = {
  ...Object.fromEntries(Object.values(CONVOSO_ERRORS).map((e) => [`${e.code} ${e.text}`, { success: false, ...e }])),
  ...Object.fromEntries(
    Object.entries(CONVOSO_CODES).map(([code, e]) => [`${e.code} ${e.text} (${RESULT_CODES[Number(code) as ResultCode].message})`, { success: false, ...e }]),
  ),
};

/** Convoso answers HTTP 200 with `success` true or false; leadgate adds 403, 422, 429, 500 and 503. */
function answers(ok: z.ZodType, okExample: unknown) {
  const failure = (description: string, examples: Record<string, unknown>) => ({ description, headers: retryAfterHeader, content: json(convosoFailure, examples) });
  const fromTable = (...codes: ResultCode[]) => codeExamples(codes, (code, info) => ({ success: false, code, text: info.description }));
  return {
    200: {
      description: 'Done (`success: true`), or refused with Convoso\'s code (`success: false`).',
      content: json(z.union([ok, convosoFailure]), { ok: okExample, ...errorExamples }),
    },
    403: failure('Missing or wrong auth_token.', { forbidden: FORBIDDEN }),
    422: failure('Idempotency-Key reused with a different request (208).', fromTable(208)),
    429: failure('Waited too long for an admission slot (109); with Retry-After.', fromTable(109)),
    500: failure("A fault of leadgate's own (103).", fromTable(103)),
    503: failure('The CRM (206) or the lead store (207) is unavailable; with Retry-After.', fromTable(206, 207)),
  };
}

/** Parameters come in the query string, a form body or a flat JSON body; body values win. */
function paramsBody(schema: z.ZodType) {
  return {
    description: 'The parameters, as a form or a flat JSON object (the query string works too).',
    content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
  };
}

function post(path: string, operationId: string, summary: string, description: string, params: z.ZodType, ok: z.ZodType, okExample: unknown): RouteDoc {
  return routeDoc({
    method: 'post',
    path: `/v1${path}`,
    operationId,
    tags: TAG,
    summary,
    description,
    request: { headers: idempotencyHeaders, body: paramsBody(params) },
    responses: answers(ok, okExample),
  });
}

export const CONVOSO_DOCS: RouteDoc[] = [
  post(
    '/leads/insert',
    'convosoLeadsInsert',
    'Insert a lead',
    'Checks in order: 403, 6007 missing phone or list, 6002 unknown list, 6079 invalid email, 204 bad check_dup, 6008 invalid phone, 6010 DNC (always checked), 6009 duplicate, then the duplicate-check table (skip: 6009 with `reason` and `rule`; `success: false`: 6011 with `data.lead_id`).',
    convosoInsertParams,
    convosoLeadAnswer,
    { success: true, data: { lead_id: '7' } },
  ),
  post('/leads/update', 'convosoLeadsUpdate', 'Update a lead', 'Given fields overwrite; `phone_number` is re-normalised, not de-duplicated; a call record is written.', convosoUpdateParams, convosoLeadAnswer, {
    success: true,
    data: { lead_id: '7' },
  }),
  post('/leads/search', 'convosoLeadsSearch', 'Search leads', 'By phone, list, status and created range, paged.', convosoSearchParams, convosoSearchAnswer, {
    success: true,
    data: { offset: 0, limit: 100, total: 1, entries: [{ id: '7', status: 'NEW', phone_number: '+61412345680', list_id: '100', campaign_id: '10', external_id: null, disposition: null, state: 'active', created_at: '2026-12-01T06:00:00.000Z', first_name: 'Ada' }] },
  }),
  post('/dnc/insert', 'convosoDncInsert', 'Add a number to the DNC list', '`campaign_id` 0 is the global list.', convosoDncParams, convosoDncAnswer, {
    success: true,
    data: { phone_number: '+61412345699', campaign_id: '0', inserted: true },
  }),
  post('/dnc/search', 'convosoDncSearch', 'Search the DNC list', 'By phone and campaign, paged.', convosoDncSearchParams, convosoDncSearchAnswer, {
    success: true,
    data: { offset: 0, limit: 100, total: 1, entries: [{ phone_number: '+61412345699', campaign_id: '0', reason: 'asked', source: 'convoso', created_at: '2026-12-01T06:00:00.000Z' }] },
  }),
  post('/dnc/delete', 'convosoDncDelete', 'Remove a number from the DNC list', '`campaign_id` 0 is the global list.', convosoDncParams, convosoDncAnswer, {
    success: true,
    data: { phone_number: '+61412345699', campaign_id: '0', deleted: true },
  }),
  routeDoc({
    method: 'post',
    path: '/v1/workflow/leads/{leadId}/check',
    operationId: 'convosoWorkflowCheck',
    tags: TAG,
    summary: 'Re-check an existing lead with the CRM',
    description: 'Runs the connect and the duplicate-check table for the lead, applies the matched row\'s status and DNC addition, records the decision and answers it (6001 unknown lead, 204 no table enabled, 206 CRM unavailable).',
    request: { params: convosoLeadPath, headers: idempotencyHeaders, body: paramsBody(convosoAuthParams) },
    responses: answers(convosoDecision, { createLead: true, success: true, status: 'NEW', addToDnc: false }),
  }),
  routeDoc({
    method: 'get',
    path: '/v1/lead-validation/search',
    operationId: 'convosoLeadValidation',
    tags: TAG,
    summary: 'The lead-validation ping',
    description: 'Runs validation, DNC, duplicates and the duplicate-check table (the CRM is asked) for a phone and fields; writes nothing.',
    request: { query: convosoValidationQuery },
    responses: answers(convosoValidationAnswer, { success: true, result: 'Denied', reason: 'the phone number already exists', code: 105 }),
  }),
];
