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
  const info = RESULT_CODES[result.code];
  const body: Record<string, unknown> = {
    code: result.code,
    message: info.message,
    description: ('detail' in result && result.detail) || info.description,
  };
  if (result.leadId !== undefined) body.leadId = result.leadId;
  addRule(body, result);
  const answer: NoojeeAnswer = { status: info.http as ContentfulStatusCode, body };
  if ('retryAfterSeconds' in result && result.retryAfterSeconds !== undefined) answer.retryAfterSeconds = result.retryAfterSeconds;
  return answer;
}

/** Duplicate-check verdicts carry the row that decided and its reason (SPEC 3.3). */
function addRule(body: Record<string, unknown>, result: LeadResult): void {
  if (!result.rule || result.code === 0) return;
  if (result.rule.reason !== undefined) body.reason = result.rule.reason;
  body.rule = result.rule.row === null ? null : { row: result.rule.row, key: result.rule.key };
}

export function renderCode(code: Exclude<ResultCode, 0>, detail?: string): NoojeeAnswer {
  return renderResult(detail === undefined ? { code } : { code, detail });
}

/** insertLeadsFast / injectLeads: HTTP 200, one result per lead in request order, and counts. */
export function renderBatch(results: readonly LeadResult[]): NoojeeAnswer {
  const counts: Record<string, number> = {};
  const rows = results.map((result, index) => {
    counts[result.code] = (counts[result.code] ?? 0) + 1;
    const row: Record<string, unknown> = { index, code: result.code, message: RESULT_CODES[result.code].message };
    if (result.code !== 0) row.description = result.detail ?? RESULT_CODES[result.code].description;
    if (result.leadId !== undefined) row.leadId = result.leadId;
    addRule(row, result);
    return row;
  });
  return { status: 200, body: { code: 0, message: 'OK', results: rows, counts } };
}

export const UNAUTHORIZED: NoojeeAnswer = { status: 401, body: { code: 401, message: 'UNAUTHORIZED' } };
