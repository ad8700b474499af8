import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RETRY_AFTER_SECONDS } from '../../codes.js';
import type { LeadResult } from '../../pipeline/lead-result.js';
import { CONVOSO_ERRORS, CONVOSO_FOR_RESULT, type ConvosoErrorName } from './codes.js';

export { CONVOSO_ERRORS };

export interface ConvosoAnswer {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export const FORBIDDEN: ConvosoAnswer = { status: 403, body: { success: false, code: 403, text: 'Forbidden' } };

/**
 * A refusal from the one table. `reason` carries leadgate's own words (which parameter, which
 * line and column) where Convoso's fixed text cannot; Convoso clients read `code` and `text`.
 */
export function convosoError(name: ConvosoErrorName, reason?: string): ConvosoAnswer {
  const error: { code: number; text: string; http?: number } = CONVOSO_ERRORS[name];
  const body: Record<string, unknown> = { success: false, code: error.code, text: error.text };
  if (reason !== undefined) body.reason = reason;
  const answer: ConvosoAnswer = { status: (error.http ?? 200) as ContentfulStatusCode, body };
  if (error.http === 429 || error.http === 503) answer.retryAfterSeconds = RETRY_AFTER_SECONDS;
  return answer;
}

export const ok = (data: Record<string, unknown>): ConvosoAnswer => ({ status: 200, body: { success: true, data } });

/** Refusals Convoso words itself need no reason; leadgate's own conditions say what was wrong. */
const SELF_EXPLAINED = new Set<ConvosoErrorName>(['noSuchLead', 'noSuchList', 'invalidPhone', 'dnc', 'duplicate', 'failedValidation', 'invalidCampaign', 'keyReused', 'storeUnavailable']);

/**
 * Convoso answers HTTP 200 with `success` true or false; leadgate adds 429 (admission timeout) and
 * 503 (CRM or store unavailable), both with Retry-After, so generic HTTP clients back off, and 500
 * for its own faults.
 */
export function renderConvosoResult(result: LeadResult): ConvosoAnswer {
  if (result.code === 0) {
    // sync mode (SPEC 10.4): the dialer's id, or queued, inside data
    if (result.dialer?.kind === 'delivered') return ok({ lead_id: result.leadId, dialer_lead_id: result.dialer.dialerLeadId });
    if (result.dialer?.kind === 'queued') return ok({ lead_id: result.leadId, queued: true });
    return ok({ lead_id: result.leadId });
  }
  const name = CONVOSO_FOR_RESULT[result.code];
  const detail = 'detail' in result && result.detail && !SELF_EXPLAINED.has(name) ? result.detail : undefined;
  const answer = convosoError(name, detail);
  if (result.leadId !== undefined) answer.body.data = { lead_id: result.leadId };
  if (result.matchedOn !== undefined) answer.body.matched_on = result.matchedOn;
  if (result.dialer) answer.body.dialer = result.dialer.destination;
  if (result.rule) {
    if (result.rule.reason !== undefined) answer.body.reason = result.rule.reason;
    answer.body.rule = result.rule.row === null ? null : { row: result.rule.row, key: result.rule.key };
  }
  if (result.retryAfterSeconds !== undefined && answer.retryAfterSeconds !== undefined) answer.retryAfterSeconds = result.retryAfterSeconds;
  return answer;
}
