import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { activeTable, checkWithCrm, type CrmCaller } from './duplicate-check.js';
import { duplicateResult, failure, type LeadResult, type MatchedRule } from './lead-result.js';
import type { LeadFields } from '../leads/scalar.js';
import type { InsertOutcome, LeadStore, NewLead, Precheck } from './ports.js';
import type { Target } from './target.js';
import { awaitSyncDelivery, syncDestinations, withForwarding, type Forwarding } from './forwarding.js';
import { validateNewLead } from './validate-new-lead.js';

export type EntryPoint = 'noojee' | 'convoso' | 'hooks' | 'cli';

export interface InsertCommand {
  entry: EntryPoint;
  rules: RuleSet;
  target: Target;
  allowDuplicates: boolean;
  /** check this de-duplication scope instead of the template's */
  dedupe?: DedupeScope;
  /** the status of the new leads, unless the duplicate-check row sets one */
  status?: string;
  leads: readonly unknown[];
  /** a single-lead entry point: sync-mode destinations answer within it (SPEC 10.4); a batch never waits */
  sync?: boolean;
}

export interface PipelineDeps {
  store: LeadStore;
  crm: CrmCaller;
  /** the delivery worker; absent: deliveries wait for the next poll (and sync mode answers queued) */
  forwarding?: Forwarding;
}

function refused(outcome: Exclude<InsertOutcome, { kind: 'inserted' }>): LeadResult {
  switch (outcome.kind) {
    case 'dnc':
      return failure(104, "one of the lead's phone numbers is on the DNC list");
    case 'duplicateExternalId':
      return failure(112, 'njExternalLeadId already belongs to a lead of the campaign');
    case 'duplicate':
      return duplicateResult(outcome.matchedOn);
  }
}

const FAILED_VALIDATION = 'the lead was created, but the duplicate check marked it as failed';

/**
 * One insert operation, for one lead or a batch: validate every lead; when the duplicate-check
 * table applies, drop the leads the store already refuses (104, 112, 105 by any match key) and let the CRM's answer
 * decide the rest; then write in one store call. Results come back in request order.
 */
export async function insertLeads(deps: PipelineDeps, command: InsertCommand): Promise<LeadResult[]> {
  deps.store.noteRules?.(command.rules.dialer.templates);
  const context = {
    target: command.target,
    contactHours: command.rules.dialer.contactHours,
    allowDuplicates: command.allowDuplicates,
    dedupe: command.dedupe,
    status: command.status,
  };
  const results: LeadResult[] = new Array(command.leads.length);
  const valid: Array<{ index: number; lead: NewLead; crmView: () => LeadFields }> = [];
  command.leads.forEach((raw, index) => {
    const checked = validateNewLead(raw, context);
    if (checked.ok) valid.push({ index, lead: withForwarding(command.rules, checked.lead), crmView: checked.crmView });
    else results[index] = checked.result;
  });

  let toWrite: Array<{ index: number; lead: NewLead }> = valid;
  const verdicts = new Map<number, { success: boolean; rule: MatchedRule }>();
  const table = activeTable(command.rules, command.entry);
  if (table && valid.length > 0) {
    const prechecks: Precheck[] = await deps.store.precheckLeads(valid.map((c) => c.lead));
    const asked = valid.flatMap((candidate, i) => {
      const precheck = prechecks[i];
      if (precheck) results[candidate.index] = refused(precheck);
      return precheck ? [] : [{ index: candidate.index, lead: candidate.lead, crmView: candidate.crmView() }];
    });
    const checked = await checkWithCrm(deps.crm, command.rules, table, command.entry, asked);
    await deps.store.recordDecisions(checked.flatMap((c) => (c.kind === 'answer' ? [c.record] : [])));
    toWrite = [];
    for (const c of checked) {
      if (c.kind === 'answer') {
        results[c.index] = c.result;
      } else {
        toWrite.push(c.candidate);
        verdicts.set(c.candidate.index, { success: c.success, rule: c.rule });
      }
    }
  }

  const outcomes = await deps.store.insertLeads(toWrite.map((c) => c.lead));
  outcomes.forEach((outcome, i) => {
    const index = toWrite[i]!.index;
    const verdict = verdicts.get(index);
    if (outcome.kind !== 'inserted') {
      results[index] = refused(outcome);
    } else if (verdict && !verdict.success) {
      results[index] = { code: 205, detail: verdict.rule.reason ? `${FAILED_VALIDATION}: ${verdict.rule.reason}` : FAILED_VALIDATION, leadId: outcome.leadId, rule: verdict.rule };
    } else {
      results[index] = verdict ? { code: 0, leadId: outcome.leadId, rule: verdict.rule } : { code: 0, leadId: outcome.leadId };
    }
  });
  const forwarded = toWrite.filter((c, i) => c.lead.forward !== undefined && outcomes[i]!.kind === 'inserted');
  if (forwarded.length === 0) return results;
  deps.forwarding?.nudge();
  if (command.sync && forwarded.length === 1 && deps.forwarding) {
    const { index, lead } = forwarded[0]!;
    const accepted = results[index]!;
    const destinations = syncDestinations(command.rules, lead);
    if (accepted.code === 0 && destinations.length > 0) results[index] = await awaitSyncDelivery(deps.store, deps.forwarding, destinations, accepted);
  }
  return results;
}
