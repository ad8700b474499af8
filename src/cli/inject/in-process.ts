import { resolve } from 'node:path';
import pino from 'pino';
import { RESULT_CODES } from '../../codes.js';
import type { Env } from '../../config/env.js';
import { createLogger } from '../../entry/logger.js';
import { buildNodeDeps } from '../../entry/node-deps.js';
import { openStoreBackend } from '../../entry/open-store.js';
import { DataDirInUseError } from '../../store/backends/data-dir-lock.js';
import { injectLeads } from '../../pipeline/inject-leads.js';
import { StoreUnavailableError } from '../../pipeline/ports.js';
import { resolveTarget, type TargetIds } from '../../pipeline/target.js';
import { formatRuleErrors } from '../../ruleset/rule-error.js';
import { compileRuleSet } from '../../ruleset/rule-set.js';
import { readRulesDir } from '../../ruleset/read-rules-dir.js';
import { RulesHolder } from '../../ruleset/rules-holder.js';
import type { SqlRunner } from '../../store/sql-runner.js';
import { InjectStop, MAX_ATTEMPTS, retryDelayMs, sleep, type BatchSender } from './sender.js';

export interface InProcessOptions {
  env: Env;
  /** the raw environment, for `${env:NAME}` in connects, as the server passes it */
  rawEnv: Record<string, string | undefined>;
  ids: TargetIds;
  allowDuplicates: boolean;
  /** notes on stderr (retries) */
  warn: (line: string) => void;
}

/**
 * Nothing is written when the folder is held: the embedded store belongs to one process, so the
 * rows go through the process that holds it.
 */
function dataDirInUseAdvice(error: DataDirInUseError): string {
  const port = error.holder?.port;
  const url = port ? `http://127.0.0.1:${port}` : 'http://<server>:<port>';
  return `${error.message}; nothing was imported. Send the rows to that server instead: leadgate inject <file> --template N --campaign N --allocation N --url ${url} --api-key <key>`;
}

/** Where the store is, without credentials: `postgres://host:port/db` or `pglite:/abs/dir`. */
export function storeDestination(env: Env): string {
  if (!env.DATABASE_URL) return `pglite:${resolve(env.LEADGATE_DATA_DIR)}`;
  const url = new URL(env.DATABASE_URL);
  return `postgres://${url.host}${url.pathname}`;
}

/**
 * Which database this is, beyond its address: a database dropped and created again under the same
 * name (or a PGlite directory initialised again) is another one, and a run's state must not carry over.
 */
export async function databaseIdentity(runner: SqlRunner): Promise<string> {
  // The database's oid is readable by every role; a run whose database cannot be identified must
  // stop, or its state would be kept under an empty id and match any other database's.
  let oid: string;
  try {
    const [row] = await runner.query<{ oid: string }>(`select oid::text as oid from pg_database where datname = current_database()`);
    if (!row) throw new Error('current_database() is not in pg_database');
    oid = row.oid;
  } catch (error) {
    throw new InjectStop(`cannot identify the lead store's database: ${(error as Error).message}`, 2);
  }
  // The cluster's identifier tells a recreated cluster apart; reading it may need privileges a role lacks.
  const cluster = await runner
    .query<{ cluster: string }>(`select system_identifier::text as cluster from pg_control_system()`)
    .then(([row]) => row?.cluster ?? 'unknown', () => 'unknown');
  return `${cluster}/${oid}`;
}

/**
 * The lead injector in this process, built from the environment exactly as the server builds it:
 * rules from RULES_DIR, the store from DATABASE_URL (else PGlite in LEADGATE_DATA_DIR), the same
 * pipeline dependencies; each batch is one injectLeads call.
 */
export async function openInProcessSender(options: InProcessOptions): Promise<BatchSender> {
  const { env } = options;
  const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), options.rawEnv);
  if (!loaded.ok) throw new InjectStop(`${formatRuleErrors(loaded.errors)}\n${env.RULES_DIR}: the rules do not load`, 2);
  const rules = loaded.rules;
  const resolved = resolveTarget(rules.dialer, options.ids);
  if (!resolved.ok) {
    const { code } = resolved.result;
    const detail = 'detail' in resolved.result ? resolved.result.detail : undefined;
    throw new InjectStop(`${code} ${RESULT_CODES[code].message}: ${detail ?? RESULT_CODES[code].description} (--template/--campaign/--allocation, rules in ${env.RULES_DIR})`, 2);
  }
  const target = resolved.target;

  // Logs go to stderr, so stdout holds only the summary; warnings only unless LOG_LEVEL says otherwise.
  const logger = createLogger(options.rawEnv.LOG_LEVEL ? env.LOG_LEVEL : 'warn', pino.destination({ dest: 2, sync: true }));
  let backend;
  try {
    backend = await openStoreBackend(env, logger, { command: 'inject' });
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new InjectStop(dataDirInUseAdvice(error), 1);
    throw new InjectStop(`cannot open the lead store (${storeDestination(env)}): ${(error as Error).message}`, 2);
  }
  const deps = buildNodeDeps({
    backend,
    rules: new RulesHolder(rules),
    logger,
    config: {
      isApiKey: () => true,
      maxBatch: env.LEADGATE_MAX_BATCH,
      maxBodyBytes: env.LEADGATE_MAX_BODY_BYTES,
      demo: false,
      adminToken: undefined,
    },
    admission: { slots: env.LEADGATE_MAX_CONCURRENCY, queueTimeoutMs: env.LEADGATE_QUEUE_TIMEOUT_MS },
  });

  return {
    destination: `${storeDestination(env)}#${await databaseIdentity(backend.runner)}`,
    async send(rows) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const results = await injectLeads(deps, { entry: 'cli', rules, target, allowDuplicates: options.allowDuplicates, rows, source: 'cli inject' });
          return results.map((r) => {
            const info = RESULT_CODES[r.code];
            const description = 'detail' in r && r.detail ? r.detail : info.description;
            return r.leadId === undefined ? { code: r.code, message: info.message, description } : { code: r.code, message: info.message, description, leadId: r.leadId };
          });
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw new InjectStop(`the lead store is unreachable (${attempt} attempts): ${String(error.cause ?? error.message)}`, 1);
          const ms = retryDelayMs(attempt);
          options.warn(`the lead store is unreachable; retrying the batch in ${ms / 1000} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
          await sleep(ms);
        }
      }
    },
    async close() {
      await deps.close();
      await backend.close();
    },
  };
}
