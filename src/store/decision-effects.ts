import type { DecisionOutcome, DecisionRecord, InsertOutcome, NewLead } from '../pipeline/ports.js';
import type { SqlRunner } from './sql-runner.js';

/** Source written on DNC entries the duplicate-check table adds. */
export const DUPLICATE_CHECK_DNC_SOURCE = 'duplicate-check';

const ADD_TO_DNC = `
insert into dnc (e164, campaign_id, reason, source)
select e164, 0, reason, $2::text from jsonb_to_recordset($1::text::jsonb) as r(e164 text, reason text)
on conflict do nothing`;

const INSERT_DECISIONS = `
insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision,
  matched_on, matched_lead_id)
select lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision, matched_on, matched_lead_id
from jsonb_to_recordset($1::text::jsonb) as r(
  lead_id bigint, phone text, entry_point text, connect text, request jsonb, crm_status int, latency_ms int,
  answer text, matched_row int, values jsonb, outcome text, decision jsonb, matched_on text, matched_lead_id bigint)`;

export interface DecisionEffect {
  phones: readonly string[];
  leadId: string | null;
  outcome: DecisionOutcome;
  addToDnc?: { reason: string | null };
  decision?: DecisionRecord;
  /** the write's outcome, when it was a duplicate: which key matched, which lead holds it */
  duplicate?: InsertOutcome;
}

/** Whether a new lead carries duplicate-check effects (a decision record, a DNC addition) to write with it. */
export const hasDecisionEffects = (lead: Pick<NewLead, 'addToDnc' | 'decision'>): boolean => lead.addToDnc !== undefined || lead.decision !== undefined;

/**
 * The decision_records columns that come from the evaluation itself, as the insert statements
 * read them (jsonb_to_record[set]); `lead_id` and `outcome` come from the write.
 */
export function decisionColumns(phones: readonly string[], decision: DecisionRecord) {
  return {
    phone: phones[0] ?? null,
    entry_point: decision.entryPoint,
    connect: decision.connect,
    request: decision.request,
    crm_status: decision.crmStatus,
    latency_ms: Math.round(decision.latencyMs),
    answer: decision.answer,
    matched_row: decision.matchedRow,
    values: decision.values,
    decision: decision.decision,
  };
}

/** DNC additions and decision records of several leads: two statements, inside the caller's transaction. */
export async function applyDecisionEffects(tx: SqlRunner, effects: readonly DecisionEffect[]): Promise<void> {
  const dnc = effects.flatMap((e) => (e.addToDnc ? e.phones.map((e164) => ({ e164, reason: e.addToDnc!.reason })) : []));
  if (dnc.length > 0) await tx.query(ADD_TO_DNC, [JSON.stringify(dnc), DUPLICATE_CHECK_DNC_SOURCE]);
  const records = effects.flatMap((e) => {
    if (!e.decision) return [];
    const duplicate = e.duplicate?.kind === 'duplicate' ? { matched_on: e.duplicate.matchedOn, matched_lead_id: e.duplicate.matchedLeadId } : {};
    return [{ lead_id: e.leadId, outcome: e.outcome, ...decisionColumns(e.phones, e.decision), ...duplicate }];
  });
  if (records.length > 0) await tx.query(INSERT_DECISIONS, [JSON.stringify(records)]);
}
