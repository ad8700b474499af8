/**
 * Diagnosis only: leadgate's own code, wired as src/entry/node.ts wires it, with the proposed
 * changes applied from the outside, so "before" and "after" run through the same harness (built
 * to plain JS with the product, loaded by autocannon in another process). Started by
 * experiments/variants.ts with LEADGATE_VARIANT set to a comma-separated list of:
 *   unnest-leads     batch: the leads statement fed by unnest() arrays, not jsonb_to_recordset
 *   unnest-claims    batch: the phone-claims statement fed by unnest() arrays, not jsonb_to_recordset
 *   nodelay          TCP_NODELAY on the PostgreSQL sockets
 *   no-metrics       a no-op Metrics (prom-client cost)
 *   pool=N           postgres.js pool size (default 20)
 *   groups=N         N group-commit slots for single-lead inserts (groups=1000: every lead alone)
 *   timings          measure each stage of every request (gate, precheck, CRM call, insert, the
 *                    rest) and print their percentiles to stdout (the server log) when it stops
 * Without DATABASE_URL it opens the embedded PGlite store in LEADGATE_DATA_DIR, as `leadgate serve`
 * does, and these apply:
 *   pg:NAME=VALUE    a PostgreSQL setting over the store's PGLITE_SETTINGS (e.g. pg:shared_buffers=128MB)
 *   pglite-initdb    a new database made by PGlite's own initdb, not from the template
 *   pglite-turbofan  PGlite's WASM compiled with V8's default tiering (TurboFan), not Liftoff only
 * and for either store:
 *   v8:FLAG          v8.setFlagsFromString(FLAG) before anything is compiled (V8 flags such as
 *                    --liftoff-only are not allowed in NODE_OPTIONS)
 * Without a variant it behaves as `leadgate serve` (minus the outbox worker and the rules watcher,
 * which are idle during a benchmark, and the delivery worker: a destination's deliveries are queued
 * and never sent, which is how the forwarding part measures the enqueue cost alone).
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { serve } from '@hono/node-server';
import postgres from 'postgres';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/entry/logger.js';
import { buildNodeDeps } from '../../src/entry/node-deps.js';
import { DEFAULT_GROUP_COMMIT } from '../../src/store/group-commit.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import type { Metrics } from '../../src/ops/metrics.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { RulesHolder } from '../../src/ruleset/rules-holder.js';
import { openPgliteBackend } from '../../src/store/backends/pglite.js';
import { migratePostgres, storePoolOptions } from '../../src/store/backends/postgres.js';
import type { SqlRunner, StoreBackend } from '../../src/store/sql-runner.js';

const variant = new Set((process.env.LEADGATE_VARIANT ?? '').split(',').filter(Boolean));
const poolSize = Number([...variant].find((v) => v.startsWith('pool='))?.slice(5) ?? 20);

// ------------------------------------------------------------------ SQL rewrites (batch path)

const CLAIMS_JSONB = 'select * from jsonb_to_recordset($1::text::jsonb) as r(ord int, scope text, e164 text, lead_id bigint, checked boolean)';
const CLAIMS_UNNEST = 'select * from unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::int2[]) as r(ord, scope, e164, lead_id, flag_)';

const LEADS_JSONB = `with input as (
  select r.*, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from jsonb_to_recordset($1::text::jsonb) as r(
    ord int, template_id int, campaign_id int, allocation_id int, external_id text, status text,
    callback_at timestamptz, priority int, contact_hours text, fields jsonb, phones text[])
  where not exists (select 1 from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id))`;
const LEADS_UNNEST = `with input as (
  select r.ord, r.template_id, r.campaign_id, r.allocation_id, r.external_id, r.status, r.callback_at, r.priority, r.contact_hours,
         r.fields::jsonb as fields, string_to_array(r.phone_list, ',') as phones, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], $8::int[], $9::text[], $10::text[], $11::text[])
    as r(ord, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phone_list)
  where not exists (select 1 from dnc where dnc.e164 = any(string_to_array(r.phone_list, ',')) and dnc.campaign_id in (0, r.campaign_id))`;

interface LeadRow {
  ord: number;
  template_id: number;
  campaign_id: number;
  allocation_id: number;
  external_id: string | null;
  status: string | null;
  callback_at: string | null;
  priority: number;
  contact_hours: string;
  fields: unknown;
  phones: string[];
}

function rewrite(text: string, params: readonly unknown[]): [string, readonly unknown[]] {
  if (variant.has('unnest-leads') && text.includes(LEADS_JSONB)) {
    // (the experiment re-parses the JSON the product built; the change itself would build arrays directly)
    const rows = JSON.parse(params[0] as string) as LeadRow[];
    const sql = text.replace(LEADS_JSONB, LEADS_UNNEST);
    return rewrite(sql, [
      rows.map((r) => r.ord),
      rows.map((r) => r.template_id),
      rows.map((r) => r.campaign_id),
      rows.map((r) => r.allocation_id),
      rows.map((r) => r.external_id),
      rows.map((r) => r.status),
      rows.map((r) => r.callback_at),
      rows.map((r) => r.priority),
      rows.map((r) => r.contact_hours),
      rows.map((r) => JSON.stringify(r.fields)),
      rows.map((r) => r.phones.join(',')),
    ]);
  }
  if (variant.has('unnest-claims') && text.includes(CLAIMS_JSONB)) {
    const rows = JSON.parse(params[0] as string) as Array<{ ord: number; scope: string; e164: string; lead_id: string; checked: boolean }>;
    const sql = text.replace(CLAIMS_JSONB, CLAIMS_UNNEST).replace(/where checked/, 'where flag_ = 1').replace(/where not checked/, 'where flag_ = 0');
    return [sql, [rows.map((r) => r.ord), rows.map((r) => r.scope), rows.map((r) => r.e164), rows.map((r) => r.lead_id), rows.map((r) => (r.checked ? 1 : 0))]];
  }
  return [text, params];
}

function runnerOver(sql: postgres.Sql | postgres.TransactionSql): SqlRunner {
  return {
    async query<R extends object>(text: string, params: readonly unknown[] = []) {
      const [t, p] = rewrite(text, params);
      return (await sql.unsafe(t, p as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as R[];
    },
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      if (!('begin' in sql)) throw new Error('nested transactions are not supported');
      return (await sql.begin((tx) => fn(runnerOver(tx)))) as T;
    },
  };
}

async function openBackend(url: string): Promise<StoreBackend> {
  await migratePostgres(url);
  // the product's pool options (JIT off among its session settings: a copy of them here once
  // lacked it, and every group insert paid an LLVM compile), with this variant's changes on top
  const sql = postgres(url, {
    ...storePoolOptions({ poolSize }),
    ...(variant.has('nodelay')
      ? {
          socket: ({ host, port }: { host: string[]; port: number[] }) =>
            new Promise((resolve, reject) => {
              const s = connect(port[0]!, host[0]!);
              s.setNoDelay(true);
              s.once('connect', () => resolve(s));
              s.once('error', reject);
            }),
        }
      : {}),
  } as postgres.Options<Record<string, never>>);
  return { kind: 'postgres', runner: runnerOver(sql), close: () => sql.end({ timeout: 5 }) };
}

const noMetrics: Metrics = {
  request() {},
  gateWait() {},
  gateTimeout() {},
  crmCall() {},
  rulesReload() {},
  decision() {},
  recordDeliveryAttempt() {},
  setDeliveryCircuit() {},
  render: async () => ({ contentType: 'text/plain', body: '' }),
};

// ------------------------------------------------------------------ stage timings
const stages = new Map<string, number[]>();
const record = (stage: string, ms: number) => {
  let list = stages.get(stage);
  if (!list) stages.set(stage, (list = []));
  if (list.length < 200_000) list.push(ms);
};
async function timed<T>(stage: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    record(stage, performance.now() - t);
  }
}
function printTimings() {
  const lines = [...stages].map(([stage, list]) => {
    const s = Float64Array.from(list).sort();
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
    return `  ${stage.padEnd(28)} n=${String(s.length).padStart(6)}  p50 ${at(50).padStart(7)}  p90 ${at(90).padStart(7)}  p99 ${at(99).padStart(7)} ms`;
  });
  process.stdout.write(`STAGE TIMINGS\n${lines.join('\n')}\n`);
}

/** The embedded store with the pg:NAME=VALUE settings of the variant (and pglite-initdb). */
async function openPglite(dataDir: string): Promise<StoreBackend> {
  const settings: Record<string, string> = {};
  for (const v of variant) {
    if (!v.startsWith('pg:')) continue;
    const [name, value] = v.slice(3).split('=');
    if (!name || value === undefined) throw new Error(`variant ${v}: expected pg:NAME=VALUE`);
    settings[name] = value;
  }
  return openPgliteBackend(dataDir, {
    settings,
    create: variant.has('pglite-initdb') ? 'initdb' : 'template',
    wasm: variant.has('pglite-turbofan') ? 'optimizing' : 'baseline',
  });
}

