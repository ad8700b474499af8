/* Reading a dialer's answer: what every kind does the same way. */
import { parseRetryAfterMs } from '../../crm/backoff.js';
import { storableText } from '../../lib/storable.js';
import type { AttemptOutcome, AttemptResult } from '../ports.js';
import type { DialerAnswer } from './kind-types.js';

/** The attempt record keeps this much of an answer. */
export const ANSWER_LIMIT = 2000;

export function clipAnswer(text: string): string {
  return storableText(text.length > ANSWER_LIMIT ? text.slice(0, ANSWER_LIMIT) : text);
}

export function headerOf(answer: DialerAnswer, name: string): string | string[] | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(answer.headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** Retry-After as delay-seconds or an HTTP date, counted from when the answer came. */
export function retryAfterOf(answer: DialerAnswer): number | undefined {
  return parseRetryAfterMs(headerOf(answer, 'retry-after'), answer.receivedAtMs);
}

export interface ResultDetail {
  dialerLeadId?: string | null;
  dialerCode?: number | string;
  /** the part of the answer about this delivery (a batch's per-lead result); default the whole body */
  text?: string;
}

/** An AttemptResult for `answer` (shown redacted where the worker redacted it); a retry carries the answer's Retry-After. */
export function resultOf(outcome: AttemptOutcome, answer: DialerAnswer, detail: ResultDetail = {}): AttemptResult {
  const result: AttemptResult = { outcome, status: answer.status, answer: clipAnswer(detail.text ?? answer.shown ?? answer.body) };
  if (detail.dialerLeadId !== undefined) result.dialerLeadId = detail.dialerLeadId;
  if (detail.dialerCode !== undefined) result.dialerCode = detail.dialerCode;
  if (outcome === 'retry') {
    const wait = retryAfterOf(answer);
    if (wait !== undefined) result.retryAfterMs = wait;
  }
  return result;
}

/**
 * An answer that cannot be read (not the vendor's shape): a server in trouble (5xx) is asked
 * again later; anything else (an HTML page, a proxy's 404, garbage) is a misconfiguration or a
 * changed API that retrying will not fix, so it goes to a person at once (dead) instead of being
 * retried for days.
 */
export function unreadable(answer: DialerAnswer): AttemptOutcome {
  return answer.status >= 500 ? 'retry' : 'dead';
}

export function isServerTrouble(status: number): boolean {
  return status >= 500 && status <= 599;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A code as dialers write it: a number, or a string of digits. */
export function codeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** An id as dialers write it: a string, or a number; anything else is none. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
