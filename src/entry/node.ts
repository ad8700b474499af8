import type { Server } from 'node:http';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { createApp } from '../app.js';
import type { Env } from '../config/env.js';
import { bootstrapApiKeys, createApiKeyCheck } from '../http/api-keys.js';
import { RuleLoadError } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';
import { RulesHolder } from '../ruleset/rules-holder.js';
import { watchRules } from '../ruleset/watch-rules.js';
import { createLogger } from './logger.js';
import { createOutboxWorker } from '../outbox/worker.js';
import { createOutboxStore } from '../store/outbox-store.js';
import { createIdempotencyPurge } from '../store/idempotency-purge.js';
import { createIdempotencyStore } from '../store/idempotency-store.js';
import { buildNodeDeps } from './node-deps.js';
import { openStoreBackend } from './open-store.js';
import { isConnectionError, type StoreBackend } from '../store/sql-runner.js';

export interface NodeServerOptions {
  /**
   * Set when this process is one of several sharing the port (LEADGATE_PROCESSES > 1): its cluster
   * worker id and admission slots. Its lines carry its pid and id, it announces itself with
   * `worker.listening` (the primary says `server.listening` once all are up), and /metrics
   * answers for all processes (cluster-metrics.ts).
   */
  clusterWorker?: { id: number; admissionSlots: number };
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Standard output, written asynchronously in chunks: lines gather until 4 KiB or 100 ms, whichever
 * comes first, and go out in one write. A write per request line cost a system call per lead,
 * about as much as the response's own. pino flushes what is buffered when the process exits (and
 * the shutdown flushes too); a SIGKILL may lose the last 100 ms of lines.
 */
const LOG_DESTINATION = { dest: 1, sync: false, minLength: 4096, periodicFlush: 100 } as const;

/**
 * Node entry: environment → dependencies → HTTP server. A rules error throws before the port is
 * bound; a taken port throws before the data folder is touched; a held data folder throws before
 * anything is served.
 */
export async function startNodeServer(env: Env, rawEnv: Record<string, string | undefined> = {}, options: NodeServerOptions = {}): Promise<RunningServer> {
  const worker = options.clusterWorker;
  const logger = createLogger(env.LOG_LEVEL, pino.destination(LOG_DESTINATION), worker ? { pid: process.pid, worker: worker.id } : {});

  const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), rawEnv);
  if (!loaded.ok) throw new RuleLoadError(loaded.errors);
  const rules = new RulesHolder(loaded.rules);
  keepServingOnDriverRejections(logger);

  // The port first: a second `npm start` must fail on the port before it touches the data folder.
  let appReady!: (app: ReturnType<typeof createApp>) => void;
  const ready = new Promise<ReturnType<typeof createApp>>((resolve) => (appReady = resolve));
  // Requests that arrive while the store opens wait for it rather than being refused.
  const server = createAdaptorServer({ fetch: async (request, bindings) => (await ready).fetch(request, bindings) });
  const port = await listen(server, env.PORT);

  let started: Started;
  try {
    started = await startServices(env, rawEnv, logger, rules, port, worker);
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
  const { deps, backend, outbox, purge, reloader } = started;
  appReady(started.app);
  if (worker) logger.info({ event: 'worker.listening', port, store: backend.kind }, `leadgate worker ${worker.id} listening on :${port}`);
  else logger.info({ event: 'server.listening', port, store: backend.kind, rulesDir: env.RULES_DIR }, `leadgate listening on :${port}`);

  return {
    port,
    /**
     * Graceful stop: refuse new connections, let requests in flight finish (each is a whole lead
     * operation, so none is cut in half), cut whatever is still open after the bound, then close
     * the CRM pools and the store, and flush the log.
     */
    async close() {
      logger.info({ event: 'server.stopping', boundMs: env.LEADGATE_SHUTDOWN_TIMEOUT_MS }, 'leadgate stopping');
      const stopping = Date.now();
      reloader.close();
      const http = server as Server;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const cut = setTimeout(() => {
        logger.warn({ event: 'server.stop_forced' }, 'requests still open at the shutdown bound were cut');
        http.closeAllConnections();
      }, env.LEADGATE_SHUTDOWN_TIMEOUT_MS);
      await closed;
      clearTimeout(cut);
      // attempts in flight finish within what is left of the bound; the rest stay queued (SPEC 10.2 point 6)
      await deps.deliveries.stop(Math.max(0, env.LEADGATE_SHUTDOWN_TIMEOUT_MS - (Date.now() - stopping)));
      await outbox.stop();
      await purge.stop();
      await deps.close();
      await backend.close();
      logger.info({ event: 'server.stopped' }, 'leadgate stopped');
      logger.flush();
    },
  };
}

