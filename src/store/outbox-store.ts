import type { OutboxEntry, OutboxStore } from '../outbox/ports.js';
import { guardedRunner } from './guarded-runner.js';
import type { SqlRunner } from './sql-runner.js';

const CLAIM_DUE = `
update outbox set next_attempt_at = now() + ($2::int * interval '1 millisecond')
where id in (
  select id from outbox where delivered_at is null and next_attempt_at <= now()
  order by next_attempt_at limit $1 for update skip locked)
returning id::text, delivery_id, kind, target, payload, attempts`;

const MARK_DELIVERED = `update outbox set delivered_at = now(), attempts = attempts + 1, last_error = null where id = $1::bigint`;

const MARK_FAILED = `
update outbox set attempts = attempts + 1, last_error = $2::text, next_attempt_at = coalesce($3::timestamptz, 'infinity')
where id = $1::bigint`;

export function createOutboxStore(backendRunner: SqlRunner): OutboxStore {
  const runner = guardedRunner(backendRunner);
  return {
    async claimDue(limit, leaseMs) {
      const rows = await runner.query<{ id: string; delivery_id: string; kind: string; target: string | null; payload: Record<string, unknown>; attempts: number }>(
        CLAIM_DUE,
        [limit, leaseMs],
      );
      return rows.map((r): OutboxEntry => ({ id: r.id, deliveryId: r.delivery_id, kind: r.kind, target: r.target, payload: r.payload, attempts: r.attempts }));
    },
    async markDelivered(id) {
      await runner.query(MARK_DELIVERED, [id]);
    },
    async markFailed(id, error, retryAt) {
      await runner.query(MARK_FAILED, [id, error.slice(0, 2000), retryAt?.toISOString() ?? null]);
    },
  };
}
