/**
 * `rules/destinations/<name>.yaml` (SPEC 10.1): where created leads are forwarded. One schema per
 * kind, chosen by `kind`, so every mistake is reported at its own key and all of them at once:
 * the credentials and route ids each kind needs, `batch` for noojee only, `http` for http only.
 * `circuit` is a leadgate addition, as for connects: the SPEC asks for a breaker, not its numbers.
 */
import { z } from 'zod';
import { circuitSchema } from '../../crm/connect-schema.js';
import { OPS, valueProblem } from '../duplicate-check/schema.js';

export const DESTINATION_KINDS = ['noojee', 'convoso', 'vicidial', 'http'] as const;
export const FORWARD_EVENTS = ['insert', 'update', 'dnc'] as const;

/** insertLeadsFast answers every lead of a batch in one response; far past this a call outlives any timeout */
export const MAX_NOOJEE_BATCH = 1000;

const id = z.number({ error: (issue) => (issue.input === undefined ? 'required: a positive integer' : 'must be a positive integer') }).int('must be a positive integer').positive('must be a positive integer');

/** A credential: a `${env:NAME}` reference (checked when compiled), or a literal in a demo file. */
const secret = z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') }).min(1, 'must not be empty');

const headerValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** A missing object says what it should hold, not just "expected object". */
const required = (what: string) => ({
  error: (issue: { code?: string; input?: unknown }) => (issue.code !== 'invalid_type' ? undefined : issue.input === undefined ? `required: ${what}` : `must be ${what}`),
});

const CREDENTIALS = {
  noojee: z.strictObject({ apiKey: secret }, required('{ apiKey }')),
  convoso: z.strictObject({ authToken: secret }, required('{ authToken }')),
  vicidial: z.strictObject({ user: secret, pass: secret, source: secret }, required('{ user, pass, source }')),
  http: z.strictObject({ headers: z.record(z.string(), headerValue, required('a map of header names to values ({} for none)')) }, required('{ headers }')),
};

/** The dialer's own ids a route sends the lead to. */
const TO = {
  noojee: z.strictObject({ templateId: id, campaignId: id, allocationId: id }, required("the dialer's { templateId, campaignId, allocationId }")),
  convoso: z.strictObject({ listId: id }, required("the dialer's { listId }")),
  // VICIdial campaign ids are short texts (`TESTCAMP`)
  vicidial: z.strictObject(
    { listId: id, campaignId: z.union([z.string().min(1), id], { error: 'must be a campaign id (text or a positive integer)' }).optional() },
    required("the dialer's { listId, campaignId? }"),
  ),
  http: z.record(z.string(), z.union([z.string(), z.number()], { error: 'must be a string or a number' })).default({}),
};

const matchSchema = z
  .strictObject({ templateId: id.optional(), campaignId: id.optional(), allocationId: id.optional() })
  .refine((m) => m.templateId !== undefined || m.campaignId !== undefined || m.allocationId !== undefined, 'match needs at least one of templateId, campaignId, allocationId');

const routes = <T extends z.ZodType>(to: T) =>
  z.array(z.strictObject({ match: matchSchema, to }), { error: 'required: a list of routes' }).min(1, 'a destination needs at least one route (a lead no route matches is not forwarded)');

const forward = (noojee: boolean) =>
  z
    .array(
      z.enum(FORWARD_EVENTS).refine((event) => !noojee || event !== 'dnc', 'Noojee has no DNC API: a noojee destination cannot forward dnc'),
    )
    .min(1, 'forward at least one event (insert, update, dnc)')
    .default(['insert']);

const retrySchema = z
  .strictObject({
    firstDelayMs: z.number().int().min(10).max(86_400_000).default(120_000),
    maxDelayMs: z.number().int().min(10).max(86_400_000).default(3_600_000),
    maxAttempts: z.number().int().min(1).max(10_000).default(48),
  })
  .refine((r) => r.maxDelayMs >= r.firstDelayMs, { path: ['maxDelayMs'], message: 'must be at least firstDelayMs' });

const adaptorRowSchema = z.strictObject({
  field: z.string().min(1, 'field must not be empty'),
  mappedTo: z.string().min(1, 'mappedTo must not be empty'),
});

/** A row of the duplicate-check table's shape (SPEC 3.3): `key`, `op`, `value`. */
const successRowSchema = z
  .strictObject({ key: z.string(), op: z.enum(OPS).default('equals'), value: z.unknown().optional() })
  .superRefine((row, ctx) => {
    const problem = valueProblem(row.op, row.value);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

const httpReadingSchema = z.strictObject(
  {
    success: successRowSchema,
    /** JSONPath to the dialer's lead id in the answer */
    leadId: z.string().optional(),
  },
  required('how to read the answer: { success: { key, op?, value }, leadId? }'),
);

const notHttp = z.undefined({ error: 'http (how to read the answer) is for kind http only' }).optional();

const common = {
  version: z.literal(1),
  url: z.string().min(1, 'url must not be empty'),
  mode: z.enum(['queue', 'sync']).default('queue'),
  syncTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  timeoutMs: z.number().int().min(100).max(600_000).default(70_000),
  maxConcurrency: z.number().int().min(1).max(1024).default(2),
  /** 0: no limit */
  ratePerSecond: z.number().min(0).max(100_000).default(0),
  retry: retrySchema.default({ firstDelayMs: 120_000, maxDelayMs: 3_600_000, maxAttempts: 48 }),
  allowPrivateNetwork: z.boolean().default(false),
  adaptor: z.array(adaptorRowSchema).default([]),
  circuit: circuitSchema.default({ failureThreshold: 5, openMs: 30_000 }),
};

const onlyOne = z.literal(1, { error: 'batch is for kind noojee only (insertLeadsFast); other kinds send one lead a call' }).default(1);

export const destinationSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...common,
      kind: z.literal('noojee'),
      credentials: CREDENTIALS.noojee,
      routes: routes(TO.noojee),
      forward: forward(true),
      batch: z.number().int().min(1).max(MAX_NOOJEE_BATCH).default(100),
      http: notHttp,
    }),
    z.strictObject({ ...common, kind: z.literal('convoso'), credentials: CREDENTIALS.convoso, routes: routes(TO.convoso), forward: forward(false), batch: onlyOne, http: notHttp }),
    z.strictObject({ ...common, kind: z.literal('vicidial'), credentials: CREDENTIALS.vicidial, routes: routes(TO.vicidial), forward: forward(false), batch: onlyOne, http: notHttp }),
    z.strictObject({
      ...common,
      kind: z.literal('http'),
      credentials: CREDENTIALS.http,
      routes: routes(TO.http),
      forward: forward(false),
      batch: onlyOne,
      http: httpReadingSchema,
    }),
  ],
  { error: `kind must be one of ${DESTINATION_KINDS.join(', ')}` },
);

export type DestinationFile = z.output<typeof destinationSchema>;
export type SuccessRow = z.output<typeof successRowSchema>;
