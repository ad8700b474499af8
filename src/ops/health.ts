import { Hono } from 'hono';
import type { RulesProvider } from '../ruleset/rules-holder.js';

export interface HealthDeps {
  ping: () => Promise<void>;
  rules: RulesProvider;
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

/** Liveness (the process answers) and readiness (the store answers and rules are loaded). */
export function createHealthRoutes(deps: HealthDeps): Hono {
  const routes = new Hono();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', async (c) => {
    let store = 'ok';
    try {
      await withTimeout(deps.ping(), deps.readyTimeoutMs ?? 2000);
    } catch (error) {
      store = error instanceof Error ? error.message : 'unreachable';
    }
    const rules = deps.rules.current().files.length > 0 ? 'ok' : 'not loaded';
    const ready = store === 'ok' && rules === 'ok';
    return c.json({ status: ready ? 'ready' : 'not ready', checks: { store, rules } }, ready ? 200 : 503);
  });
  return routes;
}
