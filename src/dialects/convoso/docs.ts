import { z } from 'zod';
import { idempotencyHeaders, json, retryAfterHeader, routeDoc, type RouteDoc } from '../../ops/route-doc.js';
import { CONVOSO_ERRORS } from './codes.js';
import {
  convosoAuthParams,
  convosoDecision,
  convosoDeleteParams,
  convosoDncDeleteParams,
  convosoDncIdAnswer,
  convosoDncParams,
  convosoDncSearchAnswer,
  convosoDncSearchParams,
  convosoDncUpdateParams,
  convosoDone,
  convosoFailure,
  convosoInsertParams,
  convosoLeadAnswer,
  convosoLeadPath,
  convosoPostValidationParams,
  convosoSearchAnswer,
  convosoSearchParams,
  convosoUpdateParams,
  convosoValidationAnswer,
  convosoValidationQuery,
} from './schemas.js';

const TAG = ['Convoso'];
const example = (name: keyof typeof CONVOSO_ERRORS) => {
  const { code, text } = CONVOSO_ERRORS[name];
  return { success: false, code, text };
};
/** Every refusal of the one table, named `6009 The phone number already exists`. */
const errorExamples: Record<string, unknown> = Object.fromEntries(
  (Object.keys(CONVOSO_ERRORS) as Array<keyof typeof CONVOSO_ERRORS>)
    .filter((name) => !('http' in CONVOSO_ERRORS[name]))
    .map((name) => [`${CONVOSO_ERRORS[name].code} ${CONVOSO_ERRORS[name].text}`, example(name)]),
);

/** Convoso answers HTTP 200 with `success` true or false; leadgate adds 403, 422, 429, 500 and 503. */
function answers(ok: z.ZodType, okExample: unknown) {
  const failure = (description: string, examples: Record<string, unknown>) => ({ description, headers: retryAfterHeader, content: json(convosoFailure, examples) });
  return {
    200: {
      description: "Done (`success: true`), or refused with a Convoso code (`success: false`).",
      content: json(z.union([ok, convosoFailure]), { ok: okExample, ...errorExamples }),
    },
    403: failure('Missing or wrong auth_token.', { forbidden: example('forbidden') }),
    422: failure('Idempotency-Key reused with a different request (6908).', { keyReused: example('keyReused') }),
    429: failure('Waited too long for an admission slot; with Retry-After.', { tooManyRequests: example('tooManyRequests') }),
    500: failure("A fault of leadgate's own (6900).", { serverError: example('serverError') }),
    503: failure('The CRM (6906) or the lead store (6907) is unavailable; with Retry-After.', { crm: example('crmUnavailable'), store: example('storeUnavailable') }),
  };
}

/** POST: parameters as a form or a flat JSON object (the query string works too; a body value wins). */
function paramsBody(schema: z.ZodType) {
  return {
    description: 'The parameters, as a form or a flat JSON object (the query string works too; a body value wins).',
    content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
  };
}

/** One endpoint, served for GET (query string) and POST (query string, form or JSON), documented for both. */
function endpoint(path: string, operationId: string, summary: string, description: string, params: z.ZodObject, ok: z.ZodType, okExample: unknown): RouteDoc[] {
  const common = { path: `/v1${path}`, tags: TAG, summary, description, responses: answers(ok, okExample) };
  return [
    routeDoc({ ...common, method: 'get', operationId: `${operationId}Get`, request: { query: params, headers: idempotencyHeaders } }),
    routeDoc({ ...common, method: 'post', operationId, request: { headers: idempotencyHeaders, body: paramsBody(params) } }),
  ];
}

const INSERT_CHECKS =
  'Checks in order: 403, 6007 missing phone or list, 6002 unknown list, 6079 invalid email, 6905 bad check_dup, 6008 invalid phone, 6010 DNC (always checked), 6009 duplicate, then the duplicate-check table (skip: 6009 with `reason` and `rule`; `success: false`: 6011 with `data.lead_id`).';

