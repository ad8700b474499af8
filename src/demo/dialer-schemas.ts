import { z } from 'zod';
import type { ResultCode } from '../codes.js';
import { leadBatchBody, noojeeAnswer, noojeeBatchAnswer, noojeeUnauthorized, singleLeadBody } from '../dialects/noojee/schemas.js';
import { codeExamples, codeList, json, routeDoc, type RouteDoc } from '../ops/route-doc.js';

/** The key the shipped rules/destinations/demo-dialer.yaml sends; it guards nothing of value. */
export const DEMO_DIALER_API_KEY = 'demo-dialer-key';

const id = (what: string, code: number, extra = '') =>
  z.string().optional().meta({ description: `${what} id: any positive integer. Missing or not one: ${code}.${extra}`, example: '1' });

/** The CampaignAPI query string as the demo dialer reads it. */
export const dialerQuery = z.object({
  apiKey: z.string().optional().meta({ description: `The demo dialer's own key (\`${DEMO_DIALER_API_KEY}\`), not a leadgate key. Missing or wrong: HTTP 401.`, example: DEMO_DIALER_API_KEY }),
  fTemplateId: id('Template', 116),
  fCampaignId: id('Campaign', 117),
  fAllocationId: id('Allocation', 115, ' Optional on updateLeadFast.'),
  allowDuplicates: z
    .string()
    .optional()
    .transform((value) => value?.trim().toLowerCase() === 'true')
    .meta({ description: '`true` skips the phone de-duplication (105).', example: 'false' }),
});

export const dialerLeadsQuery = z.object({
  limit: z
    .string()
    .optional()
    .transform((value) => {
      const n = Number(value ?? 100);
      return Number.isInteger(n) && n >= 1 ? Math.min(n, 10_000) : 100;
    })
    .meta({ description: 'How many of the newest leads to list (1–10000).', example: '100' }),
});

const dialerLead = z.object({
  leadId: z.string().meta({ description: "The dialer's lead id: leadgate's `dialerLeadId`." }),
  externalId: z.string().nullable().meta({ description: 'njExternalLeadId as sent (leadgate sends its own, or `lg-<leadId>`).' }),
  templateId: z.number().int(),
  campaignId: z.number().int(),
  allocationId: z.number().int().nullable(),
  phones: z.array(z.string()).meta({ description: 'The phone fields, digits only.' }),
  fields: z.record(z.string(), z.unknown()),
  disposition: z.string().nullable().meta({ description: 'Set by updateLeadFast.' }),
  receivedAt: z.string().meta({ description: 'ISO 8601.' }),
  updatedAt: z.string().nullable(),
});

const leadList = z.object({ total: z.number().int().meta({ description: 'Leads held (the newest 10,000 are kept).' }), leads: z.array(dialerLead) });

const stats = z.object({
  maxConcurrency: z.number().int(),
  minCallMs: z.number().int(),
  queueTimeoutMs: z.number().int(),
  inFlight: z.number().int(),
  queued: z.number().int(),
  peakInFlight: z.number().int().meta({ description: 'The most calls ever served at once: never above maxConcurrency.' }),
  admitted: z.number().int().meta({ description: 'Calls that got a slot.' }),
  timedOut: z.number().int().meta({ description: 'Calls answered 109.' }),
  leads: z.number().int(),
});

const codes = (http: number, list: ResultCode[]) => ({
  description: `Codes with HTTP ${http}:\n${codeList(list)}`,
  content: json(noojeeAnswer, codeExamples(list, (code, info) => ({ code, message: info.message, description: info.description }))),
});

const BASE = '/demo/dialer/servicemanager/rest/CampaignAPI';
const BEHAVIOUR =
  'The demo dialer answers by the last digit of a phone: 7 → 104 DNC; 8 → 103 (HTTP 500) the first time it sees the number, taken on the next attempt. It serves at most maxConcurrency calls at once (default 2), each taking at least 100 ms; the others wait in order and are answered 109 after 5 s.';

function endpoint(name: string, summary: string, shape: 'single' | 'batch', leadCodes: ResultCode[], example: unknown): RouteDoc {
  const requestCodes: ResultCode[] = [116, 117, 115, 204, 109];
  return routeDoc({
    method: 'post',
    path: `${BASE}/${name}`,
    operationId: `demoDialer${name[0]!.toUpperCase()}${name.slice(1)}`,
    tags: ['Demo dialer'],
    summary,
    description: BEHAVIOUR,
    request: {
      query: dialerQuery,
      body: { required: true, content: { 'application/json': { schema: shape === 'single' ? singleLeadBody : leadBatchBody, examples: { lead: { value: example } } } } },
    },
    responses: {
      200:
        shape === 'single'
          ? { description: 'Taken (code 0, with the dialer\'s leadId).', content: json(noojeeAnswer) }
          : { description: 'One result per lead, in request order, with counts by code.', content: json(noojeeBatchAnswer) },
      400: codes(400, shape === 'single' ? [...requestCodes, ...leadCodes] : requestCodes),
      401: { description: "Missing or wrong apiKey (the demo dialer's own).", content: json(noojeeUnauthorized) },
      413: codes(413, [203]),
      ...(shape === 'single' && name !== 'updateLeadFast' ? { 500: codes(500, [103]) } : {}),
    },
  });
}

/** Served only while the demo is on (LEADGATE_DEMO), like the demo CRM's. */
export const DEMO_DIALER_DOCS: RouteDoc[] = [
  endpoint('insertLeadFast', 'The demo dialer: insert one lead', 'single', [108, 102, 104, 112, 105], { phone: '0412345670', njExternalLeadId: 'lg-1' }),
  endpoint('insertLeadsFast', 'The demo dialer: insert a batch of leads', 'batch', [], [{ phone: '0412345670' }, { phone: '0412345677' }]),
  endpoint('updateLeadFast', 'The demo dialer: update a lead', 'single', [101, 102, 107], { njExternalLeadId: 'lg-1', njDisposition: 'SALE', phone: '<No Change>' }),
  routeDoc({
    method: 'get',
    path: '/demo/dialer/leads',
    operationId: 'demoDialerLeads',
    tags: ['Demo dialer'],
    summary: 'The leads the demo dialer holds, newest first',
    request: { query: dialerLeadsQuery },
    responses: { 200: { description: 'The newest `limit` leads and how many it holds.', content: json(leadList) } },
  }),
  routeDoc({
    method: 'get',
    path: '/demo/dialer/stats',
    operationId: 'demoDialerStats',
    tags: ['Demo dialer'],
    summary: "The demo dialer's limits and how busy it is",
    responses: { 200: { description: 'Its limits, the calls in flight and queued, and the peak.', content: json(stats) } },
  }),
];
