import { parseCallbackDate, zonedWallClockToInstant } from '../leads/callback-date.js';
import { isNoChange } from '../leads/no-change.js';
import { parsePhone } from '../leads/phone.js';
import { scalarText, type LeadFields, type Scalar } from '../leads/scalar.js';
import type { Allocation, Campaign, ContactHours, Disposition } from '../ruleset/dialer.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { failure, type LeadResult } from './lead-result.js';
import type { FieldChange, LeadStore, LeadUpdate, StoredLead } from './ports.js';
import { withUpdateForwarding, type Forwarding } from './forwarding.js';
import { parsePriority, splitFields, updatedKeys } from './validate-new-lead.js';

export interface UpdateCommand {
  rules: RuleSet;
  campaign: Campaign;
  raw: unknown;
  /** MODIFY updates the lead; REALLOCATE also copies it into `njAllocationName` */
  action: 'MODIFY' | 'REALLOCATE';
  /** written on the call record: which entry point made the update */
  source: string;
}

/** A value the caller gave: present, not blank, not `<No Change>`. */
const given = (value: Scalar | undefined): value is Exclude<Scalar, null> =>
  value !== undefined && value !== null && scalarText(value).trim() !== '' && !isNoChange(value);

/**
 * One update (updateLeadFast, or a MODIFY / REALLOCATE row of the lead injector, SPEC 2.3, 2.4).
 * Input checks first (204, 101 without an id, 102, 202, 114, 111, 201, 106, 115), then the lead
 * is read (101), its disposition settled (107, 114 for a callback without a date), and the update
 * written only if nobody changed the lead meanwhile (110). Phones are not de-duplicated.
 */
export async function updateLead(deps: { store: LeadStore; forwarding?: Forwarding }, command: UpdateCommand): Promise<LeadResult> {
  const split = splitFields(command.raw);
  if (!split.ok) return split.result;
  const { system, plain } = split.fields;
  const { campaign } = command;
  const template = campaign.template;
  const contactHoursByName = command.rules.dialer.contactHours;

  const action = scalarText(system.njAction).trim().toUpperCase();
  if (action !== '' && action !== command.action) return failure(204, `njAction '${scalarText(system.njAction)}' does not belong on this request`);
  if (!given(system.njExternalLeadId)) return failure(101, 'njExternalLeadId is required to find the lead');
  const externalId = scalarText(system.njExternalLeadId).trim();

  const phoneFields = template.phoneFields.filter((field) => plain[field] !== undefined && plain[field] !== null && scalarText(plain[field]).trim() !== '');
  if (phoneFields.length === 0) {
    return failure(102, `an update must give at least one phone field (${template.phoneFields.join(', ')}), as a number or <No Change>`);
  }
  for (const field of phoneFields) {
    if (isNoChange(plain[field])) continue;
    const parsed = parsePhone(plain[field], template.country);
    if (parsed.kind === 'invalid') return failure(202, `field '${field}': '${parsed.text}' is not a valid ${template.country} phone number`);
  }

  const wallClock = given(system.njCallBackDate) ? parseCallbackDate(system.njCallBackDate) : null;
  if (given(system.njCallBackDate) && !wallClock) {
    return failure(114, `njCallBackDate '${scalarText(system.njCallBackDate)}' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date`);
  }
  let newContactHours: ContactHours | undefined;
  if (given(system.njContactHours)) {
    newContactHours = contactHoursByName.get(scalarText(system.njContactHours).trim().toLowerCase());
    if (!newContactHours) return failure(111, `njContactHours '${scalarText(system.njContactHours)}' names no contact hours`);
  }
  let newPriority: number | undefined;
  if (given(system.njPriority)) {
    const parsed = parsePriority(system.njPriority);
    if (parsed === null) return failure(201, `njPriority '${scalarText(system.njPriority)}' is not an integer from 0 to 100`);
    newPriority = parsed;
  }
  let newDisposition: Disposition | undefined;
  if (given(system.njDisposition)) {
    newDisposition = template.dispositions.get(scalarText(system.njDisposition).trim().toLowerCase());
    if (!newDisposition) return failure(106, `njDisposition '${scalarText(system.njDisposition)}' is not a disposition of template ${template.id}`);
  }
  let reallocateTo: Allocation | undefined;
  if (command.action === 'REALLOCATE') {
    if (!given(system.njAllocationName)) return failure(115, 'REALLOCATE needs njAllocationName');
    reallocateTo = campaign.allocationsByName.get(scalarText(system.njAllocationName).trim().toLowerCase());
    if (!reallocateTo) return failure(115, `njAllocationName '${scalarText(system.njAllocationName)}' names no allocation of campaign ${campaign.id}`);
  }

  const lead = await deps.store.findLeadByExternalId(campaign.id, externalId);
  if (!lead) return failure(101, `no lead of campaign ${campaign.id} has njExternalLeadId '${externalId}'`);
  const disposition = newDisposition?.code ?? lead.disposition;
  if (disposition === null) {
    return failure(107, 'njDisposition is omitted or <No Change>, and the lead has no disposition yet');
  }
  const actions = newDisposition?.actions ?? [];
  if (actions.includes('callback') && !wallClock) return failure(114, `disposition '${disposition}' schedules a callback and needs njCallBackDate`);

  const contactHours = newContactHours ?? contactHoursByName.get(lead.contactHours.toLowerCase()) ?? template.contactHours;
  const callbackAt = wallClock ? zonedWallClockToInstant(wallClock, contactHours.timeZone) : null;
  const fields = mergeFields(lead.fields, plain);
  const phones = phonesOf(fields, template.phoneFields, template.country);
  if (!reallocateTo) {
    const byAction = actions.find((a): a is { reallocate: string } => typeof a === 'object' && 'reallocate' in a);
    if (byAction) reallocateTo = campaign.allocationsByName.get(byAction.reallocate.toLowerCase());
  }

  const update: LeadUpdate = {
    leadId: lead.id,
    expectedVersion: lead.version,
    fields,
    phones,
    disposition,
    // a reallocation gives the date to the copy; the original keeps its own
    callbackAt: reallocateTo ? lead.callbackAt : (callbackAt ?? lead.callbackAt),
    priority: newPriority ?? lead.priority,
    contactHours: contactHours.name,
    state: actions.includes('close') ? 'closed' : lead.state === 'closed' ? 'closed' : 'active',
    callRecord: { disposition, changes: {}, source: command.source },
    webhooks: [],
  };
  const keys = updatedKeys(template, fields, phones);
  if (keys) update.keys = keys;
  update.callRecord.changes = changesOf(lead, update, callbackAt);
  if (actions.includes('dnc')) update.addToDnc = { reason: `disposition ${disposition}`, source: 'disposition' };
  const webhookConnects = actions.flatMap((a) => (typeof a === 'object' && 'webhook' in a ? [a.webhook] : []));
  if (webhookConnects.length > 0) {
    // What the connect's adaptor maps from: the lead's fields (phones in E.164) and its system fields.
    const view: LeadFields = { ...fields, ...phoneFieldsOf(fields, template.phoneFields, template.country) };
    Object.assign(view, { njExternalLeadId: externalId, njDisposition: disposition, leadId: lead.id, campaignId: campaign.id, allocationId: lead.allocationId });
    for (const connect of webhookConnects) update.webhooks.push({ connect, payload: { event: 'disposition', leadId: lead.id, view } });
  }
  if (reallocateTo) update.reallocateTo = { allocationId: reallocateTo.id, callbackAt };

  const outcome = await deps.store.updateLead(withUpdateForwarding(command.rules, lead, update));
  if (outcome.kind === 'updated') deps.forwarding?.nudge();
  if (outcome.kind === 'conflict') return failure(110, 'the lead changed while this update was prepared; nothing was written, check the lead before retrying');
  return { code: 0, leadId: outcome.leadId };
}

