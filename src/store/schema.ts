import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const leads = pgTable(
  'leads',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    templateId: integer('template_id').notNull(),
    campaignId: integer('campaign_id').notNull(),
    allocationId: integer('allocation_id').notNull(),
    externalId: text('external_id'),
    status: text('status'),
    disposition: text('disposition'),
    callbackAt: timestamp('callback_at', { withTimezone: true }),
    priority: smallint('priority').notNull().default(10),
    contactHours: text('contact_hours').notNull(),
    fields: jsonb('fields').notNull(),
    /** the lead's phone numbers in E.164, in phone-field order */
    phones: text('phones').array().notNull(),
    state: text('state').notNull().default('active'),
    /** optimistic concurrency: bumped by every update */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // 112: an external id belongs to one live lead of a campaign; a reallocated lead hands it on.
    uniqueIndex('leads_campaign_external_id_uq')
      .on(t.campaignId, t.externalId)
      .where(sql`${t.externalId} is not null and ${t.state} <> 'reallocated'`),
    index('leads_allocation_idx').on(t.allocationId, t.id),
    index('leads_phones_gin').using('gin', t.phones),
    index('leads_created_at_idx').on(t.createdAt),
    check('leads_state_ck', sql`${t.state} in ('active', 'closed', 'reallocated')`),
    check('leads_priority_ck', sql`${t.priority} between 0 and 100`),
  ],
);

/**
 * De-duplication index of the phone key: every lead registers each of its phones in its
 * allocation, campaign and global scope ('a<id>', 'c<id>', 'g'). The primary key makes "one lead
 * per phone per scope" a database guarantee, whatever number of processes insert concurrently
 * (SPEC 5). `created_at` is the holding lead's creation time: with a window (SPEC 3.1
 * `windowDays`) a claim older than the window is taken over by the next lead with the phone, in
 * the statement that inserts it (ON CONFLICT DO UPDATE … WHERE expired).
 */
export const phoneClaims = pgTable(
  'phone_claims',
  {
    scope: text('scope').notNull(),
    e164: text('e164').notNull(),
    leadId: bigint('lead_id', { mode: 'bigint' })
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'phone_claims_pk', columns: [t.scope, t.e164] }), index('phone_claims_lead_idx').on(t.leadId)],
);

/**
 * The other match keys (SPEC 3.1 `on`: `email`, `firstName+lastName+phone`, …), one row per
 * normalised value, claimed only in the template's scope. Same guarantee and takeover as
 * phone_claims; a separate table so that the phone-only path (the default) writes exactly what it
 * always wrote.
 */
export const keyClaims = pgTable(
  'key_claims',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    leadId: bigint('lead_id', { mode: 'bigint' })
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'key_claims_pk', columns: [t.scope, t.key, t.value] }), index('key_claims_lead_idx').on(t.leadId)],
);

/**
 * Claims of existing leads for a (template, scope, key) that a rules change asked for (a key
 * added, a scope changed): built in the background in bounded batches, in lead id order up to the
 * last lead that existed when the change was seen (`until_lead_id`; later leads claim for
 * themselves). `done_at` set: complete.
 */
export const dedupeBackfills = pgTable(
  'dedupe_backfills',
  {
    templateId: integer('template_id').notNull(),
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    afterLeadId: bigint('after_lead_id', { mode: 'bigint' }).notNull().default(sql`0`),
    untilLeadId: bigint('until_lead_id', { mode: 'bigint' }).notNull(),
    createdAt: createdAt(),
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ name: 'dedupe_backfills_pk', columns: [t.templateId, t.scope, t.key] })],
);

/** Do-Not-Call entries; campaign_id 0 is the global list. */
export const dnc = pgTable(
  'dnc',
  {
    /** the entry's own id (Convoso's DNC id): stable when its phone or campaign is changed */
    id: bigserial('id', { mode: 'bigint' }).notNull(),
    e164: text('e164').notNull(),
    campaignId: integer('campaign_id').notNull().default(0),
    reason: text('reason'),
    /** Convoso's `purpose` of the entry */
    purpose: text('purpose'),
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'dnc_pk', columns: [t.e164, t.campaignId] }), uniqueIndex('dnc_id_uq').on(t.id)],
);

export const callRecords = pgTable(
  'call_records',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    leadId: bigint('lead_id', { mode: 'bigint' })
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    disposition: text('disposition'),
    /** { field: { old, new } } */
    changes: jsonb('changes').notNull(),
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('call_records_lead_idx').on(t.leadId, t.id)],
);

