import { INSERT_DECISION_OUTCOME, type InsertOutcome, type NewLead } from '../pipeline/ports.js';
import { claimScopes } from './dedupe-scopes.js';
import { applyDecisionEffects, decisionColumns, DUPLICATE_CHECK_DNC_SOURCE, hasDecisionEffects } from './decision-effects.js';
import { classifyUniqueViolation } from './unique-violations.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * One lead, one statement, one round trip: the DNC check, the lead row and its phone claims are
 * a single atomic statement. A phone already claimed in the checked scope (or an external id
 * already live in the campaign) raises a unique violation that rolls the whole statement back;
 * the lead insert runs before the claims, so an external-id clash (112) wins over a phone (105).
 */
const LEAD_AND_CLAIMS = `
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
)`;

const RESULT = `
select (select id::text from new_lead) as lead_id`;

const INSERT_ONE = LEAD_AND_CLAIMS + RESULT;

/*
 * The same with the duplicate-check's effects in the same statement: the decision record (with the
 * new lead's id, or outcome 'dnc') and, when the lead is created and the table said so, its phones
 * on the DNC list. Still one round trip, where a transaction would take five.
 */
const INSERT_ONE_WITH_EFFECTS = `${LEAD_AND_CLAIMS}, dnc_added as (
  insert into dnc (e164, campaign_id, reason, source)
  select p, 0, $14::text, $15::text from unnest($1::text[]) as p
  where $13::boolean and exists (select 1 from new_lead)
  on conflict do nothing
), decision as (
  insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
  select (select id from new_lead), r.phone, r.entry_point, r.connect, r.request, r.crm_status, r.latency_ms, r.answer, r.matched_row, r.values,
         case when exists (select 1 from new_lead) then 'created' else 'dnc' end, r.decision
  from jsonb_to_record($16::text::jsonb) as r(phone text, entry_point text, connect text, request jsonb, crm_status int, latency_ms int,
    answer text, matched_row int, values jsonb, decision jsonb)
  where $16::text is not null
)${RESULT}`;

export async function insertOneLead(runner: SqlRunner, lead: NewLead): Promise<InsertOutcome> {
  const scopes = claimScopes(lead);
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
    scopes.checked,
    scopes.unchecked,
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
      await applyDecisionEffects(runner, [{ phones: lead.phones, leadId: null, outcome: INSERT_DECISION_OUTCOME[outcome.kind], decision: lead.decision }]);
    }
    return outcome;
  }
}
