/**
 * Diagnosis only: leadgate's own code, wired as src/entry/node.ts wires it, with the proposed
 * changes applied from the outside, so "before" and "after" run through the same harness (built
 * to plain JS with the product, loaded by autocannon in another process). Started by
 * experiments/variants.ts with LEADGATE_VARIANT set to a comma-separated list of:
 *   hashed           batch: the leads statement's final select as a hashed subplan (rewritten SQL)
 *   unnest-leads     batch: the leads statement fed by unnest() arrays, not jsonb_to_recordset
 *   unnest-claims    batch: the phone-claims statement fed by unnest() arrays, not jsonb_to_recordset
 *   one-statement    duplicate-check path: a single lead with its decision record written by ONE
 *                    statement (no transaction: BEGIN + 3 statements + COMMIT become 1 round trip)
 *   nodelay          TCP_NODELAY on the PostgreSQL sockets
 *   no-metrics       a no-op Metrics (prom-client cost)
 *   pool=N           postgres.js pool size (default 20)
 *   timings          measure each stage of every request (gate, precheck, CRM call, insert, the
 *                    rest) and print their percentiles to stdout (the server log) when it stops
 * Without a variant it behaves as `leadgate serve` (minus the outbox worker and the rules watcher,
 * which are idle during a benchmark).
 */
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import postgres from 'postgres';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/entry/logger.js';
import { buildNodeDeps } from '../../src/entry/node-deps.js';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import type { Metrics } from '../../src/ops/metrics.js';
import type { InsertOutcome, LeadStore, NewLead } from '../../src/pipeline/ports.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { RulesHolder } from '../../src/ruleset/rules-holder.js';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { claimScopes } from '../../src/store/dedupe-scopes.js';
import type { SqlRunner, StoreBackend } from '../../src/store/sql-runner.js';
import { classifyUniqueViolation } from '../../src/store/unique-violations.js';

const variant = new Set((process.env.LEADGATE_VARIANT ?? '').split(',').filter(Boolean));
const poolSize = Number([...variant].find((v) => v.startsWith('pool='))?.slice(5) ?? 20);

