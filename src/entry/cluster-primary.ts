import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { Env } from '../config/env.js';
import { bootstrapApiKeys } from '../http/api-keys.js';
import { serveClusterMetrics } from '../ops/cluster-metrics.js';
import { RuleLoadError } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';
import { isWorkerReport } from './cluster-worker.js';
import { createLogger } from './logger.js';
import { createRestartPolicy, type RestartPolicySettings } from './restart-policy.js';

/*
 * LEADGATE_PROCESSES > 1: a primary process that binds nothing and serves nothing, and N server
 * processes forked with node:cluster, each running the whole server on the shared port (the
 * primary accepts connections and hands them round-robin to the processes, Node's default on
 * Linux). Node 20 has no SO_REUSEPORT for net servers (listen's `reusePort` came in 22.12), and
 * node:cluster also gives the primary the IPC it needs to restart processes and gather /metrics.
 */

/** Why a database URL is needed, in the words the operator reads at start-up. */
export function embeddedStoreRefusal(setting: Env['LEADGATE_PROCESSES'], processes: number): string {
  const asked = setting === 'auto' ? `auto (${processes} cores)` : String(setting);
  return `LEADGATE_PROCESSES=${asked} needs DATABASE_URL: the embedded PGlite store belongs to one process (set DATABASE_URL to a PostgreSQL server, or LEADGATE_PROCESSES=1)`;
}

/**
 * What the primary checks before it forks anything, so that a configuration or rules error stops
 * the server with one message rather than one per process.
 */
export async function checkBeforeForking(env: Env, rawEnv: Record<string, string | undefined>, processes: number): Promise<void> {
  if (!env.DATABASE_URL) throw new Error(embeddedStoreRefusal(env.LEADGATE_PROCESSES, processes));
  const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), rawEnv);
  if (!loaded.ok) throw new RuleLoadError(loaded.errors);
  // only its refusal matters here: each process logs its own key warnings
  bootstrapApiKeys(
    {
      keys: env.LEADGATE_API_KEYS,
      demo: env.LEADGATE_DEMO,
      storedKeys: env.LEADGATE_ADMIN_TOKEN !== undefined,
      missingKeysHint: 'LEADGATE_API_KEYS (or LEADGATE_ADMIN_TOKEN, to create keys through the admin API)',
    },
    pino({ level: 'silent' }),
  );
}

export interface ClusterServer {
  port: number;
  /** stops every process gracefully; false when one had to be killed or exited with an error */
  close(): Promise<boolean>;
  /** a second signal: kills every process at once */
  kill(): void;
}

export interface ClusterOptions {
  processes: number;
  /** the server cannot go on (processes keep dying): the caller stops it and exits 1 */
  onFatal(message: string): void;
  restartPolicy?: RestartPolicySettings;
}

/**
 * Forks the server processes and keeps them running. The first starts alone, so that it applies
 * the database migrations (under their advisory lock, which would also make concurrent starts
 * safe) and so that an error every process would meet (a taken port, an unreachable database) is
 * reported once; the others start together after it. Resolves once all serve, and rejects with
 * the first process's reason when one cannot start.
 */
export async function startClusterPrimary(env: Env, options: ClusterOptions): Promise<ClusterServer> {
  const logger = createLogger(env.LOG_LEVEL, pino.destination({ dest: 1, sync: true }), { pid: process.pid, role: 'primary' });
  serveClusterMetrics((error) => logger.warn({ event: 'metrics.gather_failed', err: error }, 'could not gather the metrics of every process'));
  const policy = createRestartPolicy(options.restartPolicy);
  const live = new Map<number, Worker>();
  const restarts = new Set<NodeJS.Timeout>();
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let failStartup: (error: Error) => void = () => undefined;
  let lastStartFailure: string | undefined;
  let stopped: (() => void) | undefined;
  let cleanStop = true;

  const fork = (): Promise<number> =>
    new Promise((resolve) => {
      const worker = cluster.fork();
      live.set(worker.id, worker);
      worker.on('message', (message: unknown) => {
        if (!isWorkerReport(message)) return;
        if (message.type === 'leadgate:ready') resolve(message.port);
        else {
          lastStartFailure = message.message;
          if (phase === 'running') logger.error({ event: 'worker.start_failed', worker: worker.id, reason: message.message }, 'a replacement server process could not start');
        }
      });
    });

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker.id);
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (phase === 'stopping') {
      if (code !== 0 && signal !== 'SIGTERM') cleanStop = false;
      if (live.size === 0) stopped?.();
      return;
    }
    if (phase === 'starting') {
      failStartup(new Error(lastStartFailure ?? `a server process stopped (${how}) before it served`));
      return;
    }
    logger.error({ event: 'worker.died', worker: worker.id, workerPid: worker.process.pid, code, signal }, `server process ${worker.id} died (${how})`);
    const decision = policy.onDeath(Date.now());
    if ('giveUp' in decision) {
      options.onFatal(`${decision.giveUp} (the last: ${how}${lastStartFailure ? `; ${lastStartFailure}` : ''}): stopping the server`);
      return;
    }
    logger.warn({ event: 'worker.restarting', inMs: decision.restartInMs }, `starting a new server process in ${decision.restartInMs} ms`);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      void fork();
    }, decision.restartInMs);
    restarts.add(timer);
  });

  const killAll = () => {
    for (const worker of live.values()) worker.process.kill('SIGKILL');
  };
  const close = async (): Promise<boolean> => {
    if (phase === 'stopping') return false;
    phase = 'stopping';
    for (const timer of restarts) clearTimeout(timer);
    logger.info({ event: 'server.stopping', processes: live.size, boundMs: env.LEADGATE_SHUTDOWN_TIMEOUT_MS }, 'leadgate stopping');
    const allExited = new Promise<void>((resolve) => (stopped = resolve));
    if (live.size === 0) stopped?.();
    for (const worker of live.values()) worker.process.kill('SIGTERM');
    // each process lets requests finish within the bound, then delivery attempts within the bound, then closes its pools
    const bound = 2 * env.LEADGATE_SHUTDOWN_TIMEOUT_MS + 5_000;
    const forced = setTimeout(() => {
      logger.error({ event: 'server.stop_forced', processes: live.size }, `server processes still running ${bound} ms after SIGTERM were killed`);
      cleanStop = false;
      killAll();
    }, bound);
    await allExited;
    clearTimeout(forced);
    logger.info({ event: 'server.stopped' }, 'leadgate stopped');
    return cleanStop;
  };

  try {
    const startupFailed = new Promise<never>((_, reject) => (failStartup = reject));
    const port = await Promise.race([fork(), startupFailed]);
    await Promise.race([Promise.all(Array.from({ length: options.processes - 1 }, fork)), startupFailed]);
    phase = 'running';
    logger.info({ event: 'server.listening', port, store: 'postgres', processes: options.processes, rulesDir: env.RULES_DIR }, `leadgate listening on :${port} with ${options.processes} processes`);
    return { port, close, kill: killAll };
  } catch (error) {
    await close();
    throw error;
  }
}
