import type { CallOptions, CrmOutcome } from '../crm/call-crm.js';
import type { CompiledConnect } from '../crm/compile-connect.js';
import type { LeadFields } from '../leads/scalar.js';
import { mapPooled } from '../lib/map-pooled.js';
import { storableJson, storableText } from '../lib/storable.js';
import type { CompiledTable } from '../ruleset/duplicate-check/compile.js';
import { evaluateTable, onErrorDecision, type DuplicateCheckDecision } from '../ruleset/duplicate-check/evaluate.js';
import type { EntryPoint as TableEntryPoint } from '../ruleset/duplicate-check/schema.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { failure, type LeadResult, type MatchedRule } from './lead-result.js';
import type { DecisionRecord, DecisionWithoutLead, NewLead } from './ports.js';

/** How the pipeline reaches a CRM (undici on Node, fetch on Workers, both behind this). */
export interface CrmCaller {
  call(connect: CompiledConnect, lead: LeadFields, options?: CallOptions): Promise<CrmOutcome>;
}

/** A validated lead and the fields the CRM adaptor maps from (phones already E.164). */
export interface Candidate {
  index: number;
  lead: NewLead;
  crmView: LeadFields;
}

export type CheckedLead =
  | { kind: 'write'; candidate: Candidate; success: boolean; rule: MatchedRule }
  | { kind: 'answer'; index: number; result: LeadResult; record: DecisionWithoutLead };

/** Seconds a caller should wait after a 206: the circuit's open time when it is open, else a short pause. */
const RETRY_AFTER_SECONDS = 5;

/** The table that applies to an entry point, if any (the CLI injector speaks the Noojee dialect). */
export function activeTable(rules: RuleSet, entry: TableEntryPoint | 'cli'): CompiledTable | undefined {
  const table = rules.duplicateCheck;
  const asEntry = entry === 'cli' ? 'noojee' : entry;
  return table?.enabled && table.appliesTo.includes(asEntry) ? table : undefined;
}

function matchedRule(decision: DuplicateCheckDecision): MatchedRule {
  const reason = 'reason' in decision ? decision.reason : undefined;
  const rule: MatchedRule = { row: decision.source === 'row' ? decision.rowIndex : null };
  if (decision.source === 'row') rule.key = decision.key;
  if (reason !== undefined) rule.reason = reason;
  return rule;
}

export function decisionRecord(entry: string, connect: string, outcome: CrmOutcome, decision: DuplicateCheckDecision): DecisionRecord {
  // Everything taken from the CRM's answer is untrusted: made storable and depth-bounded.
  const answer = outcome.rawAnswer ?? (outcome.ok ? null : outcome.detail);
  const values = decision.source === 'row' ? (storableJson(decision.values) as unknown[]) : null;
  const recorded = decision.source === 'row' ? { ...decision, values } : { ...decision };
  return {
    entryPoint: entry,
    connect,
    request: storableJson(outcome.request),
    crmStatus: outcome.status ?? null,
    latencyMs: outcome.latencyMs,
    answer: answer === null ? null : storableText(answer),
    matchedRow: decision.source === 'row' ? decision.rowIndex : null,
    values,
    decision: outcome.ok ? recorded : { ...recorded, crmFailure: outcome.reason, detail: storableText(outcome.detail) },
  };
}

/**
 * Asks the CRM about each lead and lets the table decide. Expected CRM failures are values here,
 * answered by `onError`.
 *
 * A batch starts at most the connect's maxConcurrency calls at once, the next when one ends, so
 * each call's deadline starts when it can be sent. Started all at once, a 9,500-lead batch queues
 * behind its own calls in the connect's limiter while every deadline runs: the later leads time
 * out without being asked and go to onError (a phone the CRM knows is created), whatever the
 * CRM would have said. An open circuit still ends a batch quickly: the rest are refused at once.
 */
export async function checkWithCrm(
  crm: CrmCaller,
  rules: RuleSet,
  table: CompiledTable,
  entry: string,
  candidates: readonly Candidate[],
): Promise<CheckedLead[]> {
  const connect = rules.connects.get(table.connect);
  if (!connect) throw new Error(`duplicate-check names connect '${table.connect}', which is not loaded`);
  return mapPooled(candidates, connect.maxConcurrency, async (candidate): Promise<CheckedLead> => {
    const outcome = await crm.call(connect, candidate.crmView);
    const decision = outcome.ok ? evaluateTable(table, outcome.answer) : onErrorDecision(table);
    const record = decisionRecord(entry, connect.name, outcome, decision);
    const rule = matchedRule(decision);
    const phones = candidate.lead.phones;
    if ('reject' in decision) {
      const retryAfterSeconds = !outcome.ok && outcome.reason === 'circuit-open' ? Math.ceil(connect.circuit.openMs / 1000) : RETRY_AFTER_SECONDS;
      const detail = `the CRM could not be asked (${outcome.ok ? 'answer' : outcome.reason}); retry later`;
      return { kind: 'answer', index: candidate.index, result: { code: 206, detail, rule, retryAfterSeconds }, record: { phones, outcome: 'rejected', decision: record } };
    }
    const addToDnc = decision.addToDnc ? { reason: decision.reason ?? `duplicate check: ${decision.source}` } : undefined;
    if (!decision.createLead) {
      const detail = `skipped as a duplicate by the duplicate check${decision.reason ? `: ${decision.reason}` : ''}`;
      return { kind: 'answer', index: candidate.index, result: { ...failure(105, detail), rule }, record: { phones, outcome: 'skipped', addToDnc, decision: record } };
    }
    const lead: NewLead = { ...candidate.lead, status: decision.status ?? candidate.lead.status, decision: record, ...(addToDnc ? { addToDnc } : {}) };
    return { kind: 'write', candidate: { ...candidate, lead }, success: decision.success, rule };
  });
}
