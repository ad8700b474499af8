import type { RuleSet } from '../ruleset/rule-set.js';
import { failure, type LeadResult } from './lead-result.js';
import type { InsertOutcome, LeadStore, NewLead } from './ports.js';
import type { Target } from './target.js';
import { validateNewLead } from './validate-new-lead.js';

export type EntryPoint = 'noojee' | 'convoso' | 'hooks' | 'cli';

export interface InsertCommand {
  entry: EntryPoint;
  rules: RuleSet;
  target: Target;
  allowDuplicates: boolean;
  leads: readonly unknown[];
}

export interface PipelineDeps {
  store: LeadStore;
}

const OUTCOME_RESULTS: Record<Exclude<InsertOutcome['kind'], 'inserted'>, LeadResult> = {
  dnc: failure(104, "one of the lead's phone numbers is on the DNC list"),
  duplicateExternalId: failure(112, 'njExternalLeadId already belongs to a lead of the campaign'),
  duplicatePhone: failure(105, 'a lead with one of these phone numbers already exists'),
};

/**
 * One insert operation, for one lead or a batch: validate every lead, then write the valid ones
 * in one store call. Results come back in request order.
 */
export async function insertLeads(deps: PipelineDeps, command: InsertCommand): Promise<LeadResult[]> {
  const context = { target: command.target, contactHours: command.rules.dialer.contactHours, allowDuplicates: command.allowDuplicates };
  const results: LeadResult[] = new Array(command.leads.length);
  const valid: NewLead[] = [];
  const validIndexes: number[] = [];
  command.leads.forEach((raw, index) => {
    const checked = validateNewLead(raw, context);
    if (checked.ok) {
      valid.push(checked.lead);
      validIndexes.push(index);
    } else {
      results[index] = checked.result;
    }
  });

  const outcomes = await deps.store.insertLeads(valid);
  outcomes.forEach((outcome, i) => {
    results[validIndexes[i]!] = outcome.kind === 'inserted' ? { code: 0, leadId: outcome.leadId } : OUTCOME_RESULTS[outcome.kind];
  });
  return results;
}
