import type { InsertOutcome } from '../pipeline/ports.js';
import { databaseErrorInfo, UNIQUE_VIOLATION } from './sql-runner.js';

/** SQLSTATE raised by leadgate_refuse_duplicate (drizzle/0004): a checked claim is held by a live lead. */
export const DUPLICATE_LEAD = 'LG105';

/** Maps the refusals that guard lead uniqueness (unique indexes, leadgate_refuse_duplicate) to the outcome they mean. */
export function classifyUniqueViolation(error: unknown): InsertOutcome | null {
  const info = databaseErrorInfo(error);
  if (info.code === DUPLICATE_LEAD) {
    let detail: { matchedOn?: unknown; matchedLeadId?: unknown } = {};
    try {
      detail = JSON.parse(info.detail ?? '{}') as typeof detail;
    } catch {
      // keep the defaults below
    }
    return {
      kind: 'duplicate',
      matchedOn: typeof detail.matchedOn === 'string' ? detail.matchedOn : 'phone',
      matchedLeadId: typeof detail.matchedLeadId === 'string' ? detail.matchedLeadId : null,
    };
  }
  if (info.code !== UNIQUE_VIOLATION) return null;
  if (info.constraint === 'leads_campaign_external_id_uq') return { kind: 'duplicateExternalId' };
  // a claim written without a window (a plain INSERT): which key, and whose, is read afterwards
  if (info.constraint === 'phone_claims_pk') return { kind: 'duplicate', matchedOn: 'phone', matchedLeadId: null };
  if (info.constraint === 'key_claims_pk') return { kind: 'duplicate', matchedOn: 'key', matchedLeadId: null };
  return null;
}
