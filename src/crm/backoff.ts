/**
 * Retry timing shared by the client and the connect compiler.
 *
 * Deadline of one call = timeoutMs × (retries + 1) + backoff budget, where the backoff budget is
 * the sum of the largest possible pause before each retry: Σ_{n=1..retries} min(2000, 100 × 2^(n-1))
 * (retries 1 → 100 ms, 2 → 300 ms, 5 → 3,100 ms). Waiting for a concurrency slot, every attempt
 * and every pause (Retry-After included) must fit in it.
 */

export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 2000;

/** Largest pause before retry number `retry` (1-based); the pause itself is random below it. */
export function backoffCeilingMs(retry: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
}

export function backoffBudgetMs(retries: number): number {
  let total = 0;
  for (let n = 1; n <= retries; n++) total += backoffCeilingMs(n);
  return total;
}

export function callDeadlineMs(timeoutMs: number, retries: number): number {
  return timeoutMs * (retries + 1) + backoffBudgetMs(retries);
}

/** "Full jitter": uniform in [0, ceiling). */
export function jitteredBackoffMs(retry: number, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(retry));
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/GMT$|[A-Za-z]{3},/.test(text)) return undefined; // V8's Date.parse accepts "1.5" and worse
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
