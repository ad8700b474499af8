import { z } from 'zod';
import { RULE_FILE_PATTERN } from '../ruleset/rule-file.js';

/**
 * Request and response shapes of the admin API (SPEC 7, 8a). The routes validate with these,
 * and the OpenAPI document is generated from them, so they are the one description of the API.
 */

const digits = (max: number) => z.string().regex(/^\d{1,9}$/, 'expected a whole number').transform(Number).pipe(z.number().int().min(0).max(max));
const page = { limit: digits(1000).pipe(z.number().min(1)).default(100), offset: digits(1_000_000_000).default(0) };
const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const adminError = z.object({ error: z.string() });

export const ruleError = z.object({ file: z.string(), path: z.string(), message: z.string() });
/** 422: the folder would not load with the given text; nothing was written */
export const ruleErrors = z.object({ error: z.string(), errors: z.array(ruleError) });
/** 412: the file is not at the version the request named; `etag` is its current one (null: absent) */
export const ruleConflict = z.object({ error: z.string(), etag: sha256Hex.nullable() });

export const ruleFilesList = z.object({ files: z.array(z.object({ path: z.string(), etag: sha256Hex })) });

/** `{path}` of /admin/rules/{path}: `name.yaml` or `folder/name.yaml` (.yml, .json), the files the loader reads */
export const ruleFilePath = z.string().regex(RULE_FILE_PATTERN);
/** PUT and validate bodies: the file's raw text (UTF-8, any content type) */
export const ruleFileText = z.string();

/** PUT /admin/rules/{path}: one of them is required (428 otherwise); `If-None-Match: *` creates a file */
export const putRuleFileHeaders = z.object({
  'if-match': z.string().min(1).optional(),
  'if-none-match': z.literal('*').optional(),
});
/** PUT (200 replaced, 201 created): the file's new ETag, also sent as the `ETag` header */
export const ruleFileWritten = z.object({ path: z.string(), etag: sha256Hex });
/** POST /admin/rules/validate/{path}: the raw text would load */
export const ruleFileValid = z.object({ path: z.string(), valid: z.literal(true), etag: sha256Hex });

export const ruleTestBody = z.union([
  z.object({ lead: z.record(z.string(), z.unknown()), crmResponse: z.unknown(), templateId: z.number().int().positive().optional() }).strict(),
  z.object({ lead: z.record(z.string(), z.unknown()), live: z.literal(true), templateId: z.number().int().positive().optional() }).strict(),
]);
export const ruleTestResult = z.object({
  decision: z.record(z.string(), z.unknown()),
  rows: z.array(z.object({ index: z.number(), key: z.string(), values: z.array(z.unknown()), matched: z.boolean() })),
  crm: z.record(z.string(), z.unknown()).optional(),
});

export const decisionOutcome = z.enum(['created', 'skipped', 'rejected', 'dnc', 'duplicate_external_id', 'duplicate_phone', 'duplicate_key', 'rechecked']);

/** GET /admin/decisions: newest first; `phone` in any form the template's country parses */
export const decisionsQuery = z
  .object({
    phone: z.string().min(1).max(64).optional(),
    /** whose country reads a national `phone`; default the first template */
    templateId: digits(2 ** 31 - 1).optional(),
    outcome: decisionOutcome.optional(),
    connect: z.string().min(1).max(200).optional(),
    /** created at or after (ISO 8601 with offset) */
    from: instant.optional(),
    /** created before */
    to: instant.optional(),
    ...page,
  })
  .strict();

export const decisionEntry = z.object({
  id: z.string(),
  leadId: z.string().nullable(),
  phone: z.string().nullable(),
  entryPoint: z.string(),
  connect: z.string().nullable(),
  request: z.unknown(),
  crmStatus: z.number().nullable(),
  latencyMs: z.number().nullable(),
  answer: z.string().nullable(),
  matchedRow: z.number().nullable(),
  values: z.unknown(),
  outcome: z.string(),
  decision: z.unknown(),
  matchedOn: z.string().nullable().meta({ description: 'duplicate_phone / duplicate_key: the match key that matched (`phone`, `email`, `firstName+lastName+phone`)' }),
  matchedLeadId: z.string().nullable().meta({ description: 'duplicate_phone / duplicate_key: the lead that holds the matched key' }),
  createdAt: z.string(),
});
export const decisionsPage = z.object({ offset: z.number(), limit: z.number(), total: z.number(), entries: z.array(decisionEntry) });

