import type { Context, Hono } from 'hono';
import { parsePhone } from '../../leads/phone.js';
import type { AppVariables } from '../../http/request-log.js';
import { failure } from '../../pipeline/lead-result.js';
import { pingLead } from '../../pipeline/ping-lead.js';
import { recheckLead } from '../../pipeline/recheck-lead.js';
import { updateLeadFields } from '../../pipeline/update-fields.js';
import type { StoredLead } from '../../pipeline/ports.js';
import { readConvosoParams } from './params.js';
import { convosoPhone } from './phone.js';
import { convosoError, CONVOSO_ERRORS, FORBIDDEN, renderConvosoResult, type ConvosoAnswer } from './render.js';
import { convosoDncParams, convosoDncSearchParams, convosoSearchParams, convosoValidationQuery, refusedFields } from './schemas.js';
import type { ConvosoDeps } from './routes.js';

type Env = { Variables: AppVariables };
type Handler = (c: Context<Env>, p: Record<string, string>) => Promise<ConvosoAnswer>;

const MAX_LIMIT = 2000;
const ok = (data: Record<string, unknown>): ConvosoAnswer => ({ status: 200, body: { success: true, data } });
const refuse = (code: number, text: string): ConvosoAnswer => convosoError({ code, text });

function page(p: Record<string, string>): { offset: number; limit: number } | ConvosoAnswer {
  const offset = p.offset?.trim() ? Number(p.offset) : 0;
  const limit = p.limit?.trim() ? Number(p.limit) : 100;
  if (!Number.isInteger(offset) || offset < 0) return refuse(204, 'offset must be a whole number ≥ 0');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return refuse(204, `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return { offset, limit };
}

function time(text: string | undefined, name: string): Date | undefined | ConvosoAnswer {
  if (!text?.trim()) return undefined;
  const at = new Date(text.trim().replace(' ', 'T'));
  return Number.isNaN(at.getTime()) ? refuse(204, `${name} is not a date`) : at;
}

const isAnswer = (value: unknown): value is ConvosoAnswer => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/** The phone of a request as E.164, when it is one (any region: the code says which). */
function e164Of(p: Record<string, string>): string | undefined | null {
  const raw = convosoPhone(p.phone_number, p.phone_code);
  if (raw === undefined) return undefined;
  const parsed = parsePhone(raw, 'US');
  return parsed.kind === 'valid' ? parsed.e164 : null;
}

function leadEntry(lead: StoredLead & { createdAt: Date }) {
  return {
    ...lead.fields,
    id: lead.id,
    status: lead.status,
    phone_number: lead.phones[0] ?? null,
    list_id: String(lead.allocationId),
    campaign_id: String(lead.campaignId),
    external_id: lead.externalId,
    disposition: lead.disposition,
    state: lead.state,
    created_at: lead.createdAt.toISOString(),
  };
}

/** /v1 lead update, search, DNC and the lead-validation ping (SPEC 4). */
export function addConvosoLookupRoutes(routes: Hono<Env>, deps: ConvosoDeps, send: (c: Context<Env>, answer: ConvosoAnswer) => Response): void {
  const route = (method: 'get' | 'post', path: string, handler: Handler) =>
    routes[method](path, async (c) => {
      const read = await readConvosoParams(c.req.raw, deps.config.maxBodyBytes);
      if (!read.ok) return send(c, renderConvosoResult(failure(read.reason === 'tooLarge' ? 203 : 204, read.detail)));
      if (!(await deps.config.isApiKey(read.params.auth_token))) return send(c, FORBIDDEN);
      return send(c, await handler(c, read.params));
    });

  route('post', '/leads/update', async (_c, p) => {
    const leadId = p.lead_id?.trim();
    if (!leadId) return refuse(6001, 'No such Lead');
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(p)) if (!['auth_token', 'lead_id', 'phone_number', 'phone_code'].includes(name)) fields[name] = value;
    const rules = deps.rules.current();
    const lead = await deps.store.findLeadById(leadId);
    const template = lead ? rules.dialer.templates.get(lead.templateId) : undefined;
    const phone = convosoPhone(p.phone_number, p.phone_code);
    if (phone && template) fields[template.phoneFields[0]!] = phone;
    const admitted = await deps.gate.run(() => updateLeadFields(deps, { rules, leadId, fields, source: 'convoso' }));
    if (!admitted.admitted) return renderConvosoResult(failure(109, 'too many concurrent requests; retry later'));
    const result = admitted.value;
    if (result.code === 'notFound') return refuse(6001, 'No such Lead');
    return renderConvosoResult(result);
  });

  route('post', '/leads/search', async (_c, p) => {
    const paging = page(p);
    if (isAnswer(paging)) return paging;
    const e164 = e164Of(p);
    if (e164 === null) return convosoError({ code: 6008, text: 'The phone number is invalid' });
    const from = time(p.created_at_start, 'created_at_start');
    const to = time(p.created_at_end, 'created_at_end');
    if (isAnswer(from)) return from;
    if (isAnswer(to)) return to;
    if (refusedFields(convosoSearchParams.safeParse(p)).has('list_id')) return convosoError(CONVOSO_ERRORS.noSuchList);
    const listId = p.list_id?.trim();
    const found = await deps.store.searchLeads({
      e164,
      allocationId: listId ? Number(listId) : undefined,
      status: p.status?.trim() || undefined,
      createdFrom: from,
      createdTo: to,
      ...paging,
    });
    return ok({ ...paging, total: found.total, entries: found.entries.map(leadEntry) });
  });

  /** campaign_id as a DNC scope; the schema says which texts are ids, the rules which ids exist. */
  const dncScope = (p: Record<string, string>, schema: typeof convosoDncParams | typeof convosoDncSearchParams): number | ConvosoAnswer => {
    const text = p.campaign_id?.trim() || '0';
    if (refusedFields(schema.safeParse(p)).has('campaign_id')) return refuse(117, `campaign_id must be 0 (global) or a campaign id, got '${text}'`);
    const id = Number(text);
    if (id !== 0 && !deps.rules.current().dialer.campaigns.has(id)) return refuse(117, `campaign ${id} does not exist`);
    return id;
  };

  route('post', '/dnc/insert', async (_c, p) => {
    const e164 = e164Of(p);
    if (!e164) return convosoError({ code: 6008, text: 'The phone number is invalid' });
    const campaignId = dncScope(p, convosoDncParams);
    if (isAnswer(campaignId)) return campaignId;
    const added = await deps.store.addDnc([{ e164, campaignId, reason: p.reason?.trim() || null, source: 'convoso' }]);
    return ok({ phone_number: e164, campaign_id: String(campaignId), inserted: added === 1 });
  });

  route('post', '/dnc/search', async (_c, p) => {
    const paging = page(p);
    if (isAnswer(paging)) return paging;
    const e164 = e164Of(p);
    if (e164 === null) return convosoError({ code: 6008, text: 'The phone number is invalid' });
    const campaignId = p.campaign_id?.trim() ? dncScope(p, convosoDncSearchParams) : undefined;
    if (isAnswer(campaignId)) return campaignId;
    const found = await deps.store.findDnc({ e164, campaignId, ...paging });
    const entries = found.entries.map((e) => ({ phone_number: e.e164, campaign_id: String(e.campaignId), reason: e.reason, source: e.source, created_at: e.createdAt.toISOString() }));
    return ok({ ...paging, total: found.total, entries });
  });

  route('post', '/dnc/delete', async (_c, p) => {
    const e164 = e164Of(p);
    if (!e164) return convosoError({ code: 6008, text: 'The phone number is invalid' });
    const campaignId = dncScope(p, convosoDncParams);
    if (isAnswer(campaignId)) return campaignId;
    return ok({ phone_number: e164, campaign_id: String(campaignId), deleted: await deps.store.removeDnc(e164, campaignId) });
  });

  route('post', '/workflow/leads/:leadId/check', async (c) => {
    const result = await recheckLead(deps, { rules: deps.rules.current(), leadId: c.req.param('leadId') ?? '' });
    if (result.kind === 'notFound') return refuse(6001, 'No such Lead');
    if (result.kind === 'noTable') return refuse(204, 'no duplicate-check table is enabled');
    if (result.kind === 'unavailable') return renderConvosoResult(failure(206, `the CRM could not be asked (${result.reason}); retry later`));
    return { status: 200, body: result.decision };
  });

  route('get', '/lead-validation/search', async (_c, p) => {
    if (!p.list_id?.trim() || !p.phone_number?.trim()) return convosoError(CONVOSO_ERRORS.missingPhoneOrList);
    const allocation = refusedFields(convosoValidationQuery.safeParse(p)).has('list_id') ? undefined : deps.rules.current().dialer.allocations.get(Number(p.list_id.trim()));
    if (!allocation) return convosoError(CONVOSO_ERRORS.noSuchList);
    const template = allocation.campaign.template;
    const lead: Record<string, string> = {};
    for (const [name, value] of Object.entries(p)) if (!['auth_token', 'list_id', 'phone_number', 'phone_code', 'check_dup', 'check_dnc'].includes(name)) lead[name] = value;
    lead[template.phoneFields[0]!] = convosoPhone(p.phone_number, p.phone_code)!;
    const verdict = await pingLead(deps, { rules: deps.rules.current(), target: { template, campaign: allocation.campaign, allocation }, lead });
    const body = verdict.accepted
      ? { success: true, result: 'Accepted', reason: null, status: verdict.status, external_validation: verdict.success }
      : { success: true, result: 'Denied', reason: verdict.reason, code: verdict.code };
    return { status: 200, body };
  });
}
