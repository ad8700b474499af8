/**
 * Diagnosis of the batch path (insertLeadsFast, 1,000 leads): the product's two bulk statements
 * against alternatives, on one throwaway PostgreSQL server, each variant in a database of its own
 * seeded with the same 10,000 leads. Batches are run round-robin over the variants (one batch of
 * each in turn), so a neighbour's burst on the shared machine hits every variant alike; the figure
 * is the median batch time. Also prints EXPLAIN (ANALYZE, BUFFERS) of the product's statements.
 *   npx tsx bench/experiments/batch-sql.ts [rounds=9] [variant,...]
 *
 * Variants (all write the same rows: lead, three phone claims, same indexes unless said):
 *   product        createLeadStore().insertLeads: jsonb_to_recordset statements (insert-batch.ts)
 *   hashed         the leads statement's final select as a hashed subplan (see HASHED_FINAL_SELECT; the
 *                  product has done so since, so 'product' and 'hashed' now run the same SQL)
 *   hashed-…       the same without the GIN index / the foreign key / with synchronous_commit off
 *   unnest         hashed, and the two statements fed by unnest() of typed arrays instead of jsonb_to_recordset
 *   copy           hashed, fed by COPY (csv) into a temp table, then the same INSERT … SELECT from it
 *   no-gin         product, without the GIN index leads_phones_gin
 *   no-fk          product, without the phone_claims → leads foreign key
 *   no-gin-fk      product, without both
 *   unnest-no-gin-fk   unnest statements without both
 *   async-commit   product with synchronous_commit = off (durability trade: reference only)
 *   unlogged       product on UNLOGGED tables (reference only: not crash-safe)
 *   one-statement  unnest, leads and claims in ONE statement (no transaction, one round trip)
 */
import postgres from 'postgres';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { insertLeadBatch } from '../../src/store/insert-batch.js';
import { claimScopes } from '../../src/store/dedupe-scopes.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { NewLead } from '../../src/pipeline/ports.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { runExperiment } from '../harness/cleanup.js';
import { allocatePhoneBlocks } from '../harness/leads.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { seedLeads, settle } from '../harness/seed.js';
import { newLeads } from '../scenarios/batch-http.js';

type Sql = postgres.Sql;
type Insert = (sql: Sql, leads: NewLead[]) => Promise<number>;

const BATCH = 1_000;

// ---------------------------------------------------------------- unnest statements
const UNNEST_LEADS = `
with input as (
  select u.*, string_to_array(u.phone_list, ',') as phones, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], $8::int[], $9::text[], $10::text[], $11::text[])
    as u(ord, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phone_list)
  where not exists (select 1 from dnc where dnc.e164 = any(string_to_array(u.phone_list, ',')) and dnc.campaign_id in (0, u.campaign_id))
), inserted as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields::jsonb, phones
  from input order by ord
  on conflict (campaign_id, external_id) where external_id is not null and state <> 'reallocated' do nothing
  returning id
)
select input.ord, input.id::text as lead_id, (inserted.id is not null) as inserted
from input left join inserted on inserted.id = input.id`;

const UNNEST_CLAIMS = `
with input as (
  select ord, scope, e164, lead_id, flag = 1 as checked
  from unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::int2[]) as r(ord, scope, e164, lead_id, flag)
), checked as (
  insert into phone_claims (scope, e164, lead_id)
  select scope, e164, lead_id from input where checked order by scope, e164, ord
  on conflict do nothing
  returning scope, e164, lead_id::text as lead_id
), unchecked as (
  insert into phone_claims (scope, e164, lead_id)
  select scope, e164, lead_id from input where not checked order by scope, e164, ord
  on conflict do nothing
)
select scope, e164, lead_id from checked`;

function leadColumns(leads: NewLead[]) {
  return [
    leads.map((_, i) => i),
    leads.map((l) => l.templateId),
    leads.map((l) => l.campaignId),
    leads.map((l) => l.allocationId),
    leads.map((l) => l.externalId),
    leads.map((l) => l.status),
    leads.map((l) => l.callbackAt?.toISOString() ?? null),
    leads.map((l) => l.priority),
    leads.map((l) => l.contactHours),
    leads.map((l) => JSON.stringify(l.fields)),
    leads.map((l) => l.phones.join(',')),
  ];
}

