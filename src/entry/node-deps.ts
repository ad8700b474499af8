import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { AppConfig, AppDeps } from '../app.js';
import { createCrmClient } from '../crm/call-crm.js';
import { createUndiciTransport } from '../crm/undici-transport.js';
import { createNodeDocsAssets } from './docs-assets.js';
import { createPromMetrics } from '../ops/metrics.js';
import { createAdmissionGate } from '../pipeline/admission-gate.js';
import type { AdminServices } from '../admin/routes.js';
import { createRuleEditor } from '../admin/rule-editor.js';
import { createApiKeyRegistry } from '../http/api-keys.js';
import { countDecisions } from '../ops/decision-metrics.js';
import { nodeRulesFolder } from '../ruleset/rules-folder.js';
import type { RulesHolder, RulesProvider } from '../ruleset/rules-holder.js';
import { createRulesReloader, type RulesReload } from '../ruleset/rules-reloader.js';
import { cachedQueueStats } from '../ops/cached-queue-stats.js';
import { createAdminStore } from '../store/admin-store.js';
import { createDeliveryAdminStore } from '../store/delivery-admin-store.js';
import { createIdempotencyStore } from '../store/idempotency-store.js';
import { createLeadStore, PRECHECK_GROUPING } from '../store/lead-store.js';
import { DEFAULT_GROUP_COMMIT, embeddedGrouping, type GroupCommitOptions } from '../store/group-commit.js';
import { createDeliveryStore, SETTLE_GROUPING } from '../store/delivery-store.js';
import { createDeliveryWorker, type DeliveryWorker } from '../forward/delivery-worker.js';
import type { StoreBackend } from '../store/sql-runner.js';

/** The app's dependencies on Node: the given store and rules, CRM calls over undici pools. */
export interface NodeDepsParts {
  backend: StoreBackend;
  rules: RulesProvider;
  logger: Logger;
  config: AppConfig;
  admission: { slots: number; queueTimeoutMs: number };
  /** process metrics (memory, event loop) too: on for the server, off for tests */
  defaultMetrics?: boolean;
  /** /metrics answers for every process of the cluster, through the primary (ops/cluster-metrics.ts) */
  clusterMetrics?: boolean;
  /** the rules folder behind `rules`: makes rule files editable through the admin API */
  rulesFolder?: { dir: string; holder: RulesHolder; env?: Record<string, string | undefined> };
  /** how long an unanswered Idempotency-Key claim holds its key (default DEFAULT_CLAIM_LEASE_MS) */
  idempotencyLeaseMs?: number;
  /** how often the delivery worker polls for due work (default: the worker's own, 1 s); tests shorten it */
  deliveryPollMs?: number;
  /** beyond twice a destination's timeoutMs, how long a delivery claim outlives a process that died mid-call (default 30 s) */
  deliveryLeaseMarginMs?: number;
}

export function buildNodeDeps(parts: NodeDepsParts): AppDeps & {
  admin: AdminServices;
  /** the delivery worker: the server starts it; tests start it when they want deliveries made */
  deliveries: DeliveryWorker;
  /** the reload the watcher must share with the admin API (present with `rulesFolder`) */
  reloader?: RulesReload;
  close(): Promise<void>;
} {
  const transport = createUndiciTransport();
  const client = createCrmClient({ transport, logger: parts.logger });
  const gate = createAdmissionGate({
    ...parts.admission,
    onWait: (ms) => metrics.gateWait(ms / 1000),
    onTimeout: () => metrics.gateTimeout(),
  });
  const deliveryAdmin = createDeliveryAdminStore(parts.backend.runner);
  const metrics = createPromMetrics(
    {
      gate: () => gate.stats(),
      circuits: () => new Map([...parts.rules.current().connects.keys()].map((name) => [name, client.circuitState(name)])),
      deliveryQueue: cachedQueueStats(() => deliveryAdmin.queueStats()),
    },
    { defaultMetrics: parts.defaultMetrics ?? false, clusterWorker: parts.clusterMetrics ?? false },
  );
  const grouping = (options: GroupCommitOptions) => (parts.backend.kind === 'pglite' ? embeddedGrouping(options) : options);
  const deliveries = createDeliveryWorker({
    store: createDeliveryStore(parts.backend.runner, { settleGrouping: grouping(SETTLE_GROUPING) }),
    rules: parts.rules,
    transport,
    logger: parts.logger,
    metrics,
    pollMs: parts.deliveryPollMs,
    leaseMarginMs: parts.deliveryLeaseMarginMs,
  });
  const adminStore = createAdminStore(parts.backend.runner);
  const apiKeys = createApiKeyRegistry({ store: adminStore, bootstrap: parts.config.isApiKey });
  const folder = parts.rulesFolder;
  const reloader = folder && createRulesReloader(folder.dir, folder.holder, parts.logger, { env: folder.env, onReload: (ok) => metrics.rulesReload(ok) });
  const editor = folder && reloader && createRuleEditor({ folder: nodeRulesFolder(folder.dir), reload: reloader.reload, env: folder.env });
  return {
    store: countDecisions(createLeadStore(parts.backend.runner, { groupCommit: grouping(DEFAULT_GROUP_COMMIT), precheckGrouping: grouping(PRECHECK_GROUPING) }), metrics),
    crm: {
      async call(connect, lead, options) {
        const outcome = await client.call(connect, lead, options);
        metrics.crmCall(connect.name, outcome.ok ? 'ok' : outcome.reason, outcome.latencyMs / 1000);
        return outcome;
      },
    },
    gate,
    metrics,
    idempotency: createIdempotencyStore(parts.backend.runner, { leaseMs: parts.idempotencyLeaseMs }),
    rules: parts.rules,
    logger: parts.logger,
    config: { ...parts.config, isApiKey: apiKeys.isApiKey },
    docsAssets: createNodeDocsAssets(),
    // @hono/node-server hands each request's IncomingMessage over as c.env.incoming
    serverBodyStream: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming,
    admin: { store: adminStore, apiKeys, editor, deliveries: deliveryAdmin },
    forwarding: deliveries,
    deliveries,
    reloader,
    close: () => transport.close(),
  };
}
