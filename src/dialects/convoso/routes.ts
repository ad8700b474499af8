import { Hono, type Context } from 'hono';
import type { ApiKeyCheck } from '../../http/api-keys.js';
import type { AppVariables } from '../../http/request-log.js';
import type { AdmissionGate } from '../../pipeline/admission-gate.js';
import { parsePhone } from '../../leads/phone.js';
import { insertLeads, type PipelineDeps } from '../../pipeline/insert-leads.js';
import { updateLeadFields } from '../../pipeline/update-fields.js';
import { failure } from '../../pipeline/lead-result.js';
import { StoreUnavailableError } from '../../pipeline/ports.js';
import type { DedupeScope } from '../../ruleset/dialer-schema.js';
import type { RulesProvider } from '../../ruleset/rules-holder.js';
import { addConvosoLookupRoutes } from './lead-dnc-routes.js';
import { readConvosoParams } from './params.js';
import { convosoPhone } from './phone.js';
import { convosoError, CONVOSO_ERRORS, FORBIDDEN, renderConvosoResult, type ConvosoAnswer } from './render.js';
import { convosoInsertParams, refusedFields } from './schemas.js';

export interface ConvosoDeps extends PipelineDeps {
  gate: AdmissionGate;
  rules: RulesProvider;
  config: { isApiKey: ApiKeyCheck; maxBodyBytes: number };
}

type Env = { Variables: AppVariables };

/** Parameters that steer the insert; every other parameter is a lead field. */
const CONTROL_PARAMS = new Set(['auth_token', 'list_id', 'phone_number', 'phone_code', 'check_dup', 'check_dnc', 'update_if_found']);
const CHECK_DUP: Record<string, DedupeScope> = { '0': 'none', '1': 'global', '2': 'allocation', '3': 'campaign' };

/** Every parameter that is not a control parameter is a lead field; the phone goes to the template's first phone field. */
function leadFields(p: Record<string, string>, phoneField: string): Record<string, string> {
  const lead: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(p)) if (!CONTROL_PARAMS.has(name) && name !== 'lead_id' && name !== 'status') lead[name] = value;
  const phone = convosoPhone(p.phone_number, p.phone_code);
  if (phone) lead[phoneField] = phone;
  return lead;
}

function send(c: Context<Env>, answer: ConvosoAnswer) {
  const code = answer.body.code;
  c.set('resultCode', typeof code === 'number' ? code : 0);
  if (answer.retryAfterSeconds !== undefined) c.header('Retry-After', String(answer.retryAfterSeconds));
  return c.json(answer.body, answer.status);
}

/** The Convoso lead API (SPEC 4), mounted at /v1. */
export function createConvosoRoutes(deps: ConvosoDeps): Hono<Env> {
  const routes = new Hono<Env>();

  routes.post('/leads/insert', async (c) => {
    const read = await readConvosoParams(c.req.raw, deps.config.maxBodyBytes);
    if (!read.ok) return send(c, renderConvosoResult(failure(read.reason === 'tooLarge' ? 203 : 204, read.detail)));
    const p = read.params;
    if (!(await deps.config.isApiKey(p.auth_token))) return send(c, FORBIDDEN);
    if (!p.list_id?.trim() || !p.phone_number?.trim()) return send(c, convosoError(CONVOSO_ERRORS.missingPhoneOrList));
    // the schema checks the formats; the answers come in the dialect's order, with its codes
    const refused = refusedFields(convosoInsertParams.safeParse(p));
    const rules = deps.rules.current();
    const allocation = refused.has('list_id') ? undefined : rules.dialer.allocations.get(Number(p.list_id.trim()));
    if (!allocation) return send(c, convosoError(CONVOSO_ERRORS.noSuchList));
    if (refused.has('email')) return send(c, convosoError(CONVOSO_ERRORS.invalidEmail));
    const checkDup = p.check_dup?.trim();
    if (refused.has('check_dup')) return send(c, renderConvosoResult(failure(204, `check_dup must be 0, 1, 2 or 3, got '${checkDup}'`)));

    const template = allocation.campaign.template;
    const lead = leadFields(p, template.phoneFields[0]!);

    const dedupe = checkDup ? CHECK_DUP[checkDup]! : template.dedupe;
    const admitted = await deps.gate.run(async () => {
      const [result] = await insertLeads(deps, {
        entry: 'convoso',
        rules,
        target: { template, campaign: allocation.campaign, allocation },
        allowDuplicates: false,
        dedupe,
        leads: [lead],
      });
      // update_if_found: a phone duplicate (not a skip by the duplicate-check table) updates the lead that has the phone
      if (p.update_if_found?.trim() !== '1' || result!.code !== 105 || result!.rule || dedupe === 'none') return result!;
      const phone = convosoPhone(p.phone_number, p.phone_code);
      const parsed = phone ? parsePhone(phone, template.country) : undefined;
      const existing = parsed?.kind === 'valid' ? await deps.store.findLeadByPhone([parsed.e164], dedupe, { campaignId: allocation.campaign.id, allocationId: allocation.id }) : null;
      if (!existing) return result!;
      const updated = await updateLeadFields(deps, { rules, leadId: existing, fields: lead, source: 'convoso' });
      return updated.code === 'notFound' ? result! : updated;
    });
    if (!admitted.admitted) return send(c, renderConvosoResult(failure(109, 'too many concurrent requests; retry later')));
    return send(c, renderConvosoResult(admitted.value));
  });

  addConvosoLookupRoutes(routes, deps, send);

  routes.onError((error, c) => {
    c.get('log')?.error({ event: 'http.unhandled_error', err: error }, 'unhandled error');
    if (error instanceof StoreUnavailableError) return send(c, renderConvosoResult(failure(207)));
    return send(c, renderConvosoResult(failure(103, `server error; quote request id ${c.get('requestId') ?? 'unknown'} to support`)));
  });
  return routes;
}
