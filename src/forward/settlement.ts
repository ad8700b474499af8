import type { AttemptResult, ClaimedDelivery, CompiledDestination, DeliverySettlement, DeliveryState } from './ports.js';
import { retryDelayMs } from './retry-delay.js';

const FINAL: Record<'delivered' | 'refused' | 'dead', DeliveryState> = { delivered: 'delivered', refused: 'refused', dead: 'dead' };

/**
 * What an attempt's result makes of its delivery (SPEC 10.2 point 3): delivered, refused and dead
 * are final; retry and unknown wait their backoff, until maxAttempts makes them dead. An unknown
 * outcome leaves the delivery uncertain until it is delivered: the dialer may already hold it.
 */
export function settlementOf(
  destination: CompiledDestination,
  delivery: ClaimedDelivery,
  result: AttemptResult,
  attempt: { request: unknown; latencyMs: number },
  random: () => number,
): DeliverySettlement {
  const attempts = delivery.attemptCount + 1;
  const uncertain = result.outcome !== 'delivered' && (delivery.uncertain || result.outcome === 'unknown');
  const base = {
    id: delivery.id,
    outcome: result.outcome,
    status: result.status,
    answer: result.answer,
    dialerLeadId: result.dialerLeadId ?? null,
    uncertain,
    request: attempt.request,
    latencyMs: attempt.latencyMs,
  };
  if (result.outcome === 'delivered' || result.outcome === 'refused' || result.outcome === 'dead') {
    return { ...base, state: FINAL[result.outcome], retryInMs: 0 };
  }
  if (attempts >= destination.retry.maxAttempts) return { ...base, state: 'dead', retryInMs: 0 };
  return { ...base, state: 'queued', retryInMs: retryDelayMs(attempts, destination.retry, random, result.retryAfterMs) };
}
