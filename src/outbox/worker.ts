import type { Logger } from '../lib/logger.js';
import type { LeadFields } from '../leads/scalar.js';
import type { CrmCaller } from '../pipeline/duplicate-check.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import type { OutboxEntry, OutboxStore } from './ports.js';

export interface OutboxWorkerOptions {
  store: OutboxStore;
  crm: CrmCaller;
  rules: RulesProvider;
  logger: Logger;
  pollMs?: number;
  /** first retry delay; doubles per attempt up to maxBackoffMs */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** attempts before an entry is given up (kept, with its error) */
  maxAttempts?: number;
  batch?: number;
  now?: () => number;
}

export interface OutboxWorker {
  /** one pass over the due entries; resolves with how many were attempted */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Delivers disposition webhooks from the durable outbox: at least once (an entry is marked
 * delivered only after the receiver answered 2xx), retried with exponential backoff, and carried
 * across restarts because the outbox is in the database. Every attempt of one entry sends the same
 * `Idempotency-Key` (its delivery id), so receivers can drop repeats.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const pollMs = options.pollMs ?? 1000;
  const base = options.baseBackoffMs ?? 5000;
  const max = options.maxBackoffMs ?? 3_600_000;
  const maxAttempts = options.maxAttempts ?? 25;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  async function deliver(entry: OutboxEntry): Promise<void> {
    const connect = entry.target ? options.rules.current().connects.get(entry.target) : undefined;
    const outcome = connect
      ? await options.crm.call(connect, (entry.payload.view ?? {}) as LeadFields, { idempotencyKey: entry.deliveryId })
      : ({ ok: false, reason: 'network', detail: `connect '${entry.target}' is not loaded` } as const);
    if (outcome.ok) {
      await options.store.markDelivered(entry.id);
      options.logger.info({ event: 'outbox.delivered', deliveryId: entry.deliveryId, target: entry.target, attempts: entry.attempts + 1 }, 'webhook delivered');
      return;
    }
    const attempts = entry.attempts + 1;
    const retryAt = attempts >= maxAttempts ? null : new Date(now() + Math.min(max, base * 2 ** (attempts - 1)));
    const error = `${outcome.reason}: ${outcome.detail}`;
    await options.store.markFailed(entry.id, error, retryAt);
    options.logger.warn(
      { event: retryAt ? 'outbox.retry' : 'outbox.gave_up', deliveryId: entry.deliveryId, target: entry.target, attempts, error, retryAt },
      retryAt ? 'webhook delivery failed; will retry' : 'webhook delivery failed for good',
    );
  }

  async function runOnce(): Promise<number> {
    // The lease outlasts any delivery (a connect's whole deadline), so no entry is sent twice at once.
    const entries = await options.store.claimDue(options.batch ?? 20, 120_000);
    await Promise.all(entries.map((e) => deliver(e).catch((err: unknown) => options.logger.error({ event: 'outbox.error', err, deliveryId: e.deliveryId }, 'outbox delivery errored'))));
    return entries.length;
  }

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => {
        options.logger.warn({ event: 'outbox.poll_failed', err }, 'outbox poll failed');
        return 0;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