/** Given fields overwrite, `<No Change>` keeps, fields not given keep their value. */
function mergeFields(stored: LeadFields, given: LeadFields): LeadFields {
  const merged: LeadFields = { ...stored };
  for (const [name, value] of Object.entries(given)) if (!isNoChange(value)) merged[name] = value;
  return merged;
}

/** The phone fields that hold a number, each as E.164. */
function phoneFieldsOf(fields: LeadFields, phoneFields: readonly string[], country: Parameters<typeof parsePhone>[1]): Record<string, string> {
  const e164: Record<string, string> = {};
  for (const field of phoneFields) {
    const parsed = parsePhone(fields[field], country);
    if (parsed.kind === 'valid') e164[field] = parsed.e164;
  }
  return e164;
}

function phonesOf(fields: LeadFields, phoneFields: readonly string[], country: Parameters<typeof parsePhone>[1]): string[] {
  return [...new Set(Object.values(phoneFieldsOf(fields, phoneFields, country)))];
}

function changesOf(lead: StoredLead, update: LeadUpdate, callbackAt: Date | null): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const [name, value] of Object.entries(update.fields)) {
    if (lead.fields[name] !== value) changes[name] = { old: lead.fields[name] ?? null, new: value };
  }
  if (lead.disposition !== update.disposition) changes.njDisposition = { old: lead.disposition, new: update.disposition };
  if (callbackAt && lead.callbackAt?.getTime() !== callbackAt.getTime()) {
    changes.njCallBackDate = { old: lead.callbackAt?.toISOString() ?? null, new: callbackAt.toISOString() };
  }
  if (lead.priority !== update.priority) changes.njPriority = { old: lead.priority, new: update.priority };
  if (lead.contactHours !== update.contactHours) changes.njContactHours = { old: lead.contactHours, new: update.contactHours };
  if (update.reallocateTo) changes.njAllocationName = { old: lead.allocationId, new: update.reallocateTo.allocationId };
  return changes;
}
