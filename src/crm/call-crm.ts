import type { LeadFields } from '../leads/scalar.js';
import type { Logger } from '../lib/logger.js';
import { jitteredBackoffMs, parseRetryAfterMs } from './backoff.js';
import {
  buildCrmRequest,
  redactRequest,
  redactSecrets,
  setsIdempotencyKey,
  UnsafeUrlValueError,
  type CrmRequest,
  type RedactedRequest,
} from './build-request.js';
import { createCircuitBreaker, type CallHealth, type CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import type { CompiledConnect } from './compile-connect.js';
import { createConcurrencyLimiter, type ConcurrencyLimiter } from './concurrency-limiter.js';
import { createCrmLog, SILENT_CRM_LOG } from './crm-log.js';
import { CrmTransportError, describeError, type CrmTransport } from './transport.js';

export type CrmFailureReason =
  | 'timeout'
  | 'network'
  | 'status'
  | 'invalid-json'
  | 'too-large'
  | 'circuit-open'
  | 'refused-address';

export interface CrmSuccess {
  ok: true;
  status: number;
  answer: unknown;
  latencyMs: number;
  attempts: number;
  request: RedactedRequest;
  /** The answer's text, first RAW_ANSWER_LIMIT characters, secrets redacted: for the decision record */
  rawAnswer: string;
}

export interface CrmFailure {
  ok: false;
  reason: CrmFailureReason;
  status?: number;
  latencyMs: number;
  attempts: number;
  request: RedactedRequest;
  detail: string;
  rawAnswer?: string;
}

export type CrmOutcome = CrmSuccess | CrmFailure;

export interface CrmClientDeps {
  transport: CrmTransport;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Sent as `Idempotency-Key` on POSTs (one per call, the same on its retries) */
  idempotencyKey?: () => string;
  /**
   * Where failed calls and circuit changes are logged, at warn (crm-log.ts); the entries pass
   * their logger. Optional only so a client can be built without one: then nothing is logged.
   */
  logger?: Logger;
  /** failed calls of one connect are logged at most once per this many ms (default 10 s) */
  failureLogIntervalMs?: number;
}

export interface CallOptions {
  /** the caller's own Idempotency-Key (an outbox delivery id), the same on every redelivery */
  idempotencyKey?: string;
}

export interface CrmClient {
  call(connect: CompiledConnect, lead: LeadFields, options?: CallOptions): Promise<CrmOutcome>;
  circuitState(connectName: string): CircuitState;
}

export const RAW_ANSWER_LIMIT = 4096;

type Attempt =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array }
  | { kind: 'error'; reason: 'timeout' | 'network' | 'too-large' | 'refused-address'; detail: string };

const decoder = new TextDecoder();

export function createCrmClient(deps: CrmClientDeps): CrmClient {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const idempotencyKey = deps.idempotencyKey ?? (() => globalThis.crypto.randomUUID());
  const log = deps.logger ? createCrmLog(deps.logger, { now, failureIntervalMs: deps.failureLogIntervalMs }) : SILENT_CRM_LOG;
  const circuits = new Map<string, CircuitBreaker>();
  const limiters = new Map<string, ConcurrencyLimiter>();
  /** each connect's latest compiled form (rules reload), for the circuit's log lines */
  const connects = new Map<string, CompiledConnect>();

  const circuitFor = (connect: CompiledConnect): CircuitBreaker => {
    const name = connect.name;
    connects.set(name, connect);
    let breaker = circuits.get(name);
    if (!breaker) circuits.set(name, (breaker = createCircuitBreaker((change) => log.circuit(connects.get(name)!, change))));
    return breaker;
  };
  const limiterFor = (name: string): ConcurrencyLimiter => {
    let limiter = limiters.get(name);
    if (!limiter) limiters.set(name, (limiter = createConcurrencyLimiter()));
    return limiter;
  };

  async function attemptOnce(connect: CompiledConnect, request: CrmRequest, timeoutMs: number): Promise<Attempt> {
    try {
      const res = await deps.transport.send({
        ...request,
        timeoutMs,
        maxResponseBytes: connect.maxResponseBytes,
        allowPrivateNetwork: connect.allowPrivateNetwork,
      });
      return { kind: 'response', status: res.status, headers: res.headers, body: res.body };
    } catch (error) {
      const kind = error instanceof CrmTransportError ? error.kind : undefined;
      if (kind === 'too-large' || kind === 'refused-address') {
        return { kind: 'error', reason: kind, detail: describeError(error) };
      }
      if (kind === 'timeout') {
        const detail =
          timeoutMs < connect.timeoutMs
            ? `no answer before the ${connect.deadlineMs} ms deadline`
            : `no answer within ${timeoutMs} ms`;
        return { kind: 'error', reason: 'timeout', detail };
      }
      return { kind: 'error', reason: 'network', detail: describeError(error) };
    }
  }

  async function attemptAll(connect: CompiledConnect, request: CrmRequest, deadline: number) {
    let attempts = 0;
    let last: Attempt | undefined;
    for (;;) {
      const remaining = deadline - now();
      if (remaining <= 0) break;
      attempts++;
      last = await attemptOnce(connect, request, Math.min(connect.timeoutMs, remaining));
      if (!isRetryable(last) || attempts > connect.retries) break;
      const retryAfter = last.kind === 'response' ? parseRetryAfterMs(last.headers['retry-after'], now()) : undefined;
      const wait = retryAfter ?? jitteredBackoffMs(attempts, random);
      // A Retry-After that ends past the deadline means: no retry, the CRM said it will not be ready.
      if (now() + wait >= deadline) break;
      await sleep(wait);
    }
    return { attempts, last };
  }

  async function call(connect: CompiledConnect, lead: LeadFields, options: CallOptions = {}): Promise<CrmOutcome> {
    const start = now();
    const deadline = start + connect.deadlineMs;
    const latency = (): number => Math.max(0, now() - start);
    let request: CrmRequest;
    try {
      request = buildCrmRequest(connect, lead);
    } catch (error) {
      if (!(error instanceof UnsafeUrlValueError)) throw error;
      const refused = failure('refused-address', templateRequest(connect), 0, latency(), error.message);
      log.outcome(connect, refused);
      return refused;
    }
    if (request.method === 'POST' && !setsIdempotencyKey(connect)) {
      request.headers['Idempotency-Key'] = options.idempotencyKey ?? idempotencyKey();
    }
    const redacted = redactRequest(connect, request);
    const circuit = circuitFor(connect);
    const admission = circuit.admit(start);
    if (admission === 'reject') {
      const rejected = failure('circuit-open', redacted, 0, 0, `circuit of connect ${connect.name} is open`);
      log.outcome(connect, rejected);
      return rejected;
    }
    const limiter = limiterFor(connect.name);
    if (!(await limiter.acquire(connect.maxConcurrency, deadline - now()))) {
      const detail = `no free slot (maxConcurrency ${connect.maxConcurrency}) within the ${connect.deadlineMs} ms deadline`;
      const starved = failure('timeout', redacted, 0, latency(), detail);
      log.outcome(connect, starved);
      circuit.record(admission, 'neutral', now(), connect.circuit);
      return starved;
    }
    let outcome: CrmOutcome | undefined;
    try {
      const { attempts, last } = await attemptAll(connect, request, deadline);
      outcome = settle(connect, redacted, attempts, latency(), last);
      return outcome;
    } finally {
      limiter.release(connect.maxConcurrency);
      // Logged before the circuit records it, so a crm.circuit_opened line names this failure.
      if (outcome) log.outcome(connect, outcome);
      // Also on an unexpected throw (say, an injected sleep), or a probe would block the circuit for good.
      circuit.record(admission, outcome ? healthOf(outcome) : 'neutral', now(), connect.circuit);
    }
  }

  return {
    call,
    circuitState: (connectName) => circuits.get(connectName)?.state(now()) ?? 'closed',
  };
}

