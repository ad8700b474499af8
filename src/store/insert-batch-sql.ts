/*
 * The statements of insert-batch.ts (which says what each step does and why).
 *
 * Creation times: a lead's `created_at` parameter is null unless the caller set one (an import's
 * createdAt, a test's clock), and the leads and their claims then take now(), the transaction's
 * start time, in every statement of the batch's transaction alike. So no statement returns the
 * creation time and none sends it back (it was formatted for 1,000 leads and parsed again for
 * their 3,000 claims); only step 3, which compares it with the holders' ages, asks for now().
 */

/*
 * `forwarding`: the leads' deliveries to the dialer are written by the same statement (SPEC 10.2
 * point 1); a lead deleted again at step 5 takes its deliveries with it (on delete cascade).
 */
function insertLeadsStatement(forwarding: boolean): string {
  return `
with input as (
  -- the sequence is looked up once (an InitPlan), not for each row: 2.9 -> 0.3 ms per 1,000 ids
  select r.*, nextval((select pg_get_serial_sequence('leads', 'id')::regclass)) as id
  from jsonb_to_recordset($1::text::jsonb) as r(
    ord int, template_id int, campaign_id int, allocation_id int, external_id text, status text,
    callback_at timestamptz, priority int, contact_hours text, fields jsonb, phones text[], created_at timestamptz${forwarding ? ', forward jsonb' : ''})
  -- a LIMIT 1 probe, not NOT EXISTS: an anti-join could read the whole DNC list (see precheck.ts)
  where (select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1) is null
), inserted as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, created_at)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, coalesce(created_at, now())
  from input order by ord
  on conflict (campaign_id, external_id) where external_id is not null and state <> 'reallocated' do nothing
  returning id
)${
    forwarding
      ? `, forwarded as (
  insert into deliveries (lead_id, destination, event, route)
  select input.id, f.destination, 'insert', f.route
  from input cross join jsonb_to_recordset(input.forward) as f(destination text, route jsonb)
  where input.forward is not null and input.id in (select id from inserted)
  order by input.ord
)`
      : ''
  }
select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted
from input`;
}

export const INSERT_LEADS = insertLeadsStatement(false);
export const INSERT_LEADS_FORWARDING = insertLeadsStatement(true);

function micros(expression: string) {
  return `(extract(epoch from ${expression}) * 1000000)::bigint::text`;
}

const CLAIM_INPUT = `
with input as (
  select * from jsonb_to_recordset($1::text::jsonb) as r(i int, scope text, key text, value text, lead_id bigint, created_at timestamptz, holder bigint)
)`;

/*
 * Answers the claims NOT won (their `i`), so the usual batch, which wins every claim, gets no rows
 * back, rather than the 3,000 claims won for the caller to look each up by a composed key (two
 * hashed subplans here; bench/experiments/batch-store-cpu.ts measures the two trees side by side).
 */
export const CLAIM = `${CLAIM_INPUT}, phone_won as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select scope, value, lead_id, coalesce(created_at, now()) from input where key = 'phone' order by i
  on conflict do nothing
  returning scope, e164, lead_id
), key_won as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select scope, key, value, lead_id, coalesce(created_at, now()) from input where key <> 'phone' order by i
  on conflict do nothing
  returning scope, key, value, lead_id
)
select i from input where key = 'phone' and (scope, value, lead_id) not in (select scope, e164, lead_id from phone_won)
union all
select i from input where key <> 'phone' and (scope, key, value, lead_id) not in (select scope, key, value, lead_id from key_won)`;

/** `now_us`: the transaction's now(), the creation time of the batch's leads that have no explicit one */
export const LOCK_HOLDERS = `${CLAIM_INPUT}, p as (
  select c.scope, 'phone'::text as key, c.e164 as value, c.lead_id, c.created_at
  from input i join phone_claims c on c.scope = i.scope and c.e164 = i.value
  where i.key = 'phone' order by i.i for update of c
), k as (
  select c.scope, c.key, c.value, c.lead_id, c.created_at
  from input i join key_claims c on c.scope = i.scope and c.key = i.key and c.value = i.value
  where i.key <> 'phone' order by i.i for update of c
)
select scope, key, value, lead_id::text as lead_id, ${micros('created_at')} as created_us, ${micros('now()')} as now_us from p
union all
select scope, key, value, lead_id::text as lead_id, ${micros('created_at')} as created_us, ${micros('now()')} as now_us from k`;

export const TAKE_OVER = `${CLAIM_INPUT}, phone_taken as (
  update phone_claims c set lead_id = i.lead_id, created_at = coalesce(i.created_at, now()) from input i
  where i.key = 'phone' and i.holder is not null and c.scope = i.scope and c.e164 = i.value and c.lead_id = i.holder
  returning c.scope, c.e164, c.lead_id
), phone_freed as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select scope, value, lead_id, coalesce(created_at, now()) from input where key = 'phone' and holder is null order by i
  on conflict do nothing
  returning scope, e164, lead_id
), key_taken as (
  update key_claims c set lead_id = i.lead_id, created_at = coalesce(i.created_at, now()) from input i
  where i.key <> 'phone' and i.holder is not null and c.scope = i.scope and c.key = i.key and c.value = i.value and c.lead_id = i.holder
  returning c.scope, c.key, c.value, c.lead_id
), key_freed as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select scope, key, value, lead_id, coalesce(created_at, now()) from input where key <> 'phone' and holder is null order by i
  on conflict do nothing
  returning scope, key, value, lead_id
)
select scope, 'phone' as key, e164 as value, lead_id::text as lead_id from phone_taken
union all select scope, 'phone', e164, lead_id::text from phone_freed
union all select scope, key, value, lead_id::text from key_taken
union all select scope, key, value, lead_id::text from key_freed`;

export const DELETE_LEADS = `delete from leads where id = any($1::bigint[])`;
