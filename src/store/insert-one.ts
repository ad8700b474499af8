import type { InsertOutcome, NewLead } from '../pipeline/ports.js';
import { claimScopes } from './dedupe-scopes.js';
import { classifyUniqueViolation } from './unique-violations.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * One lead, one statement, one round trip: the DNC check, the lead row and its phone claims are
 * a single atomic statement. A phone already claimed in the checked scope (or an external id
 * already live in the campaign) raises a unique violation that rolls the whole statement back;
 * the lead insert runs before the claims, so an external-id clash (112) wins over a phone (105).
 */
const INSERT_ONE = `
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
)
select (select id::text from new_lead) as lead_id`;

export async function insertOneLead(runner: SqlRunner, lead: NewLead): Promise<InsertOutcome> {
  const scopes = claimScopes(lead);
  try {
    const rows = await runner.query<{ lead_id: string | null }>(INSERT_ONE, [
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
    ]);
    const leadId = rows[0]?.lead_id;
    return leadId ? { kind: 'inserted', leadId } : { kind: 'dnc' };
  } catch (error) {
    const outcome = classifyUniqueViolation(error);
    if (outcome) return outcome;
    throw error;
  }
}
