import { insertDecisionOutcome, type InsertOutcome, type NewLead } from '../pipeline/ports.js';
import { leadClaims, windowHours } from './dedupe-scopes.js';
import { applyDecisionEffects, decisionColumns, DUPLICATE_CHECK_DNC_SOURCE, hasDecisionEffects } from './decision-effects.js';
import { classifyUniqueViolation } from './unique-violations.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * One lead, one statement, one round trip: the DNC check, the lead row and its claims (phones in
 * three scopes, the other match keys in the template's) are a single atomic statement.
 *
 * Each claim is an INSERT … ON CONFLICT DO UPDATE that takes the row over only when its holder is
 * older than the window (never, without one). PostgreSQL decides that on the row's latest
 * committed version, holding its lock: of two statements racing for an expired or a free claim,
 * exactly one takes it, and the other then sees a live claim. A checked claim that was not won
 * makes the final select call leadgate_refuse_duplicate (drizzle/0003), which raises: the whole
 * statement rolls back, the lead row and any claim it already took over included, and the error
 * names the key and the lead holding it. An external id already live in the campaign is still a
 * unique violation of the lead row, which comes first (112 before 105).
 */
const LEAD_AND_CLAIMS = `
with dnc_hit as (
  select 1 from dnc where e164 = any($1::text[]) and campaign_id in (0, $3::int) limit 1
), new_lead as (
  insert into leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, created_at)
  select $2::int, $3::int, $4::int, $5::text, $6::text, $7::timestamptz, $8::int, $9::text, $10::text::jsonb, $1::text[], coalesce($17::timestamptz, now())
  where not exists (select 1 from dnc_hit)
  returning id, created_at
), claim as (
  select c.ord, c.scope, c.key, c.value, c.checked::boolean as checked, c.rank::int as rank, l.id as lead_id, l.created_at
  from new_lead l cross join unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::text[]) with ordinality as c(scope, key, value, checked, rank, ord)
), phone_won as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select scope, value, lead_id, created_at from claim where key = 'phone' order by ord
  on conflict (scope, e164) do update set lead_id = excluded.lead_id, created_at = excluded.created_at
    where phone_claims.created_at <= excluded.created_at - make_interval(hours => $16::int)
  returning scope, e164
), key_won as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select scope, key, value, lead_id, created_at from claim where key <> 'phone' order by ord
  on conflict (scope, key, value) do update set lead_id = excluded.lead_id, created_at = excluded.created_at
    where key_claims.created_at <= excluded.created_at - make_interval(hours => $16::int)
  returning scope, key, value
)`;

const RESULT = `
select (select id::text from new_lead) as lead_id,
  (select leadgate_refuse_duplicate(c.key, c.scope, c.value) from claim c
   where c.checked
     and not exists (select 1 from phone_won w where c.key = 'phone' and w.scope = c.scope and w.e164 = c.value)
     and not exists (select 1 from key_won w where c.key <> 'phone' and w.scope = c.scope and w.key = c.key and w.value = c.value)
   order by c.rank, c.ord limit 1) as refused`;

const INSERT_ONE = LEAD_AND_CLAIMS + RESULT;

/*
 * The same with the duplicate-check's effects in the same statement: the decision record (with the
 * new lead's id, or outcome 'dnc') and, when the lead is created and the table said so, its phones
 * on the DNC list. Still one round trip, where a transaction would take five.
 */
const INSERT_ONE_WITH_EFFECTS = `${LEAD_AND_CLAIMS}, dnc_added as (
  insert into dnc (e164, campaign_id, reason, source)
  select p, 0, $19::text, $20::text from unnest($1::text[]) as p
  where $18::boolean and exists (select 1 from new_lead)
  on conflict do nothing
), decision as (
  insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
  select (select id from new_lead), r.phone, r.entry_point, r.connect, r.request, r.crm_status, r.latency_ms, r.answer, r.matched_row, r.values,
         case when exists (select 1 from new_lead) then 'created' else 'dnc' end, r.decision
  from jsonb_to_record($21::text::jsonb) as r(phone text, entry_point text, connect text, request jsonb, crm_status int, latency_ms int,
    answer text, matched_row int, values jsonb, decision jsonb)
  where $21::text is not null
)${RESULT}`;

export async function insertOneLead(runner: SqlRunner, lead: NewLead, clock?: () => Date): Promise<InsertOutcome> {
  const claims = leadClaims(lead);
  const createdAt = lead.createdAt ?? clock?.() ?? null;
  const params: unknown[] = [
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
    claims.map((c) => c.scope),
    claims.map((c) => c.key),
    claims.map((c) => c.value),
    // as text: postgres.js cannot send a boolean[] or int[] parameter as such
    claims.map((c) => String(c.checked)),
    claims.map((c) => String(c.rank)),
    windowHours(lead),
    createdAt?.toISOString() ?? null,
  ];
  const withEffects = hasDecisionEffects(lead);
  if (withEffects) {
    const record = lead.decision ? JSON.stringify(decisionColumns(lead.phones, lead.decision)) : null;
    params.push(lead.addToDnc !== undefined, lead.addToDnc?.reason ?? null, DUPLICATE_CHECK_DNC_SOURCE, record);
  }
  try {
    const rows = await runner.query<{ lead_id: string | null }>(withEffects ? INSERT_ONE_WITH_EFFECTS : INSERT_ONE, params);
    const leadId = rows[0]?.lead_id;
    return leadId ? { kind: 'inserted', leadId } : { kind: 'dnc' };
  } catch (error) {
    const outcome = classifyUniqueViolation(error);
    if (!outcome) throw error;
    // The statement rolled back whole: the refused lead's decision is still recorded (no DNC add,
    // which only follows a created lead).
    if (lead.decision) {
      await applyDecisionEffects(runner, [{ phones: lead.phones, leadId: null, outcome: insertDecisionOutcome(outcome), decision: lead.decision, duplicate: outcome }]);
    }
    return outcome;
  }
}