function claimColumns(leads: NewLead[], ids: Map<number, string>) {
  // checked as 1/0: postgres.js declares a JS boolean array as a plain bool parameter
  const cols: [number[], string[], string[], string[], number[]] = [[], [], [], [], []];
  leads.forEach((lead, ord) => {
    const id = ids.get(ord);
    if (!id) return;
    const scopes = claimScopes(lead);
    for (const e164 of lead.phones) {
      const add = (scope: string, checked: boolean) => {
        cols[0].push(ord);
        cols[1].push(scope);
        cols[2].push(e164);
        cols[3].push(id);
        cols[4].push(checked ? 1 : 0);
      };
      if (scopes.checked) add(scopes.checked, true);
      for (const s of scopes.unchecked) add(s, false);
    }
  });
  return cols;
}

const unnestInsert: Insert = (sql, leads) =>
  sql.begin(async (tx) => {
    const rows = await tx.unsafe<{ ord: number; lead_id: string; inserted: boolean }[]>(HASHED_FINAL_SELECT(UNNEST_LEADS), leadColumns(leads) as never, { prepare: true });
    const ids = new Map(rows.filter((r) => r.inserted).map((r) => [r.ord, r.lead_id]));
    const won = await tx.unsafe(UNNEST_CLAIMS, claimColumns(leads, ids) as never, { prepare: true });
    return won.length;
  }) as Promise<number>;

// ---------------------------------------------------------------- one statement (unnest)
const ONE_STATEMENT = `
with input as (
  select u.*, string_to_array(u.phone_list, ',') as phones, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[])
    as u(ord, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phone_list, checked_scope)
  where not exists (select 1 from dnc where dnc.e164 = any(string_to_array(u.phone_list, ',')) and dnc.campaign_id in (0, u.campaign_id))
), inserted as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields::jsonb, phones
  from input order by ord
  on conflict (campaign_id, external_id) where external_id is not null and state <> 'reallocated' do nothing
  returning id
), claims as (
  select input.id, s.scope, p.e164, input.ord, s.scope = input.checked_scope as checked
  from input
  cross join lateral unnest(input.phones) as p(e164)
  cross join lateral unnest(array['a' || input.allocation_id, 'c' || input.campaign_id, 'g']) as s(scope)
  where input.id in (select id from inserted)
), checked as (
  insert into phone_claims (scope, e164, lead_id)
  select scope, e164, id from claims where checked order by scope, e164, ord
  on conflict do nothing
  returning lead_id
), unchecked as (
  insert into phone_claims (scope, e164, lead_id)
  select scope, e164, id from claims where not checked order by scope, e164, ord
  on conflict do nothing
)
select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted,
       (input.id in (select lead_id from checked))::int as won
from input`;

const oneStatement: Insert = async (sql, leads) => {
  const rows = await sql.unsafe<{ won: number }[]>(ONE_STATEMENT, [...leadColumns(leads), leads.map((l) => claimScopes(l).checked)] as never, { prepare: true });
  return rows.reduce((a, r) => a + r.won, 0);
};

// ---------------------------------------------------------------- COPY into a temp table
const COPY_LEADS = INSERT_FROM('batch_in');
function INSERT_FROM(table: string) {
  return `
with input as (
  select r.*, string_to_array(r.phone_list, ',') as phones, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from ${table} r
  where not exists (select 1 from dnc where dnc.e164 = any(string_to_array(r.phone_list, ',')) and dnc.campaign_id in (0, r.campaign_id))
), inserted as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones
  from input order by ord
  on conflict (campaign_id, external_id) where external_id is not null and state <> 'reallocated' do nothing
  returning id
)
select input.ord, input.id::text as lead_id, (inserted.id is not null) as inserted
from input left join inserted on inserted.id = input.id`;
}
const csv = (v: unknown) => (v === null || v === undefined ? '' : `"${String(v).replace(/"/g, '""')}"`);

const copyInsert: Insert = (sql, leads) =>
  sql.begin(async (tx) => {
    await tx.unsafe(`create temp table if not exists batch_in (ord int, template_id int, campaign_id int, allocation_id int, external_id text, status text,
      callback_at timestamptz, priority int, contact_hours text, fields jsonb, phone_list text) on commit delete rows`);
    const text = leads
      .map((l, i) => [i, l.templateId, l.campaignId, l.allocationId, csv(l.externalId), csv(l.status), l.callbackAt?.toISOString() ?? '', l.priority, csv(l.contactHours), csv(JSON.stringify(l.fields)), csv(l.phones.join(','))].join(','))
      .join('\n');
    const writable = await tx.unsafe('copy batch_in from stdin (format csv)').writable();
    await new Promise<void>((resolve, reject) => {
      writable.on('error', reject);
      writable.on('finish', () => resolve());
      writable.end(`${text}\n`);
    });
    const rows = await tx.unsafe<{ ord: number; lead_id: string; inserted: boolean }[]>(HASHED_FINAL_SELECT(COPY_LEADS), [], { prepare: true });
    const ids = new Map(rows.filter((r) => r.inserted).map((r) => [r.ord, r.lead_id]));
    const won = await tx.unsafe(UNNEST_CLAIMS, claimColumns(leads, ids) as never, { prepare: true });
    return won.length;
  }) as Promise<number>;

