import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import type { ApiKeyRegistry } from '../http/api-keys.js';
import { parseJsonBody } from '../http/json-body.js';
import { readBodyLimited } from '../http/read-body.js';
import type { AppVariables } from '../http/request-log.js';
import { parsePhone } from '../leads/phone.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import type { AdminStore, AuditEntry } from './ports.js';
import { apiKeyCreateBody, apiKeyIdParam, auditQuery, decisionsQuery, dncAddBody, dncDeleteQuery, issuesText } from './schemas.js';

export interface RecordRoutesDeps {
  rules: RulesProvider;
  /** absent in a deployment that was built without the admin store */
  store?: AdminStore;
  apiKeys?: ApiKeyRegistry;
  actor: string;
  maxBodyBytes: number;
}

export type Env = { Variables: AppVariables };

const NO_STORE = { error: 'this deployment has no admin store' };
/** The source written on DNC entries added through the admin API. */
export const ADMIN_DNC_SOURCE = 'admin';

/** The query or body parsed by its schema, or the 400 that says what is wrong. */
export function parsed<S extends z.ZodType>(c: Context<Env>, schema: S, input: unknown, what: string): { value: z.output<S> } | { refused: Response } {
  const result = schema.safeParse(input);
  return result.success ? { value: result.data } : { refused: c.json({ error: `invalid ${what}: ${issuesText(result.error)}` }, 400) };
}

export async function jsonBody(c: Context<Env>, maxBytes: number): Promise<{ value: unknown } | { refused: Response }> {
  const body = await readBodyLimited(c.req.raw, maxBytes);
  if (!body.ok) return { refused: c.json({ error: body.reason === 'tooLarge' ? 'the body is too large' : 'the body must be UTF-8' }, body.reason === 'tooLarge' ? 413 : 400) };
  if (body.text.trim() === '') return { value: {} };
  const json = parseJsonBody(body.text);
  return json.ok ? { value: json.value } : { refused: c.json({ error: json.detail }, 400) };
}

/**
 * A phone in any form the template's country reads, as E.164: the campaign's template when one
 * is named, else the given template, else the first one.
 */
export function e164Of(rules: RulesProvider, phone: string, by: { campaignId?: number; templateId?: number }): { e164: string } | { error: string; status: 400 | 422 } {
  const dialer = rules.current().dialer;
  const campaign = by.campaignId ? dialer.campaigns.get(by.campaignId) : undefined;
  // a well-formed id naming nothing is a request the rules cannot serve, not a malformed one
  if (by.campaignId && !campaign) return { error: `campaignId ${by.campaignId} names no campaign`, status: 422 };
  const template = campaign?.template ?? (by.templateId === undefined ? dialer.templates.values().next().value : dialer.templates.get(by.templateId));
  if (!template) return { error: `templateId ${by.templateId} names no template`, status: 400 };
  const result = parsePhone(phone, template.country);
  return result.kind === 'valid' ? { e164: result.e164 } : { error: `phone: '${phone}' is not a phone number (read with country ${template.country})`, status: 400 };
}

/** The audit entry of an admin write by `actor`, with the request's id. */
export const auditEntryFor =
  (actor: string) =>
  (c: Context<Env>, action: string, target: string, detail?: Record<string, unknown>): AuditEntry => ({
    actor,
    action,
    target,
    ...(detail ? { detail } : {}),
    requestId: c.get('requestId'),
  });

/** A list filter's optional phone, in any form the template's country parses: its E.164, or the refusal to answer. */
export function phoneFilter(c: Context<Env>, rules: RulesProvider, phone: string | undefined, templateId: number | undefined): { e164: string | undefined } | { refused: Response } {
  if (phone === undefined) return { e164: undefined };
  const normalised = e164Of(rules, phone, { templateId });
  return 'error' in normalised ? { refused: c.json({ error: normalised.error }, normalised.status) } : { e164: normalised.e164 };
}

const iso = <T extends { createdAt: Date }>(entry: T) => ({ ...entry, createdAt: entry.createdAt.toISOString() });

