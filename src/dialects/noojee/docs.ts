import type { z } from 'zod';
import type { ResultCode } from '../../codes.js';
import { codeExamples, codeList, codesWithStatus, idempotencyHeaders, json, retryAfterHeader, routeDoc, type RouteDoc } from '../../ops/route-doc.js';
import { leadBatchBody, NOOJEE_BASE, noojeeAnswer, noojeeBatchAnswer, noojeeQuery, noojeeUnauthorized, singleLeadBody } from './schemas.js';

/** Request-level checks, before any lead (SPEC 2): they answer a batch without results. */
const REQUEST_CODES: ResultCode[] = [116, 117, 115, 204, 109];

const EXAMPLES = {
  ok: { code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: '1' },
  duplicate: { code: 105, message: 'DUPLICATE', description: 'a lead with one of these phone numbers already exists' },
  duplicateEmail: { code: 105, message: 'DUPLICATE', description: 'a lead with the same email already exists', matchedOn: 'email' },
  skipped: {
    code: 105,
    message: 'DUPLICATE',
    description: 'skipped as a duplicate by the duplicate check: existing customer',
    reason: 'existing customer',
    rule: { row: 0, key: '$.customer.status' },
  },
  template: { code: 116, message: 'TEMPLATE_ID_REQUIRED', description: 'fTemplateId is required' },
  batch: {
    code: 0,
    message: 'OK',
    results: [
      { index: 0, code: 0, message: 'OK', leadId: '2' },
      { index: 1, code: 105, message: 'DUPLICATE', description: 'a lead with one of these phone numbers already exists' },
    ],
    counts: { '0': 1, '105': 1 },
  },
};

/** An error status: its codes listed and exemplified from the code table, plus the SPEC's own examples. */
const status = (http: number, codes: ResultCode[], examples: Record<string, unknown> = {}) => ({
  description: `Codes with HTTP ${http}:\n${codeList(codes)}`,
  headers: retryAfterHeader,
  content: json(noojeeAnswer, { ...examples, ...codeExamples(codes, (code, info) => ({ code, message: info.message, description: info.description })) }),
});

/** The answers every endpoint shares; `single` endpoints answer the lead's own code with its status. */
function responses(shape: 'single' | 'batch') {
  const bad = shape === 'single' ? codesWithStatus(400) : REQUEST_CODES;
  return {
    200:
      shape === 'single'
        ? { description: 'Inserted or updated (code 0).', content: json(noojeeAnswer, { ok: EXAMPLES.ok }) }
        : { description: 'One result per lead, in request order, with counts by code.', content: json(noojeeBatchAnswer, { batch: EXAMPLES.batch }) },
    400: status(400, bad, shape === 'single' ? { duplicate: EXAMPLES.duplicate, duplicateEmail: EXAMPLES.duplicateEmail, skipped: EXAMPLES.skipped } : { template: EXAMPLES.template }),
    401: {
      description: 'Missing or wrong apiKey.',
      content: json(noojeeUnauthorized, {
        missing: { code: 401, message: 'UNAUTHORIZED', description: 'apiKey is missing: pass it as the apiKey query parameter' },
        wrong: { code: 401, message: 'UNAUTHORIZED', description: 'apiKey is not valid: check the key passed as the apiKey query parameter' },
      }),
    },
    413: status(413, codesWithStatus(413)),
    422: status(422, codesWithStatus(422)),
    500: status(500, codesWithStatus(500)),
    503: status(503, codesWithStatus(503)),
  };
}

function endpoint(name: string, summary: string, description: string, shape: 'single' | 'batch', body: z.ZodType, example: unknown): RouteDoc {
  return routeDoc({
    method: 'post',
    path: `${NOOJEE_BASE}/${name}`,
    operationId: name,
    tags: ['Noojee CampaignAPI'],
    summary,
    description,
    request: {
      query: noojeeQuery,
      headers: idempotencyHeaders,
      body: { required: true, content: { 'application/json': { schema: body, examples: { lead: { value: example } } } } },
    },
    responses: responses(shape),
  });
}

const PHONE = { phone: '0383208134', firstName: 'Ada', njExternalLeadId: 'A-1', njCallBackDate: '2026/12/24 10:30' };

export const NOOJEE_DOCS: RouteDoc[] = [
  endpoint(
    'insertLeadFast',
    'Insert one lead',
    'One lead object (a one-element array is accepted). Lead checks, the first failing answers: 204 → 108 → 102 → 202 → 114 → 111 → 201 → 104 → 112 → 105 → the duplicate-check table (105 skip, 205 created but failed, 206).',
    'single',
    singleLeadBody,
    PHONE,
  ),
  endpoint(
    'insertLeadsFast',
    'Insert a batch of leads',
    'An array of lead objects (a lone object is a batch of one), at most LEADGATE_MAX_BATCH. Leads are independent: one lead\'s failure never undoes another\'s insert; a phone repeated in the batch is a duplicate of the earlier lead.',
    'batch',
    leadBatchBody,
    [{ phone: '0412 345 678' }, { phone: '0412345678' }],
  ),
  endpoint(
    'updateLeadFast',
    'Update a lead',
    'One lead object holding `njExternalLeadId` (101), `njDisposition` (or `<No Change>`, 106/107) and at least one phone field (102). `<No Change>` fields and fields not given keep their value. Appends a call record and runs the disposition\'s actions. fAllocationId is optional.',
    'single',
    singleLeadBody,
    { njExternalLeadId: 'A-1', njDisposition: 'Call Back', njCallBackDate: '2026/12/24 10:30', phone: '<No Change>' },
  ),
  endpoint(
    'injectLeads',
    'The lead injector: ADD, MODIFY and REALLOCATE rows',
    'An array of rows; each row\'s `njAction` picks insert (`ADD`, default), update (`MODIFY`, as updateLeadFast) or `REALLOCATE` (apply the disposition, copy the lead into allocation `njAllocationName`, answering the copy\'s lead id). Answered as insertLeadsFast.',
    'batch',
    leadBatchBody,
    [
      { NjAction: 'ADD', phone: '0383208134', njExternalLeadId: 'A-1' },
      { NjAction: 'REALLOCATE', njExternalLeadId: 'A-1', njDisposition: 'Reallocate', njAllocationName: 'Second chance' },
    ],
  ),
];
