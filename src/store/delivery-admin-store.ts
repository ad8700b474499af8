import type { AuditEntry } from '../admin/ports.js';
import type { DeliveryAdminStore, DeliveryAttemptRecord, DeliveryQuery, DeliverySummary, QueueStat, RetryFilter } from '../forward/delivery-admin.js';
import { RETRYABLE_STATES } from '../forward/delivery-admin.js';
import { writeAudit } from './admin-store.js';
import { guardedRunner } from './guarded-runner.js';
import type { SqlRunner } from './sql-runner.js';

// Fan-out rows (state 'fanout', written by the DNC trigger) are the worker's business: every
// statement here leaves them out, so they can be neither seen nor retried.
const LIST_FILTER = `
  d.state <> 'fanout'
  and ($1::text is null or d.destination = $1::text)
  and ($2::text is null or d.state = $2::text)
  and ($3::bigint is null or d.lead_id = $3::bigint)
  and ($4::text is null
       or d.lead_id in (select l.id from leads l where l.phones @> array[$4::text])
       or (d.event = 'dnc' and d.payload->>'e164' = $4::text))`;

const SUMMARY_COLUMNS = `d.id::text as id, d.lead_id::text as "leadId", d.destination, d.event, d.state,
  d.attempt_count as "attemptCount", d.dialer_lead_id as "dialerLeadId", d.last_outcome as "lastOutcome",
  d.last_answer as "lastAnswer", case when d.state = 'queued' then d.next_attempt_at end as "nextAttemptAt",
  d.created_at as "createdAt", d.updated_at as "updatedAt"`;

// Back in the queue as a new delivery would be: due now, no attempts counted (the history stays
// in delivery_attempts), no lease. `uncertain` is kept: the dialer may still hold the lead.
const REQUEUE = `state = 'queued', next_attempt_at = now(), attempt_count = 0, lease_until = null, claim_token = null, updated_at = now()`;

const RETRY_MANY_FILTER = `
  state = any($1::text[])
  and ($2::text is null or destination = $2::text)
  and ($3::timestamptz is null or created_at >= $3::timestamptz)
  and ($4::timestamptz is null or created_at < $4::timestamptz)`;

/** The queued rows only: the planner reads them through the partial index deliveries_due_idx. */
export const QUEUE_STATS_SQL = `select destination, count(*)::int as depth, min(created_at) as "oldestQueuedAt"
  from deliveries where state = 'queued' group by destination order by destination`;

const toDate = (value: unknown) => (value instanceof Date ? value : new Date(String(value)));
const toDateOrNull = (value: unknown) => (value == null ? null : toDate(value));

type SummaryRow = Omit<DeliverySummary, 'nextAttemptAt' | 'createdAt' | 'updatedAt'> & { nextAttemptAt: unknown; createdAt: unknown; updatedAt: unknown };

function summaryOf(row: SummaryRow): DeliverySummary {
  return { ...row, nextAttemptAt: toDateOrNull(row.nextAttemptAt), createdAt: toDate(row.createdAt), updatedAt: toDate(row.updatedAt) };
}

/** A delivery id as the API takes it; anything else names no delivery (and must not reach a ::bigint cast). */
const isDeliveryId = (id: string) => /^[1-9]\d{0,17}$/.test(id);

/** The admin side of the deliveries table (SPEC 10.3): read, retry, and the queue's size for /metrics. */
export function createDeliveryAdminStore(backendRunner: SqlRunner): DeliveryAdminStore {
  const runner = guardedRunner(backendRunner);
  return {
    async list(q: DeliveryQuery) {
      const filter = [q.destination ?? null, q.state ?? null, q.leadId ?? null, q.phone ?? null];
      const [count] = await runner.query<{ total: number }>(`select count(*)::int as total from deliveries d where ${LIST_FILTER}`, filter);
      const rows = await runner.query<SummaryRow>(`select ${SUMMARY_COLUMNS} from deliveries d where ${LIST_FILTER} order by d.id desc offset $5 limit $6`, [
        ...filter,
        q.offset,
        q.limit,
      ]);
      return { total: count?.total ?? 0, deliveries: rows.map(summaryOf) };
    },

    async get(id) {
      if (!isDeliveryId(id)) return null;
      const [row] = await runner.query<SummaryRow>(`select ${SUMMARY_COLUMNS} from deliveries d where d.id = $1::bigint and d.state <> 'fanout'`, [id]);
      if (!row) return null;
      const attempts = await runner.query<Omit<DeliveryAttemptRecord, 'at'> & { at: unknown }>(
        `select at, request, status, answer, outcome, latency_ms as "latencyMs" from delivery_attempts where delivery_id = $1::bigint order by id`,
        [id],
      );
      return { ...summaryOf(row), attempts: attempts.map((a) => ({ ...a, at: toDate(a.at) })) };
    },

    async retry(id, audit?: AuditEntry) {
      if (!isDeliveryId(id)) return 'notFound';
      return runner.transaction(async (tx) => {
        const updated = await tx.query(`update deliveries set ${REQUEUE} where id = $1::bigint and state = any($2::text[]) returning id`, [id, RETRYABLE_STATES]);
        if (updated.length > 0) {
          if (audit) await writeAudit(tx, audit);
          return 'queued' as const;
        }
        const [row] = await tx.query(`select 1 from deliveries where id = $1::bigint and state <> 'fanout'`, [id]);
        return row ? ('notRetryable' as const) : ('notFound' as const);
      });
    },

    async retryMany(filter: RetryFilter, audit?: AuditEntry) {
      const states = filter.state ? [filter.state] : RETRYABLE_STATES;
      const params = [states, filter.destination ?? null, filter.from?.toISOString() ?? null, filter.to?.toISOString() ?? null];
      return runner.transaction(async (tx) => {
        const [row] = await tx.query<{ retried: number }>(
          `with requeued as (update deliveries set ${REQUEUE} where ${RETRY_MANY_FILTER} returning 1) select count(*)::int as retried from requeued`,
          params,
        );
        const retried = row?.retried ?? 0;
        if (retried > 0 && audit) await writeAudit(tx, { ...audit, detail: { ...audit.detail, retried } });
        return retried;
      });
    },

    async queueStats(): Promise<QueueStat[]> {
      const rows = await runner.query<{ destination: string; depth: number; oldestQueuedAt: unknown }>(QUEUE_STATS_SQL);
      return rows.map((r) => ({ destination: r.destination, depth: r.depth, oldestQueuedAt: toDateOrNull(r.oldestQueuedAt) }));
    },
  };
}
