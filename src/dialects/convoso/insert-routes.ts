import { failure } from '../../pipeline/lead-result.js';
import { insertOrUpdate, type SearchScope } from '../../pipeline/insert-or-update.js';
import { pingLead } from '../../pipeline/ping-lead.js';
import type { Target } from '../../pipeline/target.js';
import type { Criterion } from '../../ruleset/criteria.js';
import type { DedupeScope } from '../../ruleset/dialer-schema.js';
import type { RuleSet } from '../../ruleset/rule-set.js';
import { CONVOSO_ERRORS, CONVOSO_FOR_RESULT } from './codes.js';
import { convosoBoolean, e164Of, leadFieldsOf } from './fields.js';
import { convosoPhone } from './phone.js';
import { convosoError, renderConvosoResult, type ConvosoAnswer } from './render.js';
import type { ConvosoDeps, ConvosoRoute } from './routes.js';

const ID = /^\s*\d{1,9}\s*$/;
const EMAIL = /^\s*(?:[^\s@]+@[^\s@]+\.[^\s@]+)?\s*$/;
/** check_dup → the phone key's scope, and whether closed leads count (4) */
const CHECK_DUP: Record<number, { dedupe: DedupeScope; closed: boolean }> = {
  0: { dedupe: 'none', closed: false },
  1: { dedupe: 'global', closed: false },
  2: { dedupe: 'allocation', closed: false },
  3: { dedupe: 'campaign', closed: false },
  4: { dedupe: 'global', closed: true },
};

const isAnswer = (value: unknown): value is ConvosoAnswer => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
const targetOf = (allocation: Criterion['allocation']): Target => ({ template: allocation.campaign.template, campaign: allocation.campaign, allocation });

/** check_dup as a level 0–4 (`true` is 1, `false` 0); undefined when not given; an answer when not one. */
function checkDupLevel(text: string | undefined): number | undefined | ConvosoAnswer {
  const t = text?.trim().toLowerCase();
  if (!t) return undefined;
  if (/^[0-4]$/.test(t)) return Number(t);
  const flag = convosoBoolean(t);
  if (flag !== undefined) return flag ? 1 : 0;
  return convosoError('invalidValue', `check_dup must be 0, 1, 2, 3, 4, true or false, got '${text}'`);
}

/** The target list: a criteria key (6090), or list_id (6007 missing, 6002 unknown). */
function resolveList(rules: RuleSet, p: Record<string, string>, by: 'criteria' | 'list' | 'either'): { allocation: Criterion['allocation']; criterion?: Criterion } | ConvosoAnswer {
  const key = p.criteria_key?.trim();
  if (by === 'criteria' || (by === 'either' && (key || !p.list_id?.trim()))) {
    const criterion = key ? rules.dialer.criteria.get(key) : undefined;
    return criterion ? { allocation: criterion.allocation, criterion } : convosoError('invalidCriteria', key ? `no criteria key '${key}' in dialer.yaml` : 'criteria_key is required');
  }
  const listId = p.list_id?.trim();
  if (!listId) return convosoError('missingPhoneOrList');
  const allocation = ID.test(listId) ? rules.dialer.allocations.get(Number(listId)) : undefined;
  return allocation ? { allocation } : convosoError('noSuchList');
}

/** update_if_found's search scope: search_list_id, else search_campaign_id, else the account. */
function searchScope(rules: RuleSet, p: Record<string, string>): SearchScope | ConvosoAnswer {
  const list = p.search_list_id?.trim();
  if (list) return ID.test(list) && rules.dialer.allocations.has(Number(list)) ? { allocationId: Number(list) } : convosoError('noSuchList', `search_list_id '${list}' names no list`);
  const campaign = p.search_campaign_id?.trim();
  if (campaign) return ID.test(campaign) && rules.dialer.campaigns.has(Number(campaign)) ? { campaignId: Number(campaign) } : convosoError('invalidCampaign', `search_campaign_id '${campaign}' names no campaign`);
  return 'global';
}

