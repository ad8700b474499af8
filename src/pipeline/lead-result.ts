import type { ResultCode } from '../codes.js';

/** What happened to one lead; `detail` says why in words a caller can act on. */
export type LeadResult =
  | { code: 0; leadId: string }
  | { code: Exclude<ResultCode, 0>; detail?: string; leadId?: string };

export function failure(code: Exclude<ResultCode, 0>, detail?: string): LeadResult {
  return detail === undefined ? { code } : { code, detail };
}
