import type { LeadFields } from '../leads/scalar.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { insertLeads, type PipelineDeps } from './insert-leads.js';
import { failure, type LeadResult } from './lead-result.js';
import type { Target } from './target.js';
import { updateLeadFields } from './update-fields.js';
import { validateNewLead } from './validate-new-lead.js';

/** Where `update_if_found` looks for the lead by phone: an allocation, a campaign, or everywhere. */
export type SearchScope = { allocationId: number } | { campaignId: number } | 'global';

export interface InsertOrUpdateCommand {
  rules: RuleSet;
  target: Target;
  lead: LeadFields;
  status?: string;
  /** the phone key's scope chosen by the request (Convoso check_dup); absent: the template's own de-duplication */
  dedupe?: DedupeScope;
  /** closed leads count as duplicates too (Convoso's check_dup 4 and check_dup_archive) */
  closedCount: boolean;
  /** update the lead found (by id, else by phone in the scope) instead of inserting (Convoso's update_if_found) */
  updateIfFound?: { leadId?: string; scope: SearchScope };
}

/**
 * One Convoso insert (SPEC 4): with `update_if_found`, an existing active lead is updated with the
 * given fields instead; otherwise the lead goes through the insert pipeline, closed leads first
 * counted as duplicates when asked. A concurrent insert of the same phone that wins the claim
 * turns this insert's duplicate into an update of that lead.
 */
export async function insertOrUpdate(deps: PipelineDeps, command: InsertOrUpdateCommand): Promise<LeadResult> {
  const { target, rules } = command;
  const checked = validateNewLead(command.lead, { target, contactHours: rules.dialer.contactHours, allowDuplicates: false, dedupe: command.dedupe });
  if (!checked.ok) return checked.result;
  const phones = checked.lead.phones;

  const update = async (leadId: string): Promise<LeadResult | null> => {
    const result = await updateLeadFields(deps, { rules, leadId, fields: command.lead, source: 'convoso', status: command.status, activeOnly: true });
    return result.code === 'notFound' ? null : result;
  };
  const found = async (): Promise<string | null> => {
    const scope = command.updateIfFound!.scope;
    const within = scope === 'global' ? {} : scope;
    const hits = await Promise.all(phones.map((e164) => deps.store.searchLeads({ e164, ...within, state: 'active', offset: 0, limit: 1 })));
    const ids = hits.flatMap((h) => h.entries.map((e) => BigInt(e.id))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ids.length > 0 ? String(ids[0]) : null;
  };

  if (command.updateIfFound) {
    const byId = command.updateIfFound.leadId ? await update(command.updateIfFound.leadId) : null;
    if (byId) return byId;
    const existing = await found();
    const updated = existing ? await update(existing) : null;
    if (updated) return updated;
  }

  const closedScope = command.dedupe ?? target.template.dedupe;
  if (command.closedCount && closedScope !== 'none') {
    const closed = await deps.store.findClosedLeadByPhone(phones, closedScope, { campaignId: target.campaign.id, allocationId: target.allocation.id });
    if (closed) {
      // the SPEC's order still holds: DNC and a taken external id answer before a duplicate
      const [precheck] = await deps.store.precheckLeads([checked.lead]);
      if (precheck?.kind === 'dnc') return failure(104, "one of the lead's phone numbers is on the DNC list");
      if (precheck?.kind === 'duplicateExternalId') return failure(112, 'njExternalLeadId already belongs to a lead of the campaign');
      return failure(105, `closed lead ${closed} already has this phone number`);
    }
  }

  const [result] = await insertLeads(deps, { entry: 'convoso', rules, target, allowDuplicates: false, dedupe: command.dedupe, status: command.status, leads: [command.lead], sync: true });
  // a duplicate by the phone (not by another match key, which says matchedOn; not a skip by the table)
  if (command.updateIfFound && result!.code === 105 && !result!.rule && result!.matchedOn === undefined) {
    const existing = await found();
    const updated = existing ? await update(existing) : null;
    if (updated) return updated;
  }
  return result!;
}
