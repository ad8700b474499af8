import type { Logger } from '../lib/logger.js';
import { DEFAULT_PURGE_BATCH, type IdempotencyPurgeStore } from './idempotency-store.js';

export interface IdempotencyPurgeOptions {
  store: IdempotencyPurgeStore;
  logger: Logger;
  /** between two passes */
  intervalMs?: number;
  /** rows deleted by one round (one statement) */
  batch?: number;
  /** between two rounds of one pass, so a backlog never holds the store (PGlite's one connection above all) */
  pauseMs?: number;
}

export interface PassResult {
  deleted: number;
  rounds: number;
}

export interface IdempotencyPurge {
  /** one pass: rounds until a round finds fewer than a batch of expired keys */
  runOnce(): Promise<PassResult>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Deletes expired Idempotency-Key and webhook-event rows (old answers, and claims left unanswered
 * past their lease), so the table holds about a day of keys instead of growing forever. Every
 * process runs it; the purge statement skips rows another process is deleting, so passes running
 * at once neither wait for each other nor fail. Timers are unref'd: the purge never keeps a
 * process alive.
 */
export function createIdempotencyPurge(options: IdempotencyPurgeOptions): IdempotencyPurge {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  const batch = options.batch ?? DEFAULT_PURGE_BATCH;
  const pauseMs = options.pauseMs ?? 250;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  /** set by stop(): a pass in progress ends after its current round */
  let halted = false;

  /** A pause that stop() cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => done(), ms);
      (t as { unref?: () => void }).unref?.();
      const done = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
      wake = done;
    });

  async function runOnce(): Promise<PassResult> {
    const started = Date.now();
    let deleted = 0;
    let rounds = 0;
    for (;;) {
      const n = await options.store.purgeExpired(batch);
      rounds += 1;
      deleted += n;
      if (n < batch || halted) break;
      await pause(pauseMs);
      if (halted) break;
    }
    if (deleted > 0) options.logger.info({ event: 'idempotency.purged', deleted, rounds, ms: Date.now() - started }, 'expired idempotency keys purged');
    return { deleted, rounds };
  }

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => options.logger.warn({ event: 'idempotency.purge_failed', err }, 'idempotency key purge failed'))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, intervalMs);
        (timer as { unref?: () => void }).unref?.();
      });
  };

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      halted = false;
      tick();
    },
    async stop() {
      stopped = true;
      halted = true;
      clearTimeout(timer);
      wake?.();
      await running;
    },
  };
}
