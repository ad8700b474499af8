import { parsePhone } from '../leads/phone.js';
import type { LeadFields } from '../leads/scalar.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { failure, type LeadResult } from './lead-result.js';
import type { FieldChange, LeadStore, LeadUpdate } from './ports.js';
import { withUpdateForwarding, type Forwarding } from './forwarding.js';
import { splitFields, updatedKeys } from './validate-new-lead.js';

const keysOf = (keys: LeadUpdate['keys']): Pick<LeadUpdate, 'keys'> => (keys ? { keys } : {});

/**
 * A plain field update by lead id (Convoso's /v1/leads/update): given fields overwrite, the
 * disposition and its actions are left alone, a changed phone is re-normalised and not
 * de-duplicated. Nothing written when another update won the race (110).
 */
export interface FieldsUpdate {
  rules: RuleSet;
  leadId: string;
  fields: LeadFields;
  source: string;
  /** a new status for the lead (Convoso's `status`) */
  status?: string;
  /** move the lead to this allocation; another campaign's allocation is a 115 */
  allocationId?: number;
  /** a closed lead is "not found" (Convoso: a deleted lead is gone) */
  activeOnly?: boolean;
}

export async function updateLeadFields(deps: { store: LeadStore; forwarding?: Forwarding }, command: FieldsUpdate): Promise<LeadResult | { code: 'notFound' }> {
  const lead = await deps.store.findLeadById(command.leadId);
  if (!lead || (command.activeOnly && lead.state !== 'active')) return { code: 'notFound' };
  if (lead.state === 'reallocated') return failure(101, `lead ${lead.id} was reallocated; update its copy instead`);
  const split = splitFields(command.fields);
  if (!split.ok) return split.result;
  if (Object.keys(split.fields.system).length > 0) return failure(204, 'system fields (nj*) are not updated through this endpoint');
  const template = command.rules.dialer.templates.get(lead.templateId);
  if (!template) return failure(116, `the lead's template ${lead.templateId} is no longer configured`);
  const moveTo = command.allocationId === undefined || command.allocationId === lead.allocationId ? undefined : command.allocationId;
  if (moveTo !== undefined && !command.rules.dialer.campaigns.get(lead.campaignId)?.allocations.has(moveTo)) {
    return failure(115, `allocation ${moveTo} is not an allocation of the lead's campaign ${lead.campaignId}`);
  }

  const fields: LeadFields = { ...lead.fields, ...split.fields.plain };
  const phones: string[] = [];
  for (const field of template.phoneFields) {
    const parsed = parsePhone(fields[field], template.country);
    if (parsed.kind === 'invalid') return failure(202, `field '${field}': '${parsed.text}' is not a valid ${template.country} phone number`);
    if (parsed.kind === 'valid' && !phones.includes(parsed.e164)) phones.push(parsed.e164);
  }
  if (phones.length === 0) return failure(102, 'the update would leave the lead without a phone number');

  const changes: Record<string, FieldChange> = {};
  for (const [name, value] of Object.entries(split.fields.plain)) if (lead.fields[name] !== value) changes[name] = { old: lead.fields[name] ?? null, new: value };
  if (command.status !== undefined && command.status !== lead.status) changes.status = { old: lead.status, new: command.status };
  if (moveTo !== undefined) changes.allocationId = { old: lead.allocationId, new: moveTo };
  const update = withUpdateForwarding(command.rules, lead, {
    leadId: lead.id,
    expectedVersion: lead.version,
    fields,
    phones,
    disposition: lead.disposition,
    callbackAt: lead.callbackAt,
    priority: lead.priority,
    contactHours: lead.contactHours,
    state: lead.state === 'closed' ? 'closed' : 'active',
    ...(command.status !== undefined ? { status: command.status } : {}),
    ...(moveTo !== undefined ? { allocationId: moveTo } : {}),
    callRecord: { disposition: lead.disposition, changes, source: command.source },
    webhooks: [],
    ...keysOf(updatedKeys(template, fields, phones)),
  });
  const outcome = await deps.store.updateLead(update);
  if (outcome.kind === 'updated' && update.forward) deps.forwarding?.nudge();
  return outcome.kind === 'conflict' ? failure(110, 'the lead changed while this update was prepared; nothing was written') : { code: 0, leadId: lead.id };
}
