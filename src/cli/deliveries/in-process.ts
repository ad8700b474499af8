import pino from 'pino';
import { deliveryJson, describeRetryFilter, RETRY_FILTER_REQUIRED } from '../../admin/delivery-routes.js';
import { e164Of } from '../../admin/record-routes.js';
import { deliveriesQuery, deliveriesRetryBody, deliveryIdParam, issuesText } from '../../admin/schemas.js';
import type { Env } from '../../config/env.js';
import { createLogger } from '../../entry/logger.js';
import { openStoreBackend } from '../../entry/open-store.js';
import { DataDirInUseError } from '../../store/backends/data-dir-lock.js';
import { createDeliveryAdminStore } from '../../store/delivery-admin-store.js';
import { formatRuleErrors } from '../../ruleset/rule-error.js';
import { compileRuleSet } from '../../ruleset/rule-set.js';
import { readRulesDir } from '../../ruleset/read-rules-dir.js';
import { RulesHolder } from '../../ruleset/rules-holder.js';
import { storeDestination } from '../inject/in-process.js';
import { DeliveriesStop, type DeliveriesClient } from './client.js';

/** Who the audit log names for a change made from a shell, beside the API's `admin:<fingerprint>`. */
export const CLI_ACTOR = 'cli';

export interface InProcessOptions {
  env: Env;
  /** the raw environment, for `${env:NAME}` in the rules, as the server passes it */
  rawEnv: Record<string, string | undefined>;
  /** the same command against a server, for when the data folder is held by one */
  viaServer: (url: string) => string;
}

function dataDirInUseAdvice(error: DataDirInUseError, viaServer: (url: string) => string): string {
  const port = error.holder?.port;
  const url = port ? `http://127.0.0.1:${port}` : 'http://<server>:<port>';
  return `${error.message}; nothing was read or changed. Ask that server instead: ${viaServer(url)} (with --admin-token or LEADGATE_ADMIN_TOKEN)`;
}

/**
 * The deliveries on the store the server uses, opened as the server opens it (DATABASE_URL, else
 * the embedded database in LEADGATE_DATA_DIR, held by this process alone while it runs). Input is
 * checked by the admin API's own schemas, so both ways answer alike.
 */
export async function openInProcessClient(options: InProcessOptions): Promise<DeliveriesClient> {
  const { env } = options;
  // logs to stderr, so stdout holds only the answer; warnings only unless LOG_LEVEL says otherwise
  const logger = createLogger(options.rawEnv.LOG_LEVEL ? env.LOG_LEVEL : 'warn', pino.destination({ dest: 2, sync: true }));
  let backend;
  try {
    backend = await openStoreBackend(env, logger, { command: 'deliveries' });
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new DeliveriesStop(dataDirInUseAdvice(error, options.viaServer), 1);
    throw new DeliveriesStop(`cannot open the lead store (${storeDestination(env)}): ${(error as Error).message}`, 1);
  }
  const store = createDeliveryAdminStore(backend.runner);

  /** a national phone is read with a template's country, as GET /admin/deliveries reads it */
  async function e164(phone: string, templateId: number | undefined): Promise<string> {
    const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), options.rawEnv);
    if (!loaded.ok) throw new DeliveriesStop(`${formatRuleErrors(loaded.errors)}\n${env.RULES_DIR}: the rules do not load (they say how --phone is read)`, 2);
    const normalised = e164Of(new RulesHolder(loaded.rules), phone, { templateId });
    if ('error' in normalised) throw new DeliveriesStop(normalised.error, 2);
    return normalised.e164;
  }

  return {
    async list(query) {
      const parsed = deliveriesQuery.safeParse(query);
      if (!parsed.success) throw new DeliveriesStop(`invalid option: ${issuesText(parsed.error)}`, 2);
      const { phone, templateId, ...filter } = parsed.data;
      const found = await store.list({ ...filter, phone: phone === undefined ? undefined : await e164(phone, templateId) });
      return { total: found.total, deliveries: found.deliveries.map(deliveryJson) };
    },
    async retryOne(id) {
      const parsed = deliveryIdParam.safeParse({ id });
      if (!parsed.success) throw new DeliveriesStop(`invalid delivery id: ${issuesText(parsed.error)}`, 2);
      const result = await store.retry(id, { actor: CLI_ACTOR, action: 'leadgate deliveries retry', target: id });
      if (result === 'notFound') throw new DeliveriesStop(`no delivery with id ${id}`, 1);
      if (result === 'notRetryable') throw new DeliveriesStop(`delivery ${id} is queued or delivered: only dead or refused deliveries can be retried`, 1);
      return { id, state: 'queued' as const };
    },
    async retryMany(input) {
      const parsed = deliveriesRetryBody.safeParse(input);
      if (!parsed.success) throw new DeliveriesStop(`invalid option: ${issuesText(parsed.error)}`, 2);
      const filter = parsed.data;
      if (!filter.state && !filter.destination && !filter.from) throw new DeliveriesStop(RETRY_FILTER_REQUIRED, 2);
      const audit = { actor: CLI_ACTOR, action: 'leadgate deliveries retry', target: filter.destination ?? '*', detail: { filter: describeRetryFilter(filter) } };
      return { retried: await store.retryMany(filter, audit) };
    },
    close: () => backend.close(),
  };
}
