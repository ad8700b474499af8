import type { Logger } from 'pino';
import type { AppConfig, AppDeps } from '../app.js';
import { createCrmClient } from '../crm/call-crm.js';
import { createUndiciTransport } from '../crm/undici-transport.js';
import { createAdmissionGate } from '../pipeline/admission-gate.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { createLeadStore } from '../store/lead-store.js';
import type { StoreBackend } from '../store/sql-runner.js';

/** The app's dependencies on Node: the given store and rules, CRM calls over undici pools. */
export interface NodeDepsParts {
  backend: StoreBackend;
  rules: RulesProvider;
  logger: Logger;
  config: AppConfig;
  admission: { slots: number; queueTimeoutMs: number };
}

export function buildNodeDeps(parts: NodeDepsParts): AppDeps & {
  close(): Promise<void>;
} {
  const transport = createUndiciTransport();
  return {
    store: createLeadStore(parts.backend.runner),
    crm: createCrmClient({ transport }),
    gate: createAdmissionGate(parts.admission),
    rules: parts.rules,
    logger: parts.logger,
    config: parts.config,
    close: () => transport.close(),
  };
}
