import type { LeadCode } from '../codes.js';

/** What happened to one lead; `detail` says why in words a caller can act on. */
export type LeadResult =
  | { code: 0; leadId: string; rule?: MatchedRule }
  | { code: Exclude<LeadCode, 0>; detail?: string; leadId?: string; rule?: MatchedRule; retryAfterSeconds?: number };

/** Which duplicate-check row decided, for callers and logs (`row` null: noMatch or onError). */
export interface MatchedRule {
  row: number | null;
  key?: string;
  reason?: string;
}

export function failure(code: Exclude<LeadCode, 0>, detail?: string): LeadResult {
  return detail === undefined ? { code } : { code, detail };
}
