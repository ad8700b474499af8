import postgres from 'postgres';
import { createApp } from '../app.js';
import { parseWorkerEnv, stringBindings } from '../config/worker-env.js';
import { bootstrapApiKeys, createApiKeyCheck } from '../http/api-keys.js';
import { createOutboxWorker, type OutboxWorker } from '../outbox/worker.js';
import { RuleLoadError } from '../ruleset/rule-error.js';
import { ruleFilesFrom } from '../ruleset/rule-file.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { RulesHolder } from '../ruleset/rules-holder.js';
import { postgresRunner } from '../store/backends/postgres-runner.js';
import { createRequestScope, type RequestScope } from '../store/backends/request-scope.js';
import { createOutboxStore } from '../store/outbox-store.js';
import { createDeliveryStore } from '../store/delivery-store.js';
import { NO_GROUP_COMMIT } from '../store/group-commit.js';
import { createDeliveryWorker, type DeliveryWorker } from '../forward/delivery-worker.js';
import { createFetchTransport } from '../crm/fetch-transport.js';
import type { Forwarding } from '../pipeline/forwarding.js';
import { createIdempotencyPurge, type IdempotencyPurge } from '../store/idempotency-purge.js';
import { createIdempotencyStore } from '../store/idempotency-store.js';
import { createConsoleLogger } from './console-logger.js';
import { RULE_FILES, RULES_SOURCE } from './generated/rule-files.js';
import { buildWorkerDeps } from './worker-deps.js';
import type { ExecutionContext, HyperdriveBinding, ScheduledController } from './workers-runtime.js';

/**
 * Cloudflare Workers entry: bindings → the same createApp as Node. Built once per isolate: the
 * rules (bundled at build time, compiled here with the secrets from the bindings), the app, the
 * CRM client over the platform fetch. Per request: a postgres.js client on the Hyperdrive
 * connection string, closed after the answer. Migrations are not run here (`leadgate migrate`
 * runs them before a deploy).
 */
export interface WorkerBindings {
  HYPERDRIVE: HyperdriveBinding;
  [name: string]: unknown;
}

interface Isolate {
  fetch: (request: Request) => Response | Promise<Response>;
  scope: RequestScope;
  outbox: OutboxWorker;
  purge: IdempotencyPurge;
  deliveries: DeliveryWorker;
  /** a request queued deliveries: their first attempt runs after the answer (waitUntil) */
  takeNudge(): boolean;
}

let built: { isolate: Isolate } | { error: Error } | undefined;

function buildIsolate(env: WorkerBindings): Isolate {
  const bindings = stringBindings(env);
  const settings = parseWorkerEnv(bindings);
  const logger = createConsoleLogger(settings.LOG_LEVEL);
  // The same file list and compile step as the Node loader; `${env:NAME}` comes from the bindings.
  const loaded = compileRuleSet(ruleFilesFrom(RULE_FILES.map((f) => [f.path, f.text] as const)), bindings);
  if (!loaded.ok) throw new RuleLoadError(loaded.errors);
  const rules = new RulesHolder(loaded.rules);

  // no admin store on Workers: only bootstrap keys
  const apiKeys = bootstrapApiKeys(
    { keys: settings.LEADGATE_API_KEYS, demo: settings.LEADGATE_DEMO, storedKeys: false, missingKeysHint: 'LEADGATE_API_KEYS (wrangler secret put LEADGATE_API_KEYS)' },
    logger,
  );

  const scope = createRequestScope();
  // No timers on Workers: the first attempt runs in the request's waitUntil, retries in the cron pass.
  const deliveries = createDeliveryWorker({
    // each request settles its own calls (see NO_GROUP_COMMIT)
    store: createDeliveryStore(scope.runner, { settleGrouping: NO_GROUP_COMMIT }),
    rules,
    transport: createFetchTransport(),
    logger,
  });
  let nudged = false;
  const forwarding: Forwarding = {
    nudge: () => void (nudged = true),
    deliverNow: (leadId, destination, timeoutMs) => deliveries.deliverNow(leadId, destination, timeoutMs),
  };
  const deps = buildWorkerDeps({
    forwarding,
    runner: scope.runner,
    rules,
    logger,
    config: {
      isApiKey: createApiKeyCheck(apiKeys),
      maxBatch: settings.LEADGATE_MAX_BATCH,
      maxBodyBytes: settings.LEADGATE_MAX_BODY_BYTES,
      demo: settings.LEADGATE_DEMO,
      adminToken: settings.LEADGATE_ADMIN_TOKEN,
    },
    admission: { slots: settings.LEADGATE_MAX_CONCURRENCY, queueTimeoutMs: settings.LEADGATE_QUEUE_TIMEOUT_MS },
  });
  const app = createApp(deps);
  const outbox = createOutboxWorker({ store: createOutboxStore(scope.runner), crm: deps.crm, rules, logger });
  const purge = createIdempotencyPurge({ store: createIdempotencyStore(scope.runner), logger });
  logger.info({ event: 'isolate.ready', rules: RULES_SOURCE, files: loaded.rules.files.length }, 'leadgate isolate ready');
  const takeNudge = () => {
    const was = nudged;
    nudged = false;
    return was;
  };
  return { fetch: (request) => app.fetch(request), scope, outbox, purge, deliveries, takeNudge };
}

