import type { Logger } from '../lib/logger.js';
import { redactSecrets } from './build-request.js';
import type { CrmFailure, CrmFailureReason, CrmOutcome } from './call-crm.js';
import type { CircuitChange } from './circuit-breaker.js';
import type { CompiledConnect } from './compile-connect.js';

/**
 * What the CRM client tells the log: failed calls and circuit changes, at warn, naming the connect.
 *
 * Failed calls are rate-limited per connect. A 10,000-lead batch against a CRM that is down
 * fails 10,000 calls in a minute; a line each would bury everything else in the log and cost real
 * CPU in the hot path. "Log the first failure after a success" is not enough either: a CRM that
 * fails one call in ten (the demo's phones ending in 9) would still log a line per failure. So:
 * the first failure of a connect is logged at once, with its reason, status, latency and detail;
 * further failures within `failureIntervalMs` are only counted, and the next line (the next
 * failure after the interval, or a summary written on the next success after it) carries how
 * many there were, by reason. That is at most two failure lines per connect per interval.
 * Calls refused by an open circuit never start a line (crm.circuit_opened said it already);
 * they are counted into the next one.
 *
 * Nothing secret is logged: no URL, no header, and details pass the connect's secret redaction
 * (they already did in the client; this is the second lock).
 */
export interface CrmLog {
  /** Every call's outcome, before the circuit records it (so a circuit line can name this failure). */
  outcome(connect: CompiledConnect, outcome: CrmOutcome): void;
  circuit(connect: CompiledConnect, change: CircuitChange): void;
}

export interface CrmLogOptions {
  now: () => number;
  /** at most one failure line (and one summary) per connect per interval; default 10 s */
  failureIntervalMs?: number;
}

export const DEFAULT_FAILURE_INTERVAL_MS = 10_000;
const DETAIL_LIMIT = 500;

interface ConnectState {
  /** when the last failure line was written; undefined: the next failure is logged at once */
  lineAt: number | undefined;
  notLogged: number;
  /** when the failures counted in `notLogged` started: the last line, or the first of them */
  countingSince: number | undefined;
  byReason: Partial<Record<CrmFailureReason, number>>;
  lastFailure: CrmFailure | undefined;
  openedAt: number | undefined;
}

export const SILENT_CRM_LOG: CrmLog = { outcome: () => {}, circuit: () => {} };

export function createCrmLog(logger: Logger, options: CrmLogOptions): CrmLog {
  const interval = options.failureIntervalMs ?? DEFAULT_FAILURE_INTERVAL_MS;
  const states = new Map<string, ConnectState>();
  const stateOf = (name: string): ConnectState => {
    let state = states.get(name);
    if (!state) states.set(name, (state = { lineAt: undefined, notLogged: 0, countingSince: undefined, byReason: {}, lastFailure: undefined, openedAt: undefined }));
    return state;
  };

  /** The counted failures since the last line, and a fresh count. */
  const takeNotLogged = (state: ConnectState, now: number) => {
    const counted = state.notLogged > 0 ? { failures: state.notLogged, byReason: state.byReason, sinceMs: now - (state.countingSince ?? now) } : undefined;
    state.notLogged = 0;
    state.countingSince = undefined;
    state.byReason = {};
    return counted;
  };

  const failureFields = (connect: CompiledConnect, failure: CrmFailure) => ({
    reason: failure.reason,
    ...(failure.status === undefined ? {} : { status: failure.status }),
    latencyMs: Math.round(failure.latencyMs),
    attempts: failure.attempts,
    detail: redactSecrets(failure.detail, connect.secrets).slice(0, DETAIL_LIMIT),
  });

  return {
    outcome(connect, outcome) {
      const state = stateOf(connect.name);
      const now = options.now();
      const due = state.lineAt === undefined || now - state.lineAt >= interval;
      if (outcome.ok) {
        if (state.notLogged > 0 && due) {
          const counted = takeNotLogged(state, now)!;
          logger.warn(
            { event: 'crm.call_failures', connect: connect.name, ...counted },
            `${counted.failures} CRM calls of connect ${connect.name} failed in the last ${Math.round(counted.sinceMs / 1000)} s without a line each (failures are logged at most once per ${interval / 1000} s)`,
          );
          state.lineAt = undefined;
        }
        return;
      }
      state.lastFailure = outcome;
      if (!due || outcome.reason === 'circuit-open') {
        state.countingSince ??= state.lineAt ?? now;
        state.notLogged++;
        state.byReason[outcome.reason] = (state.byReason[outcome.reason] ?? 0) + 1;
        return;
      }
      const counted = takeNotLogged(state, now);
      state.lineAt = now;
      logger.warn(
        { event: 'crm.call_failed', connect: connect.name, ...failureFields(connect, outcome), ...(counted ? { notLogged: counted } : {}) },
        `CRM call of connect ${connect.name} failed: ${outcome.reason}`,
      );
    },

    circuit(connect, change) {
      const state = stateOf(connect.name);
      const now = options.now();
      const lastFailure = state.lastFailure && failureFields(connect, state.lastFailure);
      const openMs = connect.circuit.openMs;
      if (change.from === 'closed') {
        state.openedAt = now;
        logger.warn(
          { event: 'crm.circuit_opened', connect: connect.name, failures: change.failures, openMs, lastFailure },
          `circuit of connect ${connect.name} opened after ${change.failures} failed calls in a row: no calls for ${openMs} ms, then one probe`,
        );
      } else if (change.to === 'half-open') {
        logger.info({ event: 'crm.circuit_half_open', connect: connect.name }, `circuit of connect ${connect.name} is half-open: one probe call goes through`);
      } else if (change.to === 'open') {
        // info, not warn: the warn line of the opening stands until crm.circuit_closed, and a CRM
        // down for an hour would otherwise add a warn line every openMs
        logger.info({ event: 'crm.circuit_reopened', connect: connect.name, openMs, lastFailure }, `circuit of connect ${connect.name} re-opened: the probe call failed`);
      } else {
        // warn, like the opening: whoever reads warnings only sees the outage end too
        const openForMs = state.openedAt === undefined ? undefined : now - state.openedAt;
        state.openedAt = undefined;
        logger.warn({ event: 'crm.circuit_closed', connect: connect.name, openForMs }, `circuit of connect ${connect.name} closed: the probe call succeeded`);
      }
    },
  };
}
