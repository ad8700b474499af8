/*
 * Seeing and repairing deliveries (SPEC 10.3): what the admin API, the CLI and /metrics need from
 * the store. Fan-out rows (the DNC trigger's `state = 'fanout'`) are internal and never appear here.
 */
import type { AuditEntry } from '../admin/ports.js';
import type { AttemptOutcome, DeliveryState, ForwardEvent } from './ports.js';

export interface DeliveryQuery {
  destination?: string;
  state?: DeliveryState;
  leadId?: string;
  /** E.164; matches the lead's phones (leads.phones) or a dnc delivery's payload e164 */
  phone?: string;
  offset: number;
  limit: number;
}

export interface DeliverySummary {
  id: string;
  leadId: string | null;
  destination: string;
  event: ForwardEvent;
  state: DeliveryState;
  attemptCount: number;
  dialerLeadId: string | null;
  lastOutcome: AttemptOutcome | null;
  lastAnswer: string | null;
  /** null unless queued */
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryAttemptRecord {
  at: Date;
  /** the request as sent, secrets redacted */
  request: unknown;
  status: number | null;
  answer: string | null;
  outcome: AttemptOutcome;
  latencyMs: number;
}

/** Which dead or refused deliveries to retry; `from` / `to` bound their creation time (to excluded). */
export interface RetryFilter {
  /** absent: dead and refused */
  state?: 'dead' | 'refused';
  destination?: string;
  from?: Date;
  to?: Date;
}

export interface QueueStat {
  destination: string;
  depth: number;
  oldestQueuedAt: Date | null;
}

/** The states a person may put back in the queue. */
export const RETRYABLE_STATES: readonly DeliveryState[] = ['dead', 'refused'];

export interface DeliveryAdminStore {
  /** newest first */
  list(query: DeliveryQuery): Promise<{ total: number; deliveries: DeliverySummary[] }>;
  get(id: string): Promise<(DeliverySummary & { attempts: DeliveryAttemptRecord[] }) | null>;
  /**
   * A dead or refused delivery back in the queue: state queued, due now, attempt_count 0 (its
   * attempts stay in the history). With `audit`, the audit row is written in the same
   * transaction, and only when the delivery was queued again.
   */
  retry(id: string, audit?: AuditEntry): Promise<'queued' | 'notFound' | 'notRetryable'>;
  /** every delivery the filter selects, as `retry` does; answers how many; audited as one entry when any was */
  retryMany(filter: RetryFilter, audit?: AuditEntry): Promise<number>;
  /** per destination: queued count and the oldest queued delivery's created_at (for /metrics) */
  queueStats(): Promise<QueueStat[]>;
}
