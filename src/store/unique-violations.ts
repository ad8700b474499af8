import type { InsertOutcome } from '../pipeline/ports.js';
import { databaseErrorInfo, UNIQUE_VIOLATION } from './sql-runner.js';

/** Maps the unique indexes that guard lead uniqueness to the outcome they mean. */
export function classifyUniqueViolation(error: unknown): InsertOutcome | null {
  const info = databaseErrorInfo(error);
  if (info.code !== UNIQUE_VIOLATION) return null;
  if (info.constraint === 'leads_campaign_external_id_uq') return { kind: 'duplicateExternalId' };
  if (info.constraint === 'phone_claims_pk') return { kind: 'duplicatePhone' };
  return null;
}
