import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { failure } from '../../pipeline/lead-result.js';
import type { StoredLead } from '../../pipeline/ports.js';
import { recheckLead } from '../../pipeline/recheck-lead.js';
import { updateLeadFields } from '../../pipeline/update-fields.js';
import { leadFieldsOf, PASS_ON_PREFIX } from './fields.js';
import { convosoPhone } from './phone.js';
import { convosoError, ok, renderConvosoResult, type ConvosoAnswer } from './render.js';
import type { ConvosoDeps, ConvosoRoute } from './routes.js';
import { leadQuery } from './search-params.js';

const EMAIL = /^\s*(?:[^\s@]+@[^\s@]+\.[^\s@]+)?\s*$/;
/** What /v1/leads/update cannot apply: leadgate's bookkeeping, and the insert's own controls. */
const NOT_UPDATABLE = new Set(['id', 'created_at', 'modified_at', 'lead_state', 'campaign_id', 'check_dup', 'check_dup_archive', 'check_dnc', 'update_if_found', 'search_list_id', 'search_campaign_id', 'criteria_key']);

const isAnswer = (value: unknown): value is ConvosoAnswer => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/** The first parameter /v1/leads/update would have to drop, with why. */
function refusedParameter(p: Record<string, string>): string | undefined {
  for (const name of Object.keys(p)) {
    if (NOT_UPDATABLE.has(name)) return `'${name}' cannot be changed through /v1/leads/update`;
    if (/^nj/i.test(name) || name.startsWith(PASS_ON_PREFIX)) return `'${name}' is a leadgate system field, not a Convoso parameter`;
  }
  if (p.phone_code?.trim() && !p.phone_number?.trim()) return 'phone_code is applied together with phone_number';
  return undefined;
}

/** phone_number and phone_code of a stored E.164 number, as Convoso shows them. */
function convosoNumber(e164: string | undefined): { phone_number: string | null; phone_code: string | null } {
  const parsed = e164 ? parsePhoneNumberFromString(e164) : undefined;
  return parsed ? { phone_number: parsed.nationalNumber, phone_code: parsed.countryCallingCode } : { phone_number: e164 ?? null, phone_code: null };
}

/**
 * A search entry: the lead's own fields, then leadgate's bookkeeping under names that are
 * Convoso's own (or `lead_state`), so a lead's field `state` stays the lead's.
 */
function leadEntry(lead: StoredLead & { createdAt: Date; updatedAt: Date }): Record<string, unknown> {
  const own = Object.fromEntries(Object.entries(lead.fields).filter(([name]) => !name.startsWith(PASS_ON_PREFIX)));
  return {
    ...own,
    id: lead.id,
    list_id: String(lead.allocationId),
    campaign_id: String(lead.campaignId),
    status: lead.status,
    ...convosoNumber(lead.phones[0]),
    lead_state: lead.state,
    created_at: lead.createdAt.toISOString(),
    modified_at: lead.updatedAt.toISOString(),
  };
}

/** /v1 lead update, delete, search and the workflow re-check (SPEC 4). */
export function addLeadRoutes(route: ConvosoRoute, deps: ConvosoDeps): void {
  route('/leads/update', async (p) => {
    const leadId = p.lead_id?.trim();
    if (!leadId) return convosoError('noSuchLead');
    const refused = refusedParameter(p);
    if (refused) return convosoError('notApplicable', refused);
    if (p.email !== undefined && !EMAIL.test(p.email)) return convosoError('invalidEmail');
    const rules = deps.rules.current();
    const lead = await deps.store.findLeadById(leadId);
    const template = lead ? rules.dialer.templates.get(lead.templateId) : undefined;
    if (!lead || lead.state !== 'active' || !template) return convosoError('noSuchLead');
    const listId = p.list_id?.trim();
    if (listId !== undefined && listId !== '' && !/^\d{1,9}$/.test(listId)) return convosoError('noSuchList');

    const fields = leadFieldsOf(p, template.country, p.phone_code);
    // with phone_code the number is international; without it, national in the lead's template country
    const phone = p.phone_code?.trim() ? convosoPhone(p.phone_number, p.phone_code) : p.phone_number?.trim();
    if (phone) fields[template.phoneFields[0]!] = phone;
    const admitted = await deps.gate.run(() =>
      updateLeadFields(deps, {
        rules,
        leadId,
        fields,
        source: 'convoso',
        status: p.status?.trim() || undefined,
        allocationId: listId ? Number(listId) : undefined,
        activeOnly: true,
      }),
    );
    if (!admitted.admitted) return renderConvosoResult(failure(109, 'too many concurrent requests; retry later'));
    const result = admitted.value;
    return result.code === 'notFound' ? convosoError('noSuchLead') : renderConvosoResult(result);
  });

  route('/leads/delete', async (p) => {
    const leadId = p.lead_id?.trim();
    if (!leadId || !(await deps.store.closeLead(leadId, 'convoso'))) return convosoError('noSuchLead');
    return { status: 200, body: { success: true } };
  });

  route('/leads/search', async (p) => {
    const parsed = leadQuery(p, deps.rules.current().dialer);
    if (isAnswer(parsed)) return parsed;
    const { query } = parsed;
    const found = await deps.store.searchLeads(query);
    return ok({ offset: String(query.offset), limit: String(query.limit), total: String(found.total), entries: found.entries.map(leadEntry) });
  });

  route('/workflow/leads/:leadId/check', async (_p, c) => {
    const result = await recheckLead(deps, { rules: deps.rules.current(), leadId: c.req.param('leadId') ?? '' });
    if (result.kind === 'notFound') return convosoError('noSuchLead');
    if (result.kind === 'noTable') return convosoError('notApplicable', 'no duplicate-check table is enabled');
    if (result.kind === 'unavailable') return renderConvosoResult(failure(206, `the CRM could not be asked (${result.reason}); retry later`));
    return { status: 200, body: result.decision };
  });
}