// ---------------------------------------------------------------- the product
const runnerOf = (sql: Sql): SqlRunner => ({
  query: async (text, params = []) => (await sql.unsafe(text, params as never, { prepare: true })) as never,
  transaction: (fn) => sql.begin((tx) => fn(runnerOf(tx as unknown as Sql))) as never,
});
const productInsert: Insert = async (sql, leads) => {
  const outcomes = await createLeadStore(runnerOf(sql)).insertLeads(leads);
  return outcomes.filter((o) => o.kind === 'inserted').length;
};

/** The product's code (createLeadStore().insertLeads), with its SQL text rewritten on the way to the server. */
const rewritingRunner = (sql: Sql, rewrite: (text: string) => string): SqlRunner => ({
  query: async (text, params = []) => (await sql.unsafe(rewrite(text), params as never, { prepare: true })) as never,
  transaction: (fn) => sql.begin((tx) => fn(rewritingRunner(tx as unknown as Sql, rewrite))) as never,
});
const productRewritten =
  (rewrite: (text: string) => string): Insert =>
  async (sql, leads) => {
    const outcomes = await createLeadStore(rewritingRunner(sql, rewrite)).insertLeads(leads);
    return outcomes.filter((o) => o.kind === 'inserted').length;
  };

/**
 * The fix for the leads statement: its last SELECT joins \`input\` to \`inserted\` (1,000 × 1,000
 * rows). jsonb_to_recordset is estimated at 100 rows and the anti-join at 1, so the planner picks a
 * nested loop that rescans the \`inserted\` CTE once per input row (999,000 rows removed by the join
 * filter). \`id in (select id from inserted)\` is a hashed subplan: one pass.
 */
const LEFT_JOIN = 'select input.ord, input.id::text as lead_id, (inserted.id is not null) as inserted\nfrom input left join inserted on inserted.id = input.id';
export const HASHED_FINAL_SELECT = (text: string) => {
  // insert-batch.ts has used the hashed subplan since this experiment: its text passes unchanged
  if (!text.includes('insert into leads (id,') || !text.includes(LEFT_JOIN)) return text;
  return text.replace(LEFT_JOIN, 'select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted\nfrom input');
};
/** the product's statements with the time of each step */
const steps = { json: 0, leads: 0, claims: 0, n: 0 };
const productTimed: Insert = (sql, leads) =>
  sql.begin(async (tx) => {
    const runner = runnerOf(tx as unknown as Sql);
    const timing: SqlRunner = {
      query: async (text, params) => {
        const t = performance.now();
        const r = await runner.query(text, params);
        const ms = performance.now() - t;
        if (text.includes('insert into leads')) steps.leads += ms;
        else steps.claims += ms;
        return r as never;
      },
      transaction: runner.transaction,
    };
    const out = await insertLeadBatch(timing, leads);
    steps.n += 1;
    return out.filter((o) => o.kind === 'inserted').length;
  }) as Promise<number>;

interface Variant {
  name: string;
  insert: Insert;
  ddl?: string[];
  dbSettings?: string[];
}

const NO_GIN = 'drop index leads_phones_gin';
const NO_FK = 'alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk';
const hashed = productRewritten(HASHED_FINAL_SELECT);
/** hashed final select, and the DNC check skipped while the DNC list is empty (an EXISTS on dnc first) */

