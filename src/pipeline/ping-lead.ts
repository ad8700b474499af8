import type { LeadCode } from '../codes.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { evaluateTable, onErrorDecision } from '../ruleset/duplicate-check/evaluate.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';
import { activeTable, type CrmCaller } from './duplicate-check.js';
import type { LeadStore, Precheck } from './ports.js';
import type { Target } from './target.js';
import { validateNewLead } from './validate-new-lead.js';

export type PingVerdict =
  | { accepted: true; status: string | null; success: boolean }
  | { accepted: false; code: Exclude<LeadCode, 0>; reason: string; matchedOn?: string };

function precheckVerdict(precheck: NonNullable<Precheck>): PingVerdict & { accepted: false } {
  switch (precheck.kind) {
    case 'dnc':
      return { accepted: false, code: 104, reason: 'the phone number is on the DNC list' };
    case 'duplicateExternalId':
      return { accepted: false, code: 112, reason: 'the external id already belongs to a lead of the campaign' };
    case 'duplicate':
      return {
        accepted: false,
        code: 105,
        reason: precheck.matchedOn === 'phone' ? 'the phone number already exists' : `a lead with the same ${precheck.matchedOn} already exists`,
        matchedOn: precheck.matchedOn,
      };
  }
}

/**
 * The Convoso "ping" (SPEC 4): would this lead be accepted now? Runs validation, DNC, duplicates
 * and the duplicate-check table (the CRM is asked) exactly as an insert would, and writes nothing.
 */
export async function pingLead(
  deps: { store: LeadStore; crm: CrmCaller },
  command: { rules: RuleSet; target: Target; lead: unknown; dedupe?: DedupeScope; closedCount?: boolean },
): Promise<PingVerdict> {
  const checked = validateNewLead(command.lead, {
    target: command.target,
    contactHours: command.rules.dialer.contactHours,
    allowDuplicates: false,
    dedupe: command.dedupe,
  });
  if (!checked.ok) {
    const result = checked.result;
    if (result.code !== 0) return { accepted: false, code: result.code, reason: result.detail ?? 'invalid lead' };
    throw new Error('validation refused a lead with code 0');
  }
  const [precheck] = await deps.store.precheckLeads([checked.lead]);
  if (precheck) return precheckVerdict(precheck);
  const scope = checked.lead.dedupe;
  if (command.closedCount && scope !== 'none') {
    const target = { campaignId: checked.lead.campaignId, allocationId: checked.lead.allocationId };
    if (await deps.store.findClosedLeadByPhone(checked.lead.phones, scope, target)) return { accepted: false, code: 105, reason: 'a closed lead already has this phone number' };
  }

  const table = activeTable(command.rules, 'convoso');
  const connect = table && command.rules.connects.get(table.connect);
  if (!table || !connect) return { accepted: true, status: null, success: true };
  const outcome = await deps.crm.call(connect, checked.crmView());
  const decision = outcome.ok ? evaluateTable(table, outcome.answer) : onErrorDecision(table);
  if ('reject' in decision) return { accepted: false, code: 206, reason: `the CRM could not be asked (${outcome.ok ? 'answer' : outcome.reason}); retry later` };
  if (!decision.createLead) return { accepted: false, code: 105, reason: decision.reason ?? 'skipped by the duplicate check' };
  return { accepted: true, status: decision.status ?? null, success: decision.success };
}
