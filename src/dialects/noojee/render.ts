import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RESULT_CODES, type ResultCode } from '../../codes.js';
import type { LeadResult } from '../../pipeline/lead-result.js';

export interface NoojeeAnswer {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** `{code, message, description}` plus `leadId` when there is one; the status follows the code. */
export function renderResult(result: LeadResult): NoojeeAnswer {
  const answer = renderCode(result.code, 'detail' in result ? result.detail : undefined);
  if (result.leadId !== undefined) answer.body.leadId = result.leadId;
  addDialer(answer.body, result);
  addMatchedOn(answer.body, result);
  addRule(answer.body, result);
  if ('retryAfterSeconds' in result && result.retryAfterSeconds !== undefined) answer.retryAfterSeconds = result.retryAfterSeconds;
  return answer;
}

/**
 * Any code of the table, lead-level or HTTP-level (401, 404, 405), as `{code, message,
 * description}` with the table's status: the one place a Noojee answer gets its status and words.
 */
export function renderCode(code: ResultCode, detail?: string): NoojeeAnswer {
  const info = RESULT_CODES[code];
  return { status: info.http as ContentfulStatusCode, body: { code, message: info.message, description: detail || info.description } };
}

/** A 105 found by the store names the match key that matched (SPEC 3.1): `phone`, `email`, `firstName+lastName+phone`. */
function addMatchedOn(body: Record<string, unknown>, result: LeadResult): void {
  if (result.code !== 0 && result.matchedOn !== undefined) body.matchedOn = result.matchedOn;
}

/** Duplicate-check verdicts carry the row that decided and its reason (SPEC 3.3). */
function addRule(body: Record<string, unknown>, result: LeadResult): void {
  if (!result.rule || result.code === 0) return;
  if (result.rule.reason !== undefined) body.reason = result.rule.reason;
  body.rule = result.rule.row === null ? null : { row: result.rule.row, key: result.rule.key };
}

/** insertLeadsFast / injectLeads: HTTP 200, one result per lead in request order, and counts. */
export function renderBatch(results: readonly LeadResult[]): NoojeeAnswer {
  const counts: Record<string, number> = {};
  const rows = results.map((result, index) => {
    counts[result.code] = (counts[result.code] ?? 0) + 1;
    const row: Record<string, unknown> = { index, code: result.code, message: RESULT_CODES[result.code].message };
    if (result.code !== 0) row.description = result.detail ?? RESULT_CODES[result.code].description;
    if (result.leadId !== undefined) row.leadId = result.leadId;
    addMatchedOn(row, result);
    addRule(row, result);
    return row;
  });
  return { status: 200, body: { code: 0, message: 'OK', results: rows, counts } };
}

/** Sync mode (SPEC 10.4): the dialer's id beside leadgate's, `queued`, or which dialer refused. */
function addDialer(body: Record<string, unknown>, result: LeadResult): void {
  if (!result.dialer) return;
  if (result.dialer.kind === 'delivered') body.dialerLeadId = result.dialer.dialerLeadId;
  else if (result.dialer.kind === 'queued') body.queued = true;
  else body.dialer = result.dialer.destination;
}
