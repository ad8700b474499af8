import { Hono, type Context } from 'hono';
import type { Logger } from './lib/logger.js';
import { createAdminRoutes, type AdminServices } from './admin/routes.js';
import { createDemoCrmRoutes } from './demo/crm-routes.js';
import { createDemoDialerRoutes } from './demo/dialer-routes.js';
import { renderConvosoResult } from './dialects/convoso/render.js';
import { createConvosoRoutes } from './dialects/convoso/routes.js';
import { failure } from './pipeline/lead-result.js';
import { createHooksRoutes } from './dialects/hooks/routes.js';
import { createNoojeeRoutes, type NoojeeConfig } from './dialects/noojee/routes.js';
import { renderCode } from './dialects/noojee/render.js';
import { NOOJEE_BASE } from './dialects/noojee/schemas.js';
import { idempotency, type IdempotencyStore } from './http/idempotency.js';
import { serverBodyStreams, type ServerBodyStream } from './http/read-body.js';
import { requestLog, type AppVariables } from './http/request-log.js';
import { requestMetrics } from './http/request-metrics.js';
import type { Metrics } from './ops/metrics.js';
import { createHealthRoutes } from './ops/health.js';
import { createDocsRoutes, type DocsAssets } from './ops/docs-routes.js';
import type { CrmCaller } from './pipeline/duplicate-check.js';
import type { AdmissionGate } from './pipeline/admission-gate.js';
import { StoreUnavailableError, type LeadStore } from './pipeline/ports.js';
import { RETRY_AFTER_SECONDS } from './codes.js';
import type { Forwarding } from './pipeline/forwarding.js';
import type { RulesProvider } from './ruleset/rules-holder.js';

export { NOOJEE_BASE };

export interface AppConfig extends NoojeeConfig {
  /** serve the demo CRM under /demo/crm and the demo dialer under /demo/dialer */
  demo: boolean;
  /** bearer token for /admin; undefined switches the admin API off */
  adminToken: string | undefined;
}

export interface AppDeps {
  store: LeadStore;
  crm: CrmCaller;
  gate: AdmissionGate;
  metrics: Metrics;
  idempotency: IdempotencyStore;
  rules: RulesProvider;
  logger: Logger;
  config: AppConfig;
  /** decisions, DNC, API keys, audit and rule-file editing for /admin; absent parts answer 501 */
  admin?: AdminServices;
  newRequestId?: () => string;
  /** the /docs page's files (Swagger UI); without them /docs only links /openapi.json */
  docsAssets?: DocsAssets;
  /** the server's own body stream of a request (Node: the IncomingMessage), read instead of the web Request's */
  serverBodyStream?: (c: Context) => ServerBodyStream | undefined;
  /** the delivery worker (SPEC 10): told about queued deliveries, and sync mode's first attempt */
  forwarding?: Forwarding;
}

/** The whole HTTP surface, built from injected parts; entries (Node, Workers, tests) only wire deps. */
export function createApp(deps: AppDeps): Hono<{ Variables: AppVariables }> {
  const app = new Hono<{ Variables: AppVariables }>();
  if (deps.serverBodyStream) app.use(serverBodyStreams(deps.serverBodyStream));
  app.use(requestLog(deps.logger, deps.newRequestId ?? (() => crypto.randomUUID())));
  app.use(requestMetrics(deps.metrics));

  app.route('/', createHealthRoutes({ ping: () => deps.store.ping(), rules: deps.rules, logger: deps.logger }));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.use(
    `${NOOJEE_BASE}/*`,
    idempotency({
      store: deps.idempotency,
      credentialParams: ['apiKey'],
      maxBodyBytes: deps.config.maxBodyBytes,
      reject: (c, reason) => {
        const answer =
          reason === 'reused'
            ? renderCode(208, 'this Idempotency-Key was already used with a different request')
            : { ...renderCode(109, 'a request with this Idempotency-Key is still in progress'), retryAfterSeconds: RETRY_AFTER_SECONDS };
        if (answer.retryAfterSeconds !== undefined) c.header('Retry-After', String(answer.retryAfterSeconds));
        return c.json(answer.body, answer.status);
      },
    }),
  );
  app.route(NOOJEE_BASE, createNoojeeRoutes(deps));
  app.use(
    '/v1/*',
    idempotency({
      store: deps.idempotency,
      credentialParams: ['auth_token'],
      methods: ['GET', 'POST'],
      maxBodyBytes: deps.config.maxBodyBytes,
      reject: (c, reason) => {
        const answer = renderConvosoResult(
          reason === 'reused' ? failure(208, 'this Idempotency-Key was already used with a different request') : failure(109, 'a request with this Idempotency-Key is still in progress'),
        );
        if (answer.retryAfterSeconds !== undefined) c.header('Retry-After', String(answer.retryAfterSeconds));
        return c.json(answer.body, reason === 'reused' ? 422 : answer.status);
      },
    }),
  );
  app.route('/v1', createConvosoRoutes(deps));
  app.route('/hooks', createHooksRoutes({ ...deps, maxBodyBytes: deps.config.maxBodyBytes }));
  app.route(
    '/admin',
    createAdminRoutes({ adminToken: deps.config.adminToken, rules: deps.rules, crm: deps.crm, maxBodyBytes: deps.config.maxBodyBytes, services: deps.admin }),
  );
  if (deps.config.demo) app.route('/demo/crm', createDemoCrmRoutes());
  // the demo dialer checks its own apiKey: it sits outside the CampaignAPI's key check and idempotency
  if (deps.config.demo) app.route('/demo/dialer', createDemoDialerRoutes());
  app.route('/', createDocsRoutes({ demo: deps.config.demo, assets: deps.docsAssets }));

  app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));
  app.onError((error, c) => {
    const log = c.get('log') ?? deps.logger;
    if (error instanceof StoreUnavailableError) {
      log.warn({ event: 'store.unavailable', err: error.cause }, 'lead store unavailable');
      const answer = renderCode(207);
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json(answer.body, answer.status);
    }
    log.error({ event: 'http.unhandled_error', err: error, requestId: c.get('requestId') }, 'unhandled error');
    const answer = renderCode(103, `server error; quote request id ${c.get('requestId') ?? 'unknown'} to support`);
    return c.json(answer.body, answer.status);
  });
  return app;
}
