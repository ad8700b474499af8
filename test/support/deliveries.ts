import type { SqlRunner } from '../../src/store/sql-runner.js';

/**
 * Delivery rows written with SQL, as the delivery worker and the insert path will write them:
 * the admin side is tested against the table, not against a worker.
 */

/** A lead with these phones (E.164); answers its id. */
export async function insertLead(runner: SqlRunner, phones: string[], ids = { templateId: 1, campaignId: 10, allocationId: 100 }): Promise<string> {
  const [row] = await runner.query<{ id: string }>(
    `insert into leads (template_id, campaign_id, allocation_id, contact_hours, fields, phones)
     values ($1, $2, $3, 'Melbourne', $4::text::jsonb, $5::text[]) returning id::text as id`,
    [ids.templateId, ids.campaignId, ids.allocationId, JSON.stringify({ phone: phones[0] }), phones],
  );
  return row!.id;
}

export interface DeliveryRow {
  leadId?: string | null;
  destination?: string;
  event?: 'insert' | 'update' | 'dnc';
  state?: 'queued' | 'delivered' | 'refused' | 'dead' | 'fanout';
  payload?: unknown;
  attemptCount?: number;
  uncertain?: boolean;
  dialerLeadId?: string | null;
  lastOutcome?: string | null;
  lastAnswer?: string | null;
  /** ISO time; default now() */
  nextAttemptAt?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** One delivery row; answers its id. */
export async function insertDelivery(runner: SqlRunner, row: DeliveryRow): Promise<string> {
  const [inserted] = await runner.query<{ id: string }>(
    `insert into deliveries (lead_id, destination, event, state, payload, attempt_count, uncertain, dialer_lead_id, last_outcome, last_answer,
       next_attempt_at, created_at, updated_at, lease_until, claim_token)
     values ($1::bigint, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10,
       coalesce($11::timestamptz, now()), coalesce($12::timestamptz, now()), coalesce($13::timestamptz, now()), $14::timestamptz, $15)
     returning id::text as id`,
    [
      row.leadId ?? null,
      row.destination ?? 'pbx',
      row.event ?? 'insert',
      row.state ?? 'queued',
      row.payload === undefined ? null : JSON.stringify(row.payload),
      row.attemptCount ?? 0,
      row.uncertain ?? false,
      row.dialerLeadId ?? null,
      row.lastOutcome ?? null,
      row.lastAnswer ?? null,
      row.nextAttemptAt ?? null,
      row.createdAt ?? null,
      row.updatedAt ?? null,
      // a dead row left with a stale lease, as a crash could leave one: a retry must clear it
      row.state === 'dead' ? new Date(Date.now() + 60_000).toISOString() : null,
      row.state === 'dead' ? 'stale-claim' : null,
    ],
  );
  return inserted!.id;
}

export interface AttemptRow {
  at: string;
  request: unknown;
  status: number | null;
  answer: string | null;
  outcome: string;
  latencyMs: number;
}

export async function insertAttempt(runner: SqlRunner, deliveryId: string, a: AttemptRow): Promise<void> {
  await runner.query(
    `insert into delivery_attempts (delivery_id, at, request, status, answer, outcome, latency_ms) values ($1::bigint, $2::timestamptz, $3::text::jsonb, $4, $5, $6, $7)`,
    [deliveryId, a.at, JSON.stringify(a.request), a.status, a.answer, a.outcome, a.latencyMs],
  );
}

/** The columns a retry changes, and those it must keep. */
export async function deliveryState(runner: SqlRunner, id: string) {
  const [row] = await runner.query<{ state: string; attemptCount: number; due: boolean; leased: boolean; uncertain: boolean; lastAnswer: string | null; attempts: number }>(
    `select state, attempt_count as "attemptCount", next_attempt_at <= now() as due, (lease_until is not null or claim_token is not null) as leased,
       uncertain, last_answer as "lastAnswer", (select count(*)::int from delivery_attempts a where a.delivery_id = d.id) as attempts
     from deliveries d where id = $1::bigint`,
    [id],
  );
  return row;
}
