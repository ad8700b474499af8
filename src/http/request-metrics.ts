import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Metrics } from '../ops/metrics.js';
import type { AppVariables } from './request-log.js';

/** Counts every request by its route pattern (never the raw path: bounded labels), status and result code. */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<{ Variables: AppVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.res.status === 404 ? 'unmatched' : routePath(c, -1);
    metrics.request(route, c.res.status, String(c.get('resultCode') ?? '-'), (performance.now() - started) / 1000);
  };
}
