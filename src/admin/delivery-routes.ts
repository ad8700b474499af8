import { Hono } from 'hono';
import type { DeliveryAdminStore, DeliveryAttemptRecord, DeliverySummary, RetryFilter } from '../forward/delivery-admin.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { auditEntryFor, jsonBody, parsed, phoneFilter, type Env } from './record-routes.js';
import { deliveriesQuery, deliveriesRetryBody, deliveryIdParam } from './schemas.js';

export interface DeliveryRoutesDeps {
  rules: RulesProvider;
  /** absent in a deployment without the deliveries store */
  store?: DeliveryAdminStore;
  actor: string;
  maxBodyBytes: number;
}

const NO_STORE = { error: 'this deployment has no deliveries store' };
/** A bulk retry names what it retries: an empty filter would requeue every dead and refused delivery at once. */
export const RETRY_FILTER_REQUIRED = 'give at least one of state, destination or from: to retry every dead and refused delivery, send {"state": "dead"} and {"state": "refused"}';

/** SPEC 10.3's shape: ids as strings, times ISO 8601. */
export function deliveryJson(d: DeliverySummary) {
  return { ...d, nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() };
}
/** A retry filter as the audit log records it. */
export function describeRetryFilter(filter: RetryFilter): Record<string, string | null> {
  return { state: filter.state ?? null, destination: filter.destination ?? null, from: filter.from?.toISOString() ?? null, to: filter.to?.toISOString() ?? null };
}

const attemptJson = (a: DeliveryAttemptRecord) => ({ ...a, at: a.at.toISOString() });

/** Deliveries to the dialer (SPEC 10.3): list, look at one with its attempts, put dead or refused ones back in the queue. */
export function createDeliveryRoutes(deps: DeliveryRoutesDeps): Hono<Env> {
  const routes = new Hono<Env>();
  const audit = auditEntryFor(deps.actor);

  routes.get('/deliveries', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const q = parsed(c, deliveriesQuery, c.req.query(), 'query');
    if ('refused' in q) return q.refused;
    const { phone, templateId, ...filter } = q.value;
    const byPhone = phoneFilter(c, deps.rules, phone, templateId);
    if ('refused' in byPhone) return byPhone.refused;
    const { e164 } = byPhone;
    const found = await deps.store.list({ ...filter, phone: e164 });
    return c.json({ total: found.total, deliveries: found.deliveries.map(deliveryJson) });
  });

  routes.post('/deliveries/retry', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const body = await jsonBody(c, deps.maxBodyBytes);
    if ('refused' in body) return body.refused;
    const input = parsed(c, deliveriesRetryBody, body.value, 'body');
    if ('refused' in input) return input.refused;
    const filter = input.value;
    if (!filter.state && !filter.destination && !filter.from) return c.json({ error: RETRY_FILTER_REQUIRED }, 400);
    const retried = await deps.store.retryMany(filter, audit(c, 'POST /admin/deliveries/retry', filter.destination ?? '*', { filter: describeRetryFilter(filter) }));
    return c.json({ retried });
  });

  routes.get('/deliveries/:id', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const p = parsed(c, deliveryIdParam, { id: c.req.param('id') }, 'delivery id');
    if ('refused' in p) return p.refused;
    const found = await deps.store.get(p.value.id);
    if (!found) return c.json({ error: `no delivery with id ${p.value.id}` }, 404);
    const { attempts, ...summary } = found;
    return c.json({ ...deliveryJson(summary), attempts: attempts.map(attemptJson) });
  });

  routes.post('/deliveries/:id/retry', async (c) => {
    if (!deps.store) return c.json(NO_STORE, 501);
    const p = parsed(c, deliveryIdParam, { id: c.req.param('id') }, 'delivery id');
    if ('refused' in p) return p.refused;
    const { id } = p.value;
    const result = await deps.store.retry(id, audit(c, 'POST /admin/deliveries/{id}/retry', id));
    if (result === 'notFound') return c.json({ error: `no delivery with id ${id}` }, 404);
    if (result === 'notRetryable') return c.json({ error: `delivery ${id} is queued or delivered: only dead or refused deliveries can be retried` }, 409);
    return c.json({ id, state: 'queued' as const });
  });
  return routes;
}