/** One row per duplicate-check evaluation (SPEC 3.3). */
export const decisionRecords = pgTable(
  'decision_records',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    leadId: bigint('lead_id', { mode: 'bigint' }),
    phone: text('phone'),
    entryPoint: text('entry_point').notNull(),
    connect: text('connect'),
    request: jsonb('request'),
    crmStatus: integer('crm_status'),
    latencyMs: integer('latency_ms'),
    answer: text('answer'),
    matchedRow: integer('matched_row'),
    values: jsonb('values'),
    outcome: text('outcome').notNull(),
    decision: jsonb('decision').notNull(),
    /** a duplicate (outcome duplicate_phone / duplicate_key): the match key that matched, and the lead holding it */
    matchedOn: text('matched_on'),
    matchedLeadId: bigint('matched_lead_id', { mode: 'bigint' }),
    createdAt: createdAt(),
  },
  (t) => [index('decision_records_phone_idx').on(t.phone, t.createdAt), index('decision_records_created_idx').on(t.createdAt)],
);

/**
 * First answers of idempotent requests (Idempotency-Key header, webhook event ids). While a claim
 * is in progress (status null) expires_at is the end of its lease; once answered, the end of the
 * answer's keeping. The purge deletes expired rows through idempotency_expires_idx.
 */
export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    key: text('key').primaryKey(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    headers: jsonb('headers'),
    body: text('body'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** the current claim's own token: a claim taken over after its lease can no longer answer or release the key */
    claimToken: text('claim_token'),
  },
  (t) => [index('idempotency_expires_idx').on(t.expiresAt)],
);

/** Durable outbox for disposition webhooks and deferred work: at-least-once delivery. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    deliveryId: text('delivery_id').notNull().unique(),
    kind: text('kind').notNull(),
    target: text('target'),
    payload: jsonb('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null`)],
);

/** API keys created through the admin API: only the SHA-256 of a key is stored, never the key. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    keyHash: text('key_hash').notNull(),
    /** the key's first characters, so an admin can tell keys apart without the key */
    prefix: text('prefix').notNull(),
    label: text('label'),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_uq').on(t.keyHash)],
);

/** Every admin write: who (a token fingerprint), what (route and target), rules before/after digests. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull(),
    beforeSha256: text('before_sha256'),
    afterSha256: text('after_sha256'),
    detail: jsonb('detail'),
    requestId: text('request_id'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);

/**
 * Forwarding to the dialer (SPEC 10): one row per lead event and destination. Queued rows are the
 * due work (indexed on their own, so a table of a million delivered rows costs the claim nothing);
 * `lease_until` marks a row in flight (a call to the dialer), which is what `maxConcurrency`
 * counts across processes. A `dnc` row with destination `*` and state `fanout` is written by the
 * DNC trigger (drizzle/0005) and split per destination by the worker.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    leadId: bigint('lead_id', { mode: 'bigint' }).references(() => leads.id, { onDelete: 'cascade' }),
    destination: text('destination').notNull(),
    event: text('event').notNull(),
    /** the route's `to` (the dialer's ids) as matched when the delivery was made */
    route: jsonb('route').notNull().default({}),
    /** update and dnc events: what to send */
    payload: jsonb('payload'),
    state: text('state').notNull().default('queued'),
    attemptCount: integer('attempt_count').notNull().default(0),
    /** the last attempt's outcome was unknown: the dialer may hold the lead already */
    uncertain: boolean('uncertain').notNull().default(false),
    dialerLeadId: text('dialer_lead_id'),
    lastOutcome: text('last_outcome'),
    lastAnswer: text('last_answer'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** one claim (one call to the dialer, a batch included) */
    claimToken: text('claim_token'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('deliveries_due_idx').on(t.destination, t.nextAttemptAt, t.id).where(sql`${t.state} = 'queued'`),
    index('deliveries_in_flight_idx').on(t.destination, t.leaseUntil).where(sql`${t.leaseUntil} is not null`),
    index('deliveries_fanout_idx').on(t.id).where(sql`${t.state} = 'fanout'`),
    index('deliveries_lead_idx').on(t.leadId, t.destination, t.id),
    index('deliveries_created_idx').on(t.createdAt),
    check('deliveries_event_ck', sql`${t.event} in ('insert', 'update', 'dnc')`),
    check('deliveries_state_ck', sql`${t.state} in ('queued', 'delivered', 'refused', 'dead', 'fanout')`),
  ],
);

/** Every call made for a delivery: the request with secrets redacted, the answer and its reading. */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'bigint' })
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    request: jsonb('request').notNull(),
    status: integer('status'),
    answer: text('answer'),
    outcome: text('outcome').notNull(),
    latencyMs: integer('latency_ms').notNull(),
  },
  (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

/** Per destination, shared by every process: when its next call may start (`ratePerSecond`). */
export const destinationPacing = pgTable('destination_pacing', {
  destination: text('destination').primaryKey(),
  nextSendAt: timestamp('next_send_at', { withTimezone: true }).notNull().defaultNow(),
});