// ------------------------------------------------------------------ SQL rewrites (batch path)
const LEFT_JOIN = 'select input.ord, input.id::text as lead_id, (inserted.id is not null) as inserted\nfrom input left join inserted on inserted.id = input.id';
const HASHED = 'select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted\nfrom input';

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
  if (variant.has('hashed') && text.includes(LEFT_JOIN)) return [text.replace(LEFT_JOIN, HASHED), params];
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
  const sql = postgres(url, {
    max: poolSize,
    connect_timeout: 5,
    onnotice: () => {},
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

// ------------------------------------------------------------------ one statement (duplicate-check path)
/**
 * insert-one.ts's statement plus the decision record, in one statement. A unique violation rolls
 * it all back; the decision is then recorded on its own with the outcome (rare: the precheck
 * already answered most duplicates).
 */
const INSERT_ONE_WITH_DECISION = `
with dnc_hit as (
  select 1 from dnc where e164 = any($1::text[]) and campaign_id in (0, $3::int) limit 1
), new_lead as (
  insert into leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select $2::int, $3::int, $4::int, $5::text, $6::text, $7::timestamptz, $8::int, $9::text, $10::text::jsonb, $1::text[]
  where not exists (select 1 from dnc_hit)
  returning id
), checked as (
  insert into phone_claims (scope, e164, lead_id)
  select $11::text, p, (select id from new_lead) from unnest($1::text[]) as p
  where $11::text is not null and exists (select 1 from new_lead)
), unchecked as (
  insert into phone_claims (scope, e164, lead_id)
  select s, p, (select id from new_lead) from unnest($12::text[]) as s cross join unnest($1::text[]) as p
  where exists (select 1 from new_lead)
  on conflict do nothing
), decision as (
  insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
  select (select id from new_lead), $1[1], r.entry_point, r.connect, r.request, r.crm_status, r.latency_ms, r.answer, r.matched_row, r.values,
         case when exists (select 1 from new_lead) then 'created' else 'dnc' end, r.decision
  from jsonb_to_record($13::text::jsonb) as r(entry_point text, connect text, request jsonb, crm_status int, latency_ms int, answer text, matched_row int, values jsonb, decision jsonb)
)
select (select id::text from new_lead) as lead_id`;

const INSERT_DECISION = `
insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
select null, $1::text, r.entry_point, r.connect, r.request, r.crm_status, r.latency_ms, r.answer, r.matched_row, r.values, $2::text, r.decision
from jsonb_to_record($3::text::jsonb) as r(entry_point text, connect text, request jsonb, crm_status int, latency_ms int, answer text, matched_row int, values jsonb, decision jsonb)`;

const OUTCOME = { dnc: 'dnc', duplicateExternalId: 'duplicate_external_id', duplicatePhone: 'duplicate_phone' } as const;

function withOneStatement(store: LeadStore, runner: SqlRunner): LeadStore {
  const insertOne = async (lead: NewLead): Promise<InsertOutcome> => {
    const d = lead.decision!;
    const record = JSON.stringify({
      entry_point: d.entryPoint,
      connect: d.connect,
      request: d.request,
      crm_status: d.crmStatus,
      latency_ms: Math.round(d.latencyMs),
      answer: d.answer,
      matched_row: d.matchedRow,
      values: d.values,
      decision: d.decision,
    });
    const scopes = claimScopes(lead);
    try {
      const rows = await runner.query<{ lead_id: string | null }>(INSERT_ONE_WITH_DECISION, [
        lead.phones,
        lead.templateId,
        lead.campaignId,
        lead.allocationId,
        lead.externalId,
        lead.status,
        lead.callbackAt?.toISOString() ?? null,
        lead.priority,
        lead.contactHours,
        JSON.stringify(lead.fields),
        scopes.checked,
        scopes.unchecked,
        record,
      ]);
      const leadId = rows[0]?.lead_id;
      return leadId ? { kind: 'inserted', leadId } : { kind: 'dnc' };
    } catch (error) {
      const outcome = classifyUniqueViolation(error);
      if (!outcome || outcome.kind === 'inserted') throw error;
      await runner.query(INSERT_DECISION, [lead.phones[0] ?? null, OUTCOME[outcome.kind], record]);
      return outcome;
    }
  };
  return {
    ...store,
    insertLeads: (leads) => (leads.length === 1 && leads[0]!.decision && !leads[0]!.addToDnc ? insertOne(leads[0]!).then((o) => [o]) : store.insertLeads(leads)),
  };
}

const noMetrics: Metrics = {
  request() {},
  gateWait() {},
  gateTimeout() {},
  crmCall() {},
  rulesReload() {},
  decision() {},
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

async function main() {
  const env = parseEnv(process.env);
  if (!env.DATABASE_URL) throw new Error('variant-server needs DATABASE_URL');
  const logger = createLogger(env.LOG_LEVEL);
  const loaded = compileRuleSet(await readRulesDir(env.RULES_DIR), process.env);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const backend = await openBackend(env.DATABASE_URL);
  const deps = buildNodeDeps({
    backend,
    rules: new RulesHolder(loaded.rules),
    logger,
    config: { isApiKey: createApiKeyCheck(env.LEADGATE_API_KEYS), maxBatch: env.LEADGATE_MAX_BATCH, maxBodyBytes: env.LEADGATE_MAX_BODY_BYTES, demo: false, adminToken: undefined },
    admission: { slots: env.LEADGATE_MAX_CONCURRENCY, queueTimeoutMs: env.LEADGATE_QUEUE_TIMEOUT_MS },
    defaultMetrics: true,
  });
  if (variant.has('one-statement')) deps.store = withOneStatement(deps.store, backend.runner);
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