export const CONVOSO_DOCS: RouteDoc[] = [
  ...endpoint('/leads/insert', 'convosoLeadsInsert', 'Insert a lead', INSERT_CHECKS, convosoInsertParams, convosoLeadAnswer, { success: true, data: { lead_id: '7' } }),
  ...endpoint(
    '/lead-post-validation/insert',
    'convosoLeadPostValidationInsert',
    'Insert a lead under a criteria key',
    "The criteria key (dialer.yaml `criteria`, 6090 when unknown) gives the list and the checks; then as /v1/leads/insert (the CRM is asked once).",
    convosoPostValidationParams,
    convosoLeadAnswer,
    { success: true, data: { lead_id: '7' } },
  ),
  ...endpoint(
    '/leads/update',
    'convosoLeadsUpdate',
    'Update a lead',
    'Given fields overwrite; `status` and `list_id` (a list of the same campaign) apply; `phone_number` is re-normalised, not de-duplicated; a call record is written. A parameter that cannot be applied is refused (6902).',
    convosoUpdateParams,
    convosoLeadAnswer,
    { success: true, data: { lead_id: '7' } },
  ),
  ...endpoint('/leads/delete', 'convosoLeadsDelete', 'Delete a lead', 'Closes the lead: its phones stop counting as duplicates (unless check_dup 4 or check_dup_archive), updates find it no more; search shows it with `lead_state: closed`.', convosoDeleteParams, convosoDone, { success: true }),
  ...endpoint('/leads/search', 'convosoLeadsSearch', 'Search leads', 'Every filter at once (all must hold), in ascending numeric id order, paged.', convosoSearchParams, convosoSearchAnswer, {
    success: true,
    data: {
      offset: '0',
      limit: '10',
      total: '1',
      entries: [{ first_name: 'Ada', state: 'NJ', id: '7', list_id: '100', campaign_id: '10', status: 'NEW', phone_number: '412345680', phone_code: '61', lead_state: 'active', created_at: '2026-12-01T06:00:00.000Z', modified_at: '2026-12-01T06:00:00.000Z' }],
    },
  }),
  ...endpoint('/dnc/insert', 'convosoDncInsert', 'Add a number to the DNC list', '`campaign_id` 0 is the global list; answers the entry id; already there: 6008.', convosoDncParams, convosoDncIdAnswer, { success: true, id: '3' }),
  ...endpoint('/dnc/update', 'convosoDncUpdate', 'Change a DNC entry', 'By `id` (6056); a change that would repeat another entry: 6059.', convosoDncUpdateParams, convosoDncIdAnswer, { success: true, id: '3' }),
  ...endpoint('/dnc/search', 'convosoDncSearch', 'Search the DNC list', 'Every filter at once, in id order, paged.', convosoDncSearchParams, convosoDncSearchAnswer, {
    success: true,
    data: { offset: '0', limit: '100', total: '1', entries: [{ id: '3', phone_number: '412345699', phone_code: '61', campaign_id: '0', reason: 'asked', purpose: null, insert_date: '2026-12-01T06:00:00.000Z' }] },
  }),
  ...endpoint('/dnc/delete', 'convosoDncDelete', 'Remove a number from the DNC list', '`campaign_id` 0 is the global list; not there: 6001.', convosoDncDeleteParams, convosoDone, { success: true }),
  ...endpoint(
    '/lead-validation/search',
    'convosoLeadValidation',
    'The lead-validation ping',
    'Runs validation, DNC, duplicates (as the criteria key says) and the duplicate-check table (the CRM is asked) for a phone and fields; writes nothing.',
    convosoValidationQuery,
    convosoValidationAnswer,
    { success: true, result: 'Denied', reason: 'the phone number already exists', code: 6009 },
  ),
  ...(['get', 'post'] as const).map((method) =>
    routeDoc({
      method,
      path: '/v1/workflow/leads/{leadId}/check',
      operationId: method === 'post' ? 'convosoWorkflowCheck' : 'convosoWorkflowCheckGet',
      tags: TAG,
      summary: 'Re-check an existing lead with the CRM',
      description: "Runs the connect and the duplicate-check table for the lead, applies the matched row's status and DNC addition, records the decision and answers it (6001 unknown lead, 6902 no table enabled, 6906 CRM unavailable).",
      request: method === 'post' ? { params: convosoLeadPath, headers: idempotencyHeaders, body: paramsBody(convosoAuthParams) } : { params: convosoLeadPath, query: convosoAuthParams, headers: idempotencyHeaders },
      responses: answers(convosoDecision, { createLead: true, success: true, status: 'NEW', addToDnc: false }),
    }),
  ),
];
