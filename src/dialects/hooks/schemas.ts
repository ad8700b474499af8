import { z } from 'zod';
import { errorAnswer, json, resultCode, resultMessage, retryAfterHeader, routeDoc, type RouteDoc } from '../../ops/route-doc.js';

const header = (description: string, example: string) => z.string().optional().meta({ description, example });

/** Both signature schemes' headers (SPEC 3.4); which ones a source needs is its `signature.scheme`. */
export const hookHeaders = z.object({
  'webhook-id': header('standard-webhooks: the event id (also the idempotency key unless the source maps `eventId`).', 'evt-1'),
  'webhook-timestamp': header('standard-webhooks: Unix seconds; within ±300 s.', '1764571200'),
  'webhook-signature': header('standard-webhooks: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated for several.', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
  'svix-id': header('standard-webhooks, as Svix names it: read when webhook-id is absent.', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'),
  'svix-timestamp': header('standard-webhooks, as Svix names it: read when webhook-timestamp is absent.', '1764571200'),
  'svix-signature': header('standard-webhooks, as Svix names it: read when webhook-signature is absent.', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
  'X-Signature': header('hmac-sha256: `sha256=<hex>` over `<X-Timestamp>.<body>`, or over the body alone without X-Timestamp.', 'sha256=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd'),
  'X-Timestamp': header('hmac-sha256: Unix seconds; within ±300 s.', '1764571200'),
});

export const hookPath = z.object({ source: z.string().meta({ description: 'A source of the rules folder (`sources/<name>.yaml`).', example: 'demo-form' }) });

export const hookAnswer = z
  .object({
    source: z.string(),
    eventId: z.string(),
    code: resultCode,
    message: resultMessage,
    leadId: z.string().optional(),
    description: z.string().optional(),
    rule: z.object({ row: z.number().int().nullable(), key: z.string().optional(), reason: z.string().optional() }).optional(),
  })
  .meta({ id: 'HookAnswer' });

export const HOOK_DOCS: RouteDoc[] = [
  routeDoc({
    method: 'post',
    path: '/hooks/{source}',
    operationId: 'hookEvent',
    tags: ['Webhooks'],
    summary: 'A signed CRM webhook event',
    description:
      'Verified on the raw bytes (constant time, every listed secret), mapped to a lead by the source\'s JSONPath fields, inserted or upserted through the lead pipeline. A redelivery (same event id) answers the first answer again and changes nothing. A lead the pipeline refuses is still a handled event (HTTP 200 with its code).',
    request: {
      params: hookPath,
      headers: hookHeaders,
      body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()), example: { eventId: 'evt-1', lead: { id: 'F-1', phone: '0412345690', firstName: 'Ada' } } } } },
    },
    responses: {
      200: { description: 'The event was handled; `code` says what happened to its lead.', content: json(hookAnswer, { ok: { source: 'demo-form', eventId: 'evt-1', code: 0, message: 'OK', leadId: '8' } }) },
      400: { description: 'The body is not UTF-8 JSON, or the event has no id.', content: json(errorAnswer) },
      401: { description: 'The signature or timestamp was rejected.', content: json(errorAnswer) },
      404: { description: 'Unknown webhook source.', content: json(errorAnswer) },
      413: { description: 'The body is larger than LEADGATE_MAX_BODY_BYTES.', content: json(errorAnswer) },
      422: { description: 'The event id was already delivered with a different body.', content: json(errorAnswer) },
      503: { description: 'Retry later (store unavailable, too busy, CRM unavailable, or the event is still being processed).', headers: retryAfterHeader, content: json(z.union([hookAnswer, errorAnswer])) },
    },
  }),
];