const VARIANTS: Variant[] = [
  { name: 'product', insert: productTimed },
  { name: 'hashed', insert: hashed },
  { name: 'hashed-no-gin', insert: hashed, ddl: [NO_GIN] },
  { name: 'hashed-no-fk', insert: hashed, ddl: [NO_FK] },
  { name: 'hashed-no-gin-fk', insert: hashed, ddl: [NO_GIN, NO_FK] },
  { name: 'hashed-async-commit', insert: hashed, dbSettings: ['synchronous_commit = off'] },
  { name: 'unnest', insert: unnestInsert },
  { name: 'copy', insert: copyInsert },
  { name: 'one-statement', insert: oneStatement },
  { name: 'no-gin', insert: productInsert, ddl: ['drop index leads_phones_gin'] },
  { name: 'no-fk', insert: productInsert, ddl: ['alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk'] },
  { name: 'no-gin-fk', insert: productInsert, ddl: ['drop index leads_phones_gin', 'alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk'] },
  { name: 'unnest-no-gin-fk', insert: unnestInsert, ddl: ['drop index leads_phones_gin', 'alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk'] },
  { name: 'one-stmt-no-gin-fk', insert: oneStatement, ddl: ['drop index leads_phones_gin', 'alter table phone_claims drop constraint phone_claims_lead_id_leads_id_fk'] },
  { name: 'async-commit', insert: productInsert, dbSettings: ['synchronous_commit = off'] },
  {
    name: 'hashed-unlogged',
    insert: hashed,
    ddl: ['alter table phone_claims set unlogged', 'alter table call_records set unlogged', 'alter table leads set unlogged'],
  },
];

async function main() {
  const rounds = Number(process.argv[2] ?? 9);
  const only = process.argv[3]?.split(',');
  const variants = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;
  const pg = await startThrowawayPostgres();
  const dbs: Array<{ v: Variant; sql: Sql; blocks: number[]; next: number; ms: number[] }> = [];
  for (const [i, v] of variants.entries()) {
    const db = `exp_${i}`;
    const url = await pg.freshDatabase(db);
    await migratePostgres(url);
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    for (const s of v.ddl ?? []) await admin.unsafe(s);
    for (const s of v.dbSettings ?? []) await admin.unsafe(`alter database ${db} set ${s}`);
    await admin.end();
    await seedLeads(url, 0, 10_000);
    await settle(url);
    dbs.push({ v, sql: postgres(url, { max: 4, onnotice: () => {} }), blocks: allocatePhoneBlocks(), next: 0, ms: [] });
  }
  // warm-up: prepared statements, caches
  for (const d of dbs) {
    for (let k = 0; k < 2; k += 1) {
      await d.v.insert(d.sql, newLeads(d.blocks, d.next, BATCH));
      d.next += BATCH;
    }
  }
  steps.json = steps.leads = steps.claims = steps.n = 0;
  for (let r = 0; r < rounds; r += 1) {
    for (const d of dbs) {
      const leads = newLeads(d.blocks, d.next, BATCH);
      d.next += BATCH;
      const t = performance.now();
      const won = await d.v.insert(d.sql, leads);
      d.ms.push(performance.now() - t);
      if (won !== BATCH) throw new Error(`${d.v.name}: ${won} of ${BATCH} leads claimed their phones`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(dbs[0]!.ms);
  console.log(`\n1,000-lead batch, sequential, median of ${rounds} (round-robin over variants):`);
  for (const d of dbs) {
    const m = median(d.ms);
    console.log(`  ${d.v.name.padEnd(20)} ${m.toFixed(1).padStart(7)} ms  ${Math.round(BATCH / (m / 1000)).toLocaleString('en-US').padStart(7)} leads/s  ${(base / m).toFixed(2)}× ${dbs[0]!.v.name}`);
  }
  if (steps.n > 0) console.log(`  product steps (mean): leads statement ${(steps.leads / steps.n).toFixed(1)} ms, claims statement ${(steps.claims / steps.n).toFixed(1)} ms`);

  // EXPLAIN=variant,...: EXPLAIN (ANALYZE, BUFFERS, WAL) of every statement of one more batch of those variants
  for (const d of dbs.filter((x) => (process.env.EXPLAIN ?? 'product').split(',').includes(x.v.name))) {
    const leads = newLeads(d.blocks, d.next, BATCH);
    d.next += BATCH;
    console.log(`\n======== EXPLAIN ${d.v.name}`);
    await d.sql.begin(async (tx) => {
      const explaining = (inner: Sql) =>
        ({
          unsafe: (text: string, params: unknown[] = [], options?: object) => {
            if (!/^\s*(with|insert)/i.test(text)) return inner.unsafe(text, params as never, options);
            return (async () => {
              await inner.unsafe('savepoint explain');
              const plan = await inner.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers, wal) ${text}`, params as never);
              await inner.unsafe('rollback to savepoint explain');
              console.log(`\n${plan.map((p) => p['QUERY PLAN']).join('\n')}`);
              return inner.unsafe(text, params as never, options);
            })();
          },
          begin: (fn: (tx: Sql) => Promise<unknown>) => fn(explaining(inner)),
        }) as unknown as Sql;
      await d.v.insert(explaining(tx as unknown as Sql), leads);
    });
  }
  for (const d of dbs) await d.sql.end({ timeout: 5 });
}

runExperiment(main);