/** Binds the port, or says in one line why it cannot (the default would be an unhandled 'error' event). */
function listen(server: ServerType, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} is already in use (another leadgate, or another program): stop it, or set PORT to a free port`));
      else if (error.code === 'EACCES') reject(new Error(`port ${port} needs privileges this process does not have: set PORT to a port above 1023`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

interface Started {
  app: ReturnType<typeof createApp>;
  deps: ReturnType<typeof buildNodeDeps>;
  backend: StoreBackend;
  outbox: ReturnType<typeof createOutboxWorker>;
  purge: ReturnType<typeof createIdempotencyPurge>;
  reloader: ReturnType<typeof watchRules>;
}

/** Store, pipeline dependencies and background workers, once the port is ours. */
async function startServices(
  env: Env,
  rawEnv: Record<string, string | undefined>,
  logger: Logger,
  rules: RulesHolder,
  port: number,
  worker: NodeServerOptions['clusterWorker'],
): Promise<Started> {
  const apiKeys = bootstrapApiKeys(
    {
      keys: env.LEADGATE_API_KEYS,
      demo: env.LEADGATE_DEMO,
      storedKeys: env.LEADGATE_ADMIN_TOKEN !== undefined,
      missingKeysHint: 'LEADGATE_API_KEYS (or LEADGATE_ADMIN_TOKEN, to create keys through the admin API)',
    },
    logger,
  );

  const backend = await openStoreBackend(env, logger, { command: 'serve', port });
  // Anything that fails once the store is open closes it again, releasing the data folder.
  try {
    const deps = buildNodeDeps({
      backend,
      rules,
      logger,
      config: {
        isApiKey: createApiKeyCheck(apiKeys),
        maxBatch: env.LEADGATE_MAX_BATCH,
        maxBodyBytes: env.LEADGATE_MAX_BODY_BYTES,
        demo: env.LEADGATE_DEMO,
        adminToken: env.LEADGATE_ADMIN_TOKEN,
      },
      admission: { slots: worker?.admissionSlots ?? env.LEADGATE_MAX_CONCURRENCY, queueTimeoutMs: env.LEADGATE_QUEUE_TIMEOUT_MS },
      defaultMetrics: true,
      clusterMetrics: worker !== undefined,
      rulesFolder: { dir: env.RULES_DIR, holder: rules, env: rawEnv },
      idempotencyLeaseMs: env.LEADGATE_IDEMPOTENCY_LEASE_MS,
      deliveryLeaseMarginMs: env.LEADGATE_DELIVERY_LEASE_MARGIN_MS,
    });
    const app = createApp(deps);
    const outbox = createOutboxWorker({ store: createOutboxStore(backend.runner), crm: deps.crm, rules, logger });
    outbox.start();
    deps.deliveries.start();
    const purge = createIdempotencyPurge({ store: createIdempotencyStore(backend.runner), logger });
    purge.start();
    const reloader = watchRules(env.RULES_DIR, rules, logger, { reloader: deps.reloader });
    return { app, deps, backend, outbox, purge, reloader };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/**
 * A database whose connections are all terminated at once (`DROP DATABASE … WITH (FORCE)`, a
 * failover) can leave a rejection inside postgres.js with no handler of ours to reach: the
 * operation that issued the query has already failed and answered. Node would end the process
 * for it, and with it every request in flight; a fault must never do that (SPEC 9), so the server
 * logs it at error and goes on. Only the connection-loss kind is kept alive: anything else still
 * ends the process, as it would have.
 */
let keepingServing = false;
function keepServingOnDriverRejections(logger: Logger): void {
  if (keepingServing) return;
  keepingServing = true;
  process.on('unhandledRejection', (reason) => {
    if (!isConnectionError(reason)) throw reason;
    logger.error({ event: 'store.connection_lost_unhandled', err: reason }, 'a database connection was lost under a query no one waited for; serving on');
  });
}
