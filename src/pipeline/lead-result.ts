import type { LeadCode } from '../codes.js';

/** What happened to one lead; `detail` says why in words a caller can act on. */
export type LeadResult =
  | { code: 0; leadId: string; rule?: MatchedRule; dialer?: DialerAccepted }
  | {
      code: Exclude<LeadCode, 0>;
      detail?: string;
      leadId?: string;
      rule?: MatchedRule;
      retryAfterSeconds?: number;
      matchedOn?: string;
      /** sync mode: the destination whose dialer refused the lead */
      dialer?: { kind: 'refused'; destination: string };
    };

/** Sync mode (SPEC 10.4) on an accepted lead: the dialer took it (with its id), or it is queued. */
export type DialerAccepted = { kind: 'delivered'; destination: string; dialerLeadId: string | null } | { kind: 'queued'; destination: string };

/** Which duplicate-check row decided, for callers and logs (`row` null: noMatch or onError). */
export interface MatchedRule {
  row: number | null;
  key?: string;
  reason?: string;
}

/**
 * A 105 found by the store. A duplicate by a key other than the phone says which key matched
 * (SPEC 3.1 `matchedOn`); a phone duplicate answers as it always did.
 */
export function duplicateResult(matchedOn: string): LeadResult {
  if (matchedOn === 'phone') return failure(105, 'a lead with one of these phone numbers already exists');
  return { code: 105, detail: `a lead with the same ${matchedOn} already exists`, matchedOn };
}

export function failure(code: Exclude<LeadCode, 0>, detail?: string): LeadResult {
  return detail === undefined ? { code } : { code, detail };
}