/** /v1/leads/insert, /v1/lead-post-validation/insert and the /v1/lead-validation/search ping (SPEC 4). */
export function addInsertRoutes(route: ConvosoRoute, deps: ConvosoDeps): void {
  const insert = async (p: Record<string, string>, by: 'criteria' | 'list'): Promise<ConvosoAnswer> => {
    const rules = deps.rules.current();
    if (by === 'list' && (!p.list_id?.trim() || !p.phone_number?.trim())) return convosoError('missingPhoneOrList');
    const list = resolveList(rules, p, by);
    if (isAnswer(list)) return list;
    if (!p.phone_number?.trim()) return convosoError('missingPhoneOrList');
    if (p.email !== undefined && !EMAIL.test(p.email)) return convosoError('invalidEmail');
    // a criteria key's checks are the admin's; a request's own check_dup applies to list inserts
    const level = list.criterion ? list.criterion.checkDup : checkDupLevel(p.check_dup);
    if (isAnswer(level)) return level;
    const archive = list.criterion ? list.criterion.checkDupArchive : convosoBoolean(p.check_dup_archive) === true;
    const updateIfFound = convosoBoolean(p.update_if_found) === true;
    const scope = updateIfFound ? searchScope(rules, p) : 'global';
    if (isAnswer(scope)) return scope;

    const target = targetOf(list.allocation);
    const template = target.template;
    if (e164Of(p.phone_number, p.phone_code || '1', template.country) === null) return convosoError('invalidPhone');
    const lead = leadFieldsOf(p, template.country, p.phone_code);
    lead[template.phoneFields[0]!] = convosoPhone(p.phone_number, p.phone_code)!;
    // no check_dup: the template's own de-duplication (its keys, window and scope), not a phone check forced on it
    const checks = level === undefined ? { dedupe: undefined, closed: false } : CHECK_DUP[level]!;
    const status = p.status?.trim() || undefined;

    const admitted = await deps.gate.run(() =>
      insertOrUpdate(deps, {
        rules,
        target,
        lead,
        status,
        dedupe: checks.dedupe,
        closedCount: checks.closed || archive,
        updateIfFound: updateIfFound ? { leadId: p.lead_id?.trim() || undefined, scope } : undefined,
      }),
    );
    return renderConvosoResult(admitted.admitted ? admitted.value : failure(109, 'too many concurrent requests; retry later'));
  };

  route('/leads/insert', (p) => insert(p, 'list'));
  route('/lead-post-validation/insert', (p) => insert(p, 'criteria'));

  route('/lead-validation/search', async (p) => {
    const rules = deps.rules.current();
    const list = resolveList(rules, p, 'either');
    if (isAnswer(list)) return list;
    if (!p.phone_number?.trim()) return convosoError('missingPhoneOrList');
    const target = targetOf(list.allocation);
    const template = target.template;
    const level = list.criterion?.checkDup;
    // no check_dup: the template's own de-duplication (its keys, window and scope), not a phone check forced on it
    const checks = level === undefined ? { dedupe: undefined, closed: false } : CHECK_DUP[level]!;
    const lead = leadFieldsOf(p, template.country, p.phone_code);
    lead[template.phoneFields[0]!] = convosoPhone(p.phone_number, p.phone_code)!;
    const verdict = await pingLead(deps, { rules, target, lead, dedupe: checks.dedupe, closedCount: checks.closed || list.criterion?.checkDupArchive === true });
    if (verdict.accepted) return { status: 200, body: { success: true, result: 'Accepted', reason: null, status: verdict.status, external_validation: verdict.success } };
    const error = CONVOSO_ERRORS[CONVOSO_FOR_RESULT[verdict.code]];
    return { status: 200, body: { success: true, result: 'Denied', reason: verdict.reason, code: error.code } };
  });
}
