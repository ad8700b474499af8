import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/entry/logger.js';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import { RuleLoadError } from '../../src/ruleset/rule-error.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { RulesHolder } from '../../src/ruleset/rules-holder.js';
import { buildNodeDeps } from '../../src/entry/node-deps.js';
import { openTestBackend, type TestBackend } from './test-backend.js';

export const API_KEY = 'test-key-5f1c';
export const ADMIN_TOKEN = 'admin-token-9d2e';
export const BASIC_RULES = fileURLToPath(new URL('../fixtures/rules/basic', import.meta.url));

export interface TestAppOptions {
  rulesDir?: string;
  backend?: TestBackend;
  maxBatch?: number;
  maxBodyBytes?: number;
  demo?: boolean;
  /** null switches the admin API off */
  adminToken?: string | null;
  admission?: { slots: number; queueTimeoutMs: number };
  /** environment for `${env:NAME}` in connects */
  env?: Record<string, string | undefined>;
  /** how often the delivery worker polls for due work (retries coming due, DNC fan-out); default 1 s */
  deliveryPollMs?: number;
  /** the delivery claims' lease beyond twice a destination's timeoutMs (default 30 s) */
  deliveryLeaseMarginMs?: number;
}

/** Captures log lines so tests can read what would have been logged. */
export function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

export async function loadRules(dir: string, env: Record<string, string | undefined> = {}) {
  const result = compileRuleSet(await readRulesDir(dir), env);
  if (!result.ok) throw new RuleLoadError(result.errors);
  return new RulesHolder(result.rules);
}

/** The real app over a real database, as the Node entry builds it, with test-sized knobs. */
export async function createTestApp(options: TestAppOptions = {}) {
  const backend = options.backend ?? (await openTestBackend());
  const rules = await loadRules(options.rulesDir ?? BASIC_RULES, options.env);
  const log = memoryLog();
  const deps = buildNodeDeps({
    backend,
    rules,
    logger: log.logger,
    config: {
      isApiKey: createApiKeyCheck([API_KEY]),
      maxBatch: options.maxBatch ?? 100,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      demo: options.demo ?? false,
      adminToken: options.adminToken === null ? undefined : (options.adminToken ?? ADMIN_TOKEN),
    },
    admission: options.admission ?? { slots: 32, queueTimeoutMs: 60_000 },
    deliveryPollMs: options.deliveryPollMs,
    // Only a folder the test made is editable: nothing may ever write to the shared fixtures.
    rulesFolder: options.rulesDir && options.rulesDir !== BASIC_RULES ? { dir: options.rulesDir, holder: rules, env: options.env } : undefined,
    deliveryLeaseMarginMs: options.deliveryLeaseMarginMs,
  });
  const app = createApp(deps);
  return {
    app,
    backend,
    rules,
    store: deps.store,
    admin: deps.admin,
    metrics: deps.metrics,
    reloader: deps.reloader,
    gate: deps.gate,
    crm: deps.crm,
    logger: log.logger,
    logLines: log.lines,
    /** the delivery worker: not started unless a test starts it */
    deliveries: deps.deliveries,
    async close() {
      await deps.deliveries.stop(1000);
      await deps.close();
      await backend.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

export interface NoojeeQuery {
  apiKey?: string | null;
  fTemplateId?: string | number | null;
  fCampaignId?: string | number | null;
  fAllocationId?: string | number | null;
  allowDuplicates?: string;
}

const DEFAULT_QUERY = { apiKey: API_KEY, fTemplateId: 1, fCampaignId: 10, fAllocationId: 100 };

export function noojeeUrl(endpoint: string, query: NoojeeQuery = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...DEFAULT_QUERY, ...query })) {
    if (v !== null && v !== undefined) params.set(k, String(v));
  }
  return `/servicemanager/rest/CampaignAPI/${endpoint}?${params}`;
}

/** POSTs `body` (JSON-encoded unless already a string) to a Noojee endpoint; returns status and JSON. */
export async function postNoojee(app: TestApp['app'], endpoint: string, body: unknown, query: NoojeeQuery = {}) {
  const response = await app.request(noojeeUrl(endpoint, query), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}
