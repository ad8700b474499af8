import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RESULT_CODES, RETRY_AFTER_SECONDS, type ResultCode } from '../../codes.js';
import type { LeadResult } from '../../pipeline/lead-result.js';

export interface ConvosoAnswer {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** Convoso's own codes and texts for the results it has words for (SPEC 4). */
export const CONVOSO_CODES: Partial<Record<ResultCode, { code: number; text: string }>> = {
  102: { code: 6008, text: 'The phone number is invalid' },
  202: { code: 6008, text: 'The phone number is invalid' },
  104: { code: 6010, text: 'The phone number is on the DNC list' },
  105: { code: 6009, text: 'The phone number already exists' },
  205: { code: 6011, text: 'The lead failed external validation' },
};

/** Dialect-level refusals that happen before the pipeline (SPEC 4). */
export const CONVOSO_ERRORS = {
  noSuchList: { code: 6002, text: 'No such List' },
  missingPhoneOrList: { code: 6007, text: 'The Lead requires a phone number and list id' },
  invalidEmail: { code: 6079, text: 'Invalid email' },
} as const;

export const FORBIDDEN: ConvosoAnswer = { status: 403, body: { success: false, code: 403, text: 'Forbidden' } };

export function convosoError(error: { code: number; text: string }): ConvosoAnswer {
  return { status: 200, body: { success: false, code: error.code, text: error.text } };
}

/**
 * Convoso answers HTTP 200 with `success` true or false; leadgate adds 429 (admission timeout) and
 * 503 (CRM or store unavailable), both with Retry-After, so generic HTTP clients back off, and 500
 * for its own faults (103).
 */
export function renderConvosoResult(result: LeadResult): ConvosoAnswer {
  if (result.code === 0) return { status: 200, body: { success: true, data: { lead_id: result.leadId } } };
  const mapped = CONVOSO_CODES[result.code] ?? { code: result.code, text: ('detail' in result && result.detail) || RESULT_CODES[result.code].description };
  const body: Record<string, unknown> = { success: false, code: mapped.code, text: mapped.text };
  if (result.leadId !== undefined) body.data = { lead_id: result.leadId };
  if (result.matchedOn !== undefined) body.matched_on = result.matchedOn;
  if (result.rule) {
    if (result.rule.reason !== undefined) body.reason = result.rule.reason;
    body.rule = result.rule.row === null ? null : { row: result.rule.row, key: result.rule.key };
  }
  if (result.code === 109) return { status: 429, body, retryAfterSeconds: RETRY_AFTER_SECONDS };
  if (RESULT_CODES[result.code].http === 503) return { status: 503, body, retryAfterSeconds: result.retryAfterSeconds ?? RETRY_AFTER_SECONDS };
  // a fault of leadgate's own is not a Convoso answer about the lead: say so with the status too
  if (RESULT_CODES[result.code].http >= 500) return { status: 500, body };
  return { status: 200, body };
}
