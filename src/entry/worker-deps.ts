import type { AppConfig, AppDeps } from '../app.js';
import { createCrmClient } from '../crm/call-crm.js';
import { createFetchTransport } from '../crm/fetch-transport.js';
import type { Logger } from '../lib/logger.js';
import { createIsolateMetrics } from '../ops/isolate-metrics.js';
import { createAdmissionGate } from '../pipeline/admission-gate.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import type { Forwarding } from '../pipeline/forwarding.js';
import { NO_GROUP_COMMIT } from '../store/group-commit.js';
import { createIdempotencyStore } from '../store/idempotency-store.js';
import { createLeadStore } from '../store/lead-store.js';
import type { SqlRunner } from '../store/sql-runner.js';

export interface WorkerDepsParts {
  /** the request-scoped runner (src/store/backends/request-scope.ts) */
  runner: SqlRunner;
  rules: RulesProvider;
  logger: Logger;
  config: AppConfig;
  admission: { slots: number; queueTimeoutMs: number };
  fetch?: typeof fetch;
  forwarding?: Forwarding;
}

/**
 * The app's dependencies on Workers, built once per isolate: CRM calls over the platform fetch
 * (circuit breakers and per-connect limits live in the isolate), an admission gate per isolate,
 * no Prometheus registry.
 */
export function buildWorkerDeps(parts: WorkerDepsParts): AppDeps {
  const client = createCrmClient({ transport: createFetchTransport({ fetch: parts.fetch }), logger: parts.logger });
  return {
    store: createLeadStore(parts.runner, { groupCommit: NO_GROUP_COMMIT, precheckGrouping: NO_GROUP_COMMIT }),
    crm: client,
    gate: createAdmissionGate(parts.admission),
    metrics: createIsolateMetrics(),
    idempotency: createIdempotencyStore(parts.runner),
    rules: parts.rules,
    logger: parts.logger,
    config: parts.config,
    forwarding: parts.forwarding,
  };
}