/** POST /admin/dnc; campaignId absent or 0 is the global list */
export const dncAddBody = z
  .object({
    phone: z.string().min(1).max(64),
    reason: z.string().min(1).max(500),
    campaignId: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  })
  .strict();
/** 201 added, 200 when the entry was already there */
export const dncAdded = z.object({ phone: z.string(), campaignId: z.number(), added: z.boolean() });

export const dncDeleteQuery = z.object({ phone: z.string().min(1).max(64), campaignId: digits(2 ** 31 - 1).optional() }).strict();
export const dncRemoved = z.object({ phone: z.string(), campaignId: z.number(), removed: z.literal(true) });

/** POST /admin/api-keys: the body may be empty */
export const apiKeyCreateBody = z.object({ label: z.string().min(1).max(200).optional() }).strict();
/** 201: `key` is shown this once; only its SHA-256 is stored */
export const apiKeyCreated = z.object({ id: z.string(), key: z.string() });
export const apiKeyIdParam = z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'expected a key id') });
export const apiKeyRevoked = z.object({ id: z.string(), revoked: z.literal(true) });
export const apiKeysList = z.object({
  keys: z.array(z.object({ id: z.string(), prefix: z.string(), label: z.string().nullable(), createdAt: z.string(), revokedAt: z.string().nullable() })),
});

export const auditQuery = z.object(page).strict();
export const auditEntry = z.object({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  beforeSha256: sha256Hex.nullable(),
  afterSha256: sha256Hex.nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  requestId: z.string().nullable(),
  createdAt: z.string(),
});
export const auditPage = z.object({ offset: z.number(), limit: z.number(), total: z.number(), entries: z.array(auditEntry) });

const deliveryState = z.enum(['queued', 'delivered', 'refused', 'dead']);
const attemptOutcome = z.enum(['delivered', 'refused', 'retry', 'dead', 'unknown']).meta({ description: '`unknown`: a network error or timeout (the dialer may have acted)' });
const deliveryId = z.string().regex(/^[1-9]\d{0,17}$/, 'expected a delivery id');

/** GET /admin/deliveries: newest first; `phone` in any form the template's country parses */
export const deliveriesQuery = z
  .object({
    destination: z.string().min(1).max(200).optional(),
    state: deliveryState.optional(),
    leadId: z.string().regex(/^[1-9]\d{0,17}$/, 'expected a lead id').optional(),
    /** the lead's phones, or a DNC delivery's number */
    phone: z.string().min(1).max(64).optional(),
    /** whose country reads a national `phone`; default the first template */
    templateId: digits(2 ** 31 - 1).optional(),
    ...page,
  })
  .strict();

export const deliveryIdParam = z.object({ id: deliveryId });

export const deliverySummary = z.object({
  id: z.string(),
  leadId: z.string().nullable().meta({ description: 'null for a DNC delivery' }),
  destination: z.string(),
  event: z.enum(['insert', 'update', 'dnc']),
  state: deliveryState,
  attemptCount: z.number().meta({ description: 'attempts since it was last queued (a retry starts again at 0; the history keeps every attempt)' }),
  dialerLeadId: z.string().nullable().meta({ description: "the dialer's id of the lead, once it answered one" }),
  lastOutcome: attemptOutcome.nullable(),
  lastAnswer: z.string().nullable(),
  nextAttemptAt: z.string().nullable().meta({ description: 'when it is due (queued only; otherwise null)' }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const deliveriesPage = z.object({ total: z.number(), deliveries: z.array(deliverySummary) });
export const deliveryAttempt = z.object({
  at: z.string(),
  request: z.unknown().meta({ description: 'the request as sent, secrets redacted' }),
  status: z.number().nullable().meta({ description: 'HTTP status; null when no answer came' }),
  answer: z.string().nullable(),
  outcome: attemptOutcome,
  latencyMs: z.number(),
});
export const deliveryDetail = deliverySummary.extend({ attempts: z.array(deliveryAttempt) });
export const deliveryRetried = z.object({ id: z.string(), state: z.literal('queued') });

/** POST /admin/deliveries/retry: at least one of state, destination, from (checked by the route) */
export const deliveriesRetryBody = z
  .object({
    state: z.enum(['dead', 'refused']).optional().meta({ description: 'absent: dead and refused' }),
    destination: z.string().min(1).max(200).optional(),
    /** created at or after (ISO 8601 with offset) */
    from: instant.optional(),
    /** created before */
    to: instant.optional(),
  })
  .strict();
export const deliveriesRetried = z.object({ retried: z.number().meta({ description: 'how many deliveries were put back in the queue' }) });

/** "limit: expected a whole number; from: Invalid ISO datetime" */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
