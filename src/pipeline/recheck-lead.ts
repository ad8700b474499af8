import { parsePhone } from '../leads/phone.js';
import type { LeadFields } from '../leads/scalar.js';
import { evaluateTable, onErrorDecision } from '../ruleset/duplicate-check/evaluate.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { decisionRecord, type CrmCaller } from './duplicate-check.js';
import type { LeadStore } from './ports.js';

export type RecheckResult =
  | { kind: 'notFound' }
  | { kind: 'noTable' }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'decided'; decision: Record<string, unknown> };

/**
 * A dialer workflow asks again about an existing lead (SPEC 4): the connect and the table run
 * for it, the matched row's status and DNC addition are applied to it, and the decision is
 * recorded; nothing else about the lead changes.
 */
export async function recheckLead(deps: { store: LeadStore; crm: CrmCaller }, command: { rules: RuleSet; leadId: string }): Promise<RecheckResult> {
  const lead = await deps.store.findLeadById(command.leadId);
  if (!lead) return { kind: 'notFound' };
  const table = command.rules.duplicateCheck;
  const connect = table && command.rules.connects.get(table.connect);
  if (!table?.enabled || !connect) return { kind: 'noTable' };

  const template = command.rules.dialer.templates.get(lead.templateId);
  const view: LeadFields = { ...lead.fields, njExternalLeadId: lead.externalId, leadId: lead.id, campaignId: lead.campaignId, allocationId: lead.allocationId };
  for (const field of template?.phoneFields ?? []) {
    const parsed = template ? parsePhone(view[field], template.country) : undefined;
    if (parsed?.kind === 'valid') view[field] = parsed.e164;
  }
  const outcome = await deps.crm.call(connect, view);
  const decision = outcome.ok ? evaluateTable(table, outcome.answer) : onErrorDecision(table);
  const record = decisionRecord('workflow', connect.name, outcome, decision);
  if ('reject' in decision) {
    await deps.store.applyRecheck({ leadId: lead.id, phones: lead.phones, decision: record });
    return { kind: 'unavailable', reason: outcome.ok ? 'answer' : outcome.reason };
  }
  await deps.store.applyRecheck({
    leadId: lead.id,
    phones: lead.phones,
    ...(decision.status !== undefined ? { status: decision.status } : {}),
    ...(decision.addToDnc ? { addToDnc: { reason: decision.reason ?? 'workflow re-check' } } : {}),
    decision: record,
  });
  return {
    kind: 'decided',
    decision: {
      success: decision.success,
      createLead: decision.createLead,
      status: decision.status ?? null,
      addToDnc: decision.addToDnc,
      row: decision.source === 'row' ? decision.rowIndex : null,
      key: decision.source === 'row' ? decision.key : null,
      reason: decision.reason ?? null,
      source: decision.source,
    },
  };
}