/** Decisions, DNC entries, API keys and the audit log (SPEC 7): validate, call the store, answer. */
export function createRecordRoutes(deps: RecordRoutesDeps): Hono<Env> {
  const routes = new Hono<Env>();
  const audit = auditEntryFor(deps.actor);

  routes.get('/decisions', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const q = parsed(c, decisionsQuery, c.req.query(), 'query');
    if ('refused' in q) return q.refused;
    const { phone, templateId, ...filter } = q.value;
    const byPhone = phoneFilter(c, deps.rules, phone, templateId);
    if ('refused' in byPhone) return byPhone.refused;
    const { e164 } = byPhone;
    const found = await deps.store.findDecisions({ ...filter, e164 });
    return c.json({ offset: filter.offset, limit: filter.limit, total: found.total, entries: found.entries.map(iso) });
  });

  routes.post('/dnc', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const body = await jsonBody(c, deps.maxBodyBytes);
    if ('refused' in body) return body.refused;
    const input = parsed(c, dncAddBody, body.value, 'body');
    if ('refused' in input) return input.refused;
    const { phone, reason, campaignId = 0 } = input.value;
    const normalised = e164Of(deps.rules, phone, { campaignId });
    if ('error' in normalised) return c.json({ error: normalised.error }, normalised.status);
    const added = await deps.store.addDnc(
      { e164: normalised.e164, campaignId, reason, source: ADMIN_DNC_SOURCE },
      audit(c, 'POST /admin/dnc', normalised.e164, { campaignId, reason }),
    );
    return c.json({ phone: normalised.e164, campaignId, added }, added ? 201 : 200);
  });

  routes.delete('/dnc', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const q = parsed(c, dncDeleteQuery, c.req.query(), 'query');
    if ('refused' in q) return q.refused;
    const { phone, campaignId = 0 } = q.value;
    const normalised = e164Of(deps.rules, phone, { campaignId });
    if ('error' in normalised) return c.json({ error: normalised.error }, normalised.status);
    const removed = await deps.store.removeDnc(normalised.e164, campaignId, audit(c, 'DELETE /admin/dnc', normalised.e164, { campaignId }));
    if (!removed) return c.json({ error: `${normalised.e164} is not on the DNC list of campaign ${campaignId}` }, 404);
    return c.json({ phone: normalised.e164, campaignId, removed: true });
  });

  routes.get('/api-keys', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const keys = await deps.store.listApiKeys();
    return c.json({ keys: keys.map((k) => ({ ...iso(k), revokedAt: k.revokedAt?.toISOString() ?? null })) });
  });

  routes.post('/api-keys', async (c) => {
    if (!deps.apiKeys) return c.json(NO_STORE, 501);
    const body = await jsonBody(c, deps.maxBodyBytes);
    if ('refused' in body) return body.refused;
    const input = parsed(c, apiKeyCreateBody, body.value, 'body');
    if ('refused' in input) return input.refused;
    const label = input.value.label ?? null;
    const created = await deps.apiKeys.create(label, (id) => audit(c, 'POST /admin/api-keys', id, { label }));
    c.header('cache-control', 'no-store');
    return c.json(created, 201);
  });

  routes.delete('/api-keys/:id', async (c) => {
    if (!deps.apiKeys) return c.json(NO_STORE, 501);
    const p = parsed(c, apiKeyIdParam, { id: c.req.param('id') }, 'key id');
    if ('refused' in p) return p.refused;
    const revoked = await deps.apiKeys.revoke(p.value.id, audit(c, 'DELETE /admin/api-keys/{id}', p.value.id));
    if (!revoked) return c.json({ error: `no live API key with id ${p.value.id}` }, 404);
    return c.json({ id: p.value.id, revoked: true });
  });

  routes.get('/audit', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const q = parsed(c, auditQuery, c.req.query(), 'query');
    if ('refused' in q) return q.refused;
    const found = await deps.store.listAudit(q.value);
    return c.json({ offset: q.value.offset, limit: q.value.limit, total: found.total, entries: found.entries.map(iso) });
  });
  return routes;
}
