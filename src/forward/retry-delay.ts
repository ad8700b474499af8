import type { CompiledDestination } from './ports.js';

/** Longest Retry-After leadgate honours; a dialer asking for more is waited on for a day, then asked again. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * The pause before the next attempt after `attempts` failed ones: firstDelayMs doubling to
 * maxDelayMs, with "equal jitter" (between half the step and the step), so a dialer back from
 * maintenance is not met by every lead at once, yet no retry comes sooner than half its step.
 * A Retry-After the dialer sent is honoured as a floor.
 */
export function retryDelayMs(attempts: number, retry: CompiledDestination['retry'], random: () => number, retryAfterMs?: number): number {
  const step = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = step / 2 + random() * (step / 2);
  return Math.round(Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
}
