import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { RESULT_CODES, RETRY_AFTER_SECONDS } from '../../codes.js';
import { onceByKey, type IdempotencyStore } from '../../http/idempotency.js';
import { parseJsonBody } from '../../http/json-body.js';
import { decodeUtf8, readBytesLimited } from '../../http/read-body.js';
import type { AppVariables } from '../../http/request-log.js';
import { isScalar, type LeadFields } from '../../leads/scalar.js';
import type { AdmissionGate } from '../../pipeline/admission-gate.js';
import { insertLeads, type PipelineDeps } from '../../pipeline/insert-leads.js';
import { failure, type LeadResult } from '../../pipeline/lead-result.js';
import { StoreUnavailableError } from '../../pipeline/ports.js';
import { updateLeadFields } from '../../pipeline/update-fields.js';
import type { RuleSet } from '../../ruleset/rule-set.js';
import type { RulesProvider } from '../../ruleset/rules-holder.js';
import type { CompiledSource } from '../../ruleset/sources.js';
import { standardHeader, verifySignature } from './verify-signature.js';

export interface HooksDeps extends PipelineDeps {
  gate: AdmissionGate;
  rules: RulesProvider;
  idempotency: IdempotencyStore;
  maxBodyBytes: number;
  now?: () => number;
}

type Env = { Variables: AppVariables };

const EVENT_TTL_MS = 7 * 24 * 3_600_000;

function firstScalar(values: unknown[]): LeadFields[string] | undefined {
  const value = values[0];
  return isScalar(value) ? value : undefined;
}

/** The payload mapped to a lead by the source's JSONPath fields; unmatched paths leave the field out. */
function leadFrom(source: CompiledSource, payload: unknown): LeadFields {
  const lead: LeadFields = {};
  for (const { field, path } of source.fields) {
    const value = firstScalar(path.values(payload));
    if (value !== undefined) lead[field] = value;
  }
  return lead;
}

async function apply(deps: HooksDeps, rules: RuleSet, source: CompiledSource, lead: LeadFields): Promise<LeadResult> {
  const allocation = rules.dialer.allocations.get(source.allocationId)!;
  const target = { template: allocation.campaign.template, campaign: allocation.campaign, allocation };
  if (source.action === 'upsert') {
    const key = Object.keys(lead).find((k) => k.toLowerCase() === 'njexternalleadid');
    const existing = key ? await deps.store.findLeadByExternalId(target.campaign.id, String(lead[key])) : null;
    if (existing) {
      const fields = Object.fromEntries(Object.entries(lead).filter(([k]) => !k.toLowerCase().startsWith('nj')));
      const result = await updateLeadFields(deps, { rules, leadId: existing.id, fields, source: `hook:${source.name}` });
      return result.code === 'notFound' ? failure(101, 'the lead disappeared during the update') : result;
    }
  }
  const [result] = await insertLeads(deps, { entry: 'hooks', rules, target, allowDuplicates: false, leads: [lead], sync: true });
  return result!;
}

function answer(c: Context<Env>, status: 200 | 400 | 401 | 404 | 413 | 422 | 503, body: Record<string, unknown>, retryAfter?: number) {
  if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
  return c.json(body, status);
}

/**
 * Inbound CRM webhooks (SPEC 3.4), `POST /hooks/:source`: verified on the raw body, mapped by
 * JSONPath, applied through the lead pipeline, and answered once per event id (a redelivery gets
 * the first answer and changes nothing). While the store is down the answer is 503 with
 * Retry-After, so the sender's retries deliver the event later.
 */
export function createHooksRoutes(deps: HooksDeps): Hono<Env> {
  const routes = new Hono<Env>();
  const now = deps.now ?? Date.now;

  routes.post('/:source', async (c) => {
    const rules = deps.rules.current();
    const source = rules.sources.get(c.req.param('source'));
    if (!source) return answer(c, 404, { error: 'unknown webhook source' });
    const raw = await readBytesLimited(c.req.raw, deps.maxBodyBytes);
    if (!raw.ok) return answer(c, 413, { error: `the body is larger than ${deps.maxBodyBytes} bytes` });
    const verified = verifySignature(source.scheme, (name) => c.req.header(name), raw.bytes, source.secrets, now());
    if (!verified.ok) return answer(c, 401, { error: `signature rejected: ${verified.reason}` });
    const text = decodeUtf8(raw.bytes);
    if (!text.ok) return answer(c, 400, { error: 'the body is not valid UTF-8' });
    const json = parseJsonBody(text.text);
    if (!json.ok) return answer(c, 400, { error: json.detail });
    const payload = json.value;
    const eventValue = source.eventId ? firstScalar(source.eventId.values(payload)) : standardHeader((name) => c.req.header(name), 'id');
    if (eventValue === undefined || eventValue === null || String(eventValue).trim() === '') return answer(c, 400, { error: 'the event has no id' });
    const eventId = String(eventValue);

    const requestHash = createHash('sha256').update(raw.bytes).digest('hex');
    const result = await onceByKey({ store: deps.idempotency, ttlMs: EVENT_TTL_MS, waitMs: 30_000, pollMs: 50 }, `hook:${source.name}:${createHash('sha256').update(eventId).digest('hex')}`, requestHash, async () => {
      const admitted = await deps.gate.run(() => apply(deps, rules, source, leadFrom(source, payload)));
      if (!admitted.admitted) return answer(c, 503, { error: 'too many concurrent requests; retry later' }, RETRY_AFTER_SECONDS);
      const lead = admitted.value;
      const body: Record<string, unknown> = { source: source.name, eventId, code: lead.code, message: RESULT_CODES[lead.code].message };
      if (lead.leadId !== undefined) body.leadId = lead.leadId;
      if (lead.code !== 0) body.description = lead.detail ?? RESULT_CODES[lead.code].description;
      if (lead.rule) body.rule = lead.rule;
      return RESULT_CODES[lead.code].http === 503 ? answer(c, 503, body, RETRY_AFTER_SECONDS) : answer(c, 200, body);
    });
    if (result === 'reused') return answer(c, 422, { error: `event ${eventId} was already delivered with a different body` });
    if (result === 'inProgress') return answer(c, 503, { error: `event ${eventId} is still being processed` }, RETRY_AFTER_SECONDS);
    return result;
  });

  routes.onError((error, c) => {
    const unavailable = error instanceof StoreUnavailableError;
    c.get('log')?.[unavailable ? 'warn' : 'error']({ event: unavailable ? 'store.unavailable' : 'http.unhandled_error', err: error }, 'webhook not applied');
    return answer(c, 503, { error: unavailable ? 'the lead store is unavailable; retry later' : `server error; quote request id ${c.get('requestId') ?? 'unknown'}` }, RETRY_AFTER_SECONDS);
  });
  return routes;
}