function isRetryable(attempt: Attempt): boolean {
  if (attempt.kind === 'error') return attempt.reason === 'timeout' || attempt.reason === 'network';
  return attempt.status === 408 || attempt.status === 429 || attempt.status >= 500;
}

function healthOf(outcome: CrmOutcome): CallHealth {
  if (outcome.ok) return 'healthy';
  // Never sent (its deadline passed while it waited for a slot): it says nothing about the CRM.
  // Counted as a failure, a batch queued behind its own calls opened the circuit of a healthy CRM.
  if (outcome.attempts === 0) return 'neutral';
  switch (outcome.reason) {
    case 'status': {
      const status = outcome.status ?? 0;
      // Any other 4xx is the CRM answering: it is up.
      return status === 408 || status === 429 || status >= 500 ? 'unhealthy' : 'healthy';
    }
    case 'refused-address':
    case 'circuit-open':
      return 'neutral';
    default:
      return 'unhealthy';
  }
}

function settle(
  connect: CompiledConnect,
  request: RedactedRequest,
  attempts: number,
  latencyMs: number,
  last: Attempt | undefined,
): CrmOutcome {
  const clean = (text: string): string => redactSecrets(text, connect.secrets);
  if (!last) return failure('timeout', request, attempts, latencyMs, `the ${connect.deadlineMs} ms deadline passed before the CRM was asked (waiting for a slot)`);
  if (last.kind === 'error') return failure(last.reason, request, attempts, latencyMs, clean(last.detail));
  const text = decoder.decode(last.body);
  const rawAnswer = clean(text.slice(0, RAW_ANSWER_LIMIT));
  const status = last.status;
  if (status < 200 || status > 299) {
    return { ...failure('status', request, attempts, latencyMs, `CRM answered HTTP ${status}`), status, rawAnswer };
  }
  let answer: unknown;
  if (connect.response === 'text') {
    answer = { body: text };
  } else {
    try {
      answer = JSON.parse(text);
    } catch (error) {
      const detail = clean(`answer is not JSON: ${describeError(error)}`);
      return { ...failure('invalid-json', request, attempts, latencyMs, detail), status, rawAnswer };
    }
  }
  return { ok: true, status, answer, latencyMs, attempts, request, rawAnswer };
}

function failure(
  reason: CrmFailureReason,
  request: RedactedRequest,
  attempts: number,
  latencyMs: number,
  detail: string,
): CrmFailure {
  return { ok: false, reason, latencyMs, attempts, request, detail };
}

/** What is recorded when no request could be built: the URL as configured, headers redacted. */
function templateRequest(connect: CompiledConnect): RedactedRequest {
  const url = connect.origin + connect.url.map((p) => ('literal' in p ? p.literal : `{${p.field}}`)).join('');
  return redactRequest(connect, { method: connect.method, url, headers: { ...connect.headers } });
}
