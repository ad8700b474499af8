import { CrmTransportError, describeError, type CrmTransport } from '../crm/transport.js';
import { UnsendableDeliveryError, type DialerAnswer, type DialerKind } from './kinds/dialer-kind.js';
import { redactDialerText } from './kinds/redact-request.js';
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DialerRequest } from './ports.js';

/** A dialer's answer larger than this is not read (it is an error page, not an answer). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface CallOutcome {
  /** one per delivery, in order */
  results: AttemptResult[];
  /** the request as the attempt records keep it (secrets redacted) */
  request: unknown;
  latencyMs: number;
}

const decoder = new TextDecoder();

async function exchange(transport: CrmTransport, destination: CompiledDestination, request: DialerRequest, cut?: AbortSignal): Promise<DialerAnswer> {
  const response = await transport.send({
    url: request.url,
    method: request.method,
    headers: request.headers,
    body: request.body,
    timeoutMs: destination.timeoutMs,
    ...(cut ? { signal: cut } : {}),
    maxResponseBytes: MAX_ANSWER_BYTES,
    allowPrivateNetwork: destination.allowPrivateNetwork,
  });
  const body = decoder.decode(response.body);
  return { status: response.status, headers: response.headers, body, shown: redactDialerText(destination, body), receivedAtMs: Date.now() };
}

/**
 * A failure before any answer. An address the network guard refuses is a configuration fault that
 * no retry mends (dead); anything else may have reached the dialer, so its outcome is unknown.
 */
function failed(error: unknown, count: number): AttemptResult[] {
  const refused = error instanceof CrmTransportError && error.kind === 'refused-address';
  const result: AttemptResult = { outcome: refused ? 'dead' : 'unknown', status: null, answer: describeError(error).slice(0, 2000) };
  return Array.from({ length: count }, () => ({ ...result }));
}

/**
 * One call to the dialer for the deliveries of one claim. An insert whose last outcome was unknown
 * is first looked up where the kind can (Convoso, SPEC 10.2 point 4): found counts as delivered.
 * The answers come back with the destination's secrets redacted: they are stored, logged, shown
 * by the admin API and quoted to a sync-mode caller, and a dialer may echo what it was sent.
 * `cut` ends the call early (a shutdown at its bound): its outcome is unknown, like a timeout's.
 */
export async function sendCall(
  transport: CrmTransport,
  kind: DialerKind,
  destination: CompiledDestination,
  deliveries: readonly ClaimedDelivery[],
  now: () => number,
  cut?: AbortSignal,
): Promise<CallOutcome> {
  const outcome = await callDialer(transport, kind, destination, deliveries, now, cut);
  // the answer body was redacted before it was cut to size; this catches the rest (a batch's per-lead part, a network error)
  for (const result of outcome.results) result.answer = redactDialerText(destination, result.answer);
  return outcome;
}

async function callDialer(
  transport: CrmTransport,
  kind: DialerKind,
  destination: CompiledDestination,
  deliveries: readonly ClaimedDelivery[],
  now: () => number,
  cut?: AbortSignal,
): Promise<CallOutcome> {
  const started = now();
  const first = deliveries[0]!;
  if (kind.lookup && deliveries.length === 1 && first.event === 'insert' && first.uncertain) {
    const lookup = kind.lookup.request(destination, first);
    const redacted = kind.redact(destination, lookup);
    let found: ReturnType<NonNullable<DialerKind['lookup']>['read']>;
    try {
      found = kind.lookup.read(destination, first, await exchange(transport, destination, lookup, cut));
    } catch (error) {
      return { results: failed(error, 1), request: { lookup: redacted }, latencyMs: now() - started };
    }
    if ('failed' in found) return { results: [found.failed], request: { lookup: redacted }, latencyMs: now() - started };
    if (found.found) {
      const answer = 'found by lookup after an unknown outcome: counted as delivered';
      return { results: [{ outcome: 'delivered', status: 200, answer, dialerLeadId: found.dialerLeadId }], request: { lookup: redacted }, latencyMs: now() - started };
    }
  }
  let request: DialerRequest;
  try {
    request = kind.request(destination, deliveries);
  } catch (error) {
    // nothing a retry could send (a Noojee DNC, a Convoso update without the dialer's id): a person decides
    if (!(error instanceof UnsendableDeliveryError)) throw error;
    const result: AttemptResult = { outcome: 'dead', status: null, answer: `not sent: ${error.message}` };
    return { results: deliveries.map(() => ({ ...result })), request: { notSent: error.message }, latencyMs: 0 };
  }
  const redacted = kind.redact(destination, request);
  try {
    const answer = await exchange(transport, destination, request, cut);
    return { results: kind.read(destination, deliveries, answer), request: redacted, latencyMs: now() - started };
  } catch (error) {
    return { results: failed(error, deliveries.length), request: redacted, latencyMs: now() - started };
  }
}
