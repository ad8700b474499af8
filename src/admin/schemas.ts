import { z } from 'zod';
import { errorAnswer, json, routeDoc, type RouteDoc } from '../ops/route-doc.js';

const lead = z.record(z.string(), z.unknown()).meta({ description: 'The lead, as a dialect would receive it.', example: { phone: '0412345678' } });
const templateId = z.number().int().positive().optional().meta({ description: 'Whose phone country and fields to use; default the first template.' });

/** `POST /admin/rules/test`: a CRM answer given, or `live: true` to call the CRM. */
export const ruleTestBody = z
  .union([
    z.object({ lead, crmResponse: z.unknown().meta({ description: "The CRM's JSON answer to evaluate the table on." }), templateId }).strict(),
    z.object({ lead, live: z.literal(true), templateId }).strict(),
  ])
  .meta({ id: 'RuleTestRequest' });

export const ruleTestAnswer = z
  .object({
    decision: z.record(z.string(), z.unknown()).meta({ description: 'What the table decides: createLead, success, status, addToDnc, reason, row.' }),
    rows: z.array(z.object({ index: z.number().int(), key: z.string(), values: z.array(z.unknown()), matched: z.boolean() })),
    crm: z.record(z.string(), z.unknown()).optional().meta({ description: 'live: the call made (request with secrets redacted, status, latency, answer).' }),
  })
  .meta({ id: 'RuleTestAnswer' });

const unauthorized = {
  401: { description: 'A valid admin bearer token is required.', content: json(errorAnswer) },
  403: { description: 'The admin API is disabled (LEADGATE_ADMIN_TOKEN unset).', content: json(errorAnswer) },
};

/** One entry per admin route, next to its schemas; the route test fails until a new route has one. */
export const ADMIN_DOCS: RouteDoc[] = [
  routeDoc({
    method: 'post',
    path: '/admin/rules/test',
    operationId: 'adminRulesTest',
    tags: ['Admin'],
    summary: 'Dry run of the duplicate-check table',
    description: 'The decision and, for every row, the values found at its key and whether it matched. No side effects.',
    security: [{ adminToken: [] }],
    request: {
      body: {
        required: true,
        content: json(ruleTestBody, {
          given: { lead: { phone: '0412345678' }, crmResponse: { customer: { status: 'Active' } } },
          live: { lead: { phone: '0412345678' }, live: true },
        }),
      },
    },
    responses: {
      200: {
        description: 'The decision and the rows.',
        content: json(ruleTestAnswer, {
          matched: {
            decision: { createLead: false, success: false, addToDnc: false, reason: 'existing customer', row: 0 },
            rows: [{ index: 0, key: '$.customer.status', values: ['Active'], matched: true }],
          },
        }),
      },
      400: { description: 'The body is not JSON or not one of the two shapes.', content: json(errorAnswer) },
      ...unauthorized,
      413: { description: 'The body is larger than LEADGATE_MAX_BODY_BYTES.', content: json(errorAnswer) },
      422: { description: 'No duplicate-check table, or the lead or template cannot be used.', content: json(errorAnswer) },
    },
  }),
];