async function main() {
  for (const v of variant) if (v.startsWith('v8:')) setFlagsFromString(v.slice(3));
  const env = parseEnv(process.env);
  const logger = createLogger(env.LOG_LEVEL);
  const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), process.env);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const backend = env.DATABASE_URL ? await openBackend(env.DATABASE_URL) : await openPglite(env.LEADGATE_DATA_DIR);
  const deps = buildNodeDeps({
    backend,
    rules: new RulesHolder(loaded.rules),
    logger,
    config: { isApiKey: createApiKeyCheck(env.LEADGATE_API_KEYS), maxBatch: env.LEADGATE_MAX_BATCH, maxBodyBytes: env.LEADGATE_MAX_BODY_BYTES, demo: false, adminToken: undefined },
    admission: { slots: env.LEADGATE_MAX_CONCURRENCY, queueTimeoutMs: env.LEADGATE_QUEUE_TIMEOUT_MS },
    defaultMetrics: true,
  });
  // groups=N: N group-commit slots (groups=1000 writes every single lead alone, as before group commit)
  const groups = [...variant].find((v) => v.startsWith('groups='));
  if (groups) deps.store = createLeadStore(backend.runner, { groupCommit: { ...DEFAULT_GROUP_COMMIT, concurrentGroups: Number(groups.slice(7)) } });
  if (variant.has('no-metrics')) deps.metrics = noMetrics;
  if (variant.has('timings')) {
    const { store, crm, gate } = deps;
    deps.store = {
      ...store,
      precheckLeads: (leads) => timed('store.precheckLeads', () => store.precheckLeads(leads)),
      insertLeads: (leads) => timed(`store.insertLeads(${leads.length === 1 ? '1' : 'n'})`, () => store.insertLeads(leads)),
      recordDecisions: (entries) => timed('store.recordDecisions', () => store.recordDecisions(entries)),
    };
    deps.crm = { call: (connect, lead, options) => timed('crm.call', () => crm.call(connect, lead, options)) };
    deps.gate = {
      stats: () => gate.stats(),
      run: (operation) => {
        const queued = performance.now();
        return timed('gate.run (wait + operation)', () =>
          gate.run(() => {
            record('gate.wait', performance.now() - queued);
            return timed('operation (in slot)', operation);
          }),
        );
      },
    };
  }
  const app = createApp(deps);
  if (variant.has('timings')) {
    const inner = app.fetch;
    app.fetch = (request, ...rest) => timed('app.fetch (whole request)', async () => inner(request, ...rest));
  }
  const server = serve({ fetch: app.fetch, port: env.PORT }, () => logger.info({ event: 'server.listening', variant: [...variant] }, 'variant listening'));
  const stop = () => {
    if (variant.has('timings')) printTimings();
    server.close();
    void deps.close().then(() => backend.close()).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