/** A configuration error is kept for the isolate's life: every request answers it, nothing half-starts. */
function isolateFor(env: WorkerBindings): { isolate: Isolate } | { error: Error } {
  if (!built) {
    try {
      built = { isolate: buildIsolate(env) };
    } catch (error) {
      built = { error: error instanceof Error ? error : new Error(String(error)) };
      console.error(JSON.stringify({ level: 'fatal', event: 'isolate.config_error', msg: built.error.message }));
    }
  }
  return built;
}

/**
 * How long the delivery passes keep claiming: the first attempt after a request for 10 s of the
 * 30 s that waitUntil may run; the cron pass for most of the minute until the next trigger. A
 * round started within the budget finishes its calls (at most the destination's timeoutMs).
 */
const AFTER_REQUEST_BUDGET_MS = 10_000;
const CRON_PASS_BUDGET_MS = 50_000;

/** Hyperdrive pools the real connections, so a handful per request is enough (Cloudflare's advice). */
function openSql(env: WorkerBindings): postgres.Sql {
  return postgres(env.HYPERDRIVE.connectionString, { max: 5, connect_timeout: 5, onnotice: () => {} });
}

export default {
  async fetch(request: Request, env: WorkerBindings, ctx: ExecutionContext): Promise<Response> {
    const state = isolateFor(env);
    if ('error' in state) {
      return Response.json({ error: 'leadgate is misconfigured; the Worker log names the problem' }, { status: 500 });
    }
    const { isolate } = state;
    const sql = openSql(env);
    try {
      return await isolate.scope.run(postgresRunner(sql), () => isolate.fetch(request));
    } finally {
      // The answer does not wait for the dialer; the first attempt of what it queued runs after it.
      const firstAttempt = isolate.takeNudge() ? isolate.scope.run(postgresRunner(sql), () => isolate.deliveries.runOnce(AFTER_REQUEST_BUDGET_MS)).catch(() => 0) : Promise.resolve(0);
      ctx.waitUntil(firstAttempt.finally(() => sql.end({ timeout: 5 })));
    }
  },

  /**
   * Cron Trigger: one outbox delivery pass (the Node server polls every second instead), one
   * purge pass of expired idempotency keys (Node: every five minutes) and one pass of the dialer
   * delivery queue (retries coming due, work the waitUntil attempt left), each whatever the others do.
   */
  async scheduled(_controller: ScheduledController, env: WorkerBindings, ctx: ExecutionContext): Promise<void> {
    const state = isolateFor(env);
    if ('error' in state) throw state.error;
    const { scope, outbox, purge, deliveries } = state.isolate;
    const sql = openSql(env);
    try {
      const passes = await scope.run(postgresRunner(sql), () => Promise.allSettled([outbox.runOnce(), purge.runOnce(), deliveries.runOnce(CRON_PASS_BUDGET_MS)]));
      for (const pass of passes) if (pass.status === 'rejected') throw pass.reason;
    } finally {
      ctx.waitUntil(sql.end({ timeout: 5 }));
    }
  },
};
