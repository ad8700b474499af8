import { Hono } from 'hono';
import type { AppVariables } from '../http/request-log.js';
import type { Logger } from '../lib/logger.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';

export interface HealthDeps {
  ping: () => Promise<void>;
  rules: RulesProvider;
  /** where a failed store check's detail goes (the request's own logger when there is one) */
  logger: Logger;
  /** how long the store may take to answer before the process is reported not ready */
  readyTimeoutMs?: number;
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness (the process answers) and readiness (the store answers and rules are loaded). /readyz
 * is public (load balancers call it), so a failed store check answers only "unreachable": the
 * driver's message names hosts, ports, users and databases, and goes to the log instead.
 */
export function createHealthRoutes(deps: HealthDeps): Hono<{ Variables: AppVariables }> {
  const routes = new Hono<{ Variables: AppVariables }>();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', async (c) => {
    let store = 'ok';
    try {
      await withTimeout(deps.ping(), deps.readyTimeoutMs ?? 2000);
    } catch (error) {
      store = 'unreachable';
      (c.get('log') ?? deps.logger).warn({ event: 'readyz.store_unreachable', err: error }, 'readiness check: the store did not answer');
    }
    const rules = deps.rules.current().files.length > 0 ? 'ok' : 'not loaded';
    const ready = store === 'ok' && rules === 'ok';
    return c.json({ status: ready ? 'ready' : 'not ready', checks: { store, rules } }, ready ? 200 : 503);
  });
  return routes;
}
