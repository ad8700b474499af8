import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import type { Metrics } from '../ops/metrics.js';
import type { AppVariables } from './request-log.js';

/** Counts every request by its route pattern (never the raw path: bounded labels), status and result code. */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<{ Variables: AppVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.res.status === 404 ? 'unmatched' : routeLabel(c);
    metrics.request(route, c.res.status, String(c.get('resultCode') ?? '-'), (performance.now() - started) / 1000);
  };
}

/**
 * The pattern of the route registered for the request's own method, so an answer replayed by the
 * idempotency middleware counts under its endpoint; when there is none, the route that answered
 * (a catch-all, such as the CampaignAPI's 405 for other methods). The last matched route is not it:
 * catch-alls registered after the endpoints match too.
 */
function routeLabel(c: Context): string {
  return matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1)?.path ?? routePath(c);
}
