import type { Logger } from 'pino';
import type { AppConfig, AppDeps } from '../app.js';
import { createCrmClient } from '../crm/call-crm.js';
import { createUndiciTransport } from '../crm/undici-transport.js';
import { createNodeDocsAssets } from './docs-assets.js';
import { createPromMetrics } from '../ops/metrics.js';
import { createAdmissionGate } from '../pipeline/admission-gate.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { createIdempotencyStore } from '../store/idempotency-store.js';
import { createLeadStore } from '../store/lead-store.js';
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
}

export function buildNodeDeps(parts: NodeDepsParts): AppDeps & {
  close(): Promise<void>;
} {
  const transport = createUndiciTransport();
  const client = createCrmClient({ transport });
  const gate = createAdmissionGate({
    ...parts.admission,
    onWait: (ms) => metrics.gateWait(ms / 1000),
    onTimeout: () => metrics.gateTimeout(),
  });
  const metrics = createPromMetrics(
    {
      gate: () => gate.stats(),
      circuits: () => new Map([...parts.rules.current().connects.keys()].map((name) => [name, client.circuitState(name)])),
    },
    { defaultMetrics: parts.defaultMetrics ?? false },
  );
  return {
    store: createLeadStore(parts.backend.runner),
    crm: {
      async call(connect, lead, options) {
        const outcome = await client.call(connect, lead, options);
        metrics.crmCall(connect.name, outcome.ok ? 'ok' : outcome.reason, outcome.latencyMs / 1000);
        return outcome;
      },
    },
    gate,
    metrics,
    idempotency: createIdempotencyStore(parts.backend.runner),
    rules: parts.rules,
    logger: parts.logger,
    config: parts.config,
    docsAssets: createNodeDocsAssets(),
    close: () => transport.close(),
  };
}
