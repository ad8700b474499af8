import { insertDecisionOutcome, type Duplicate, type InsertOutcome, type NewLead } from '../pipeline/ports.js';
import { claimScopes, scopeKeys, windowHours } from './dedupe-scopes.js';
import { applyDecisionEffects, decisionColumns, DUPLICATE_CHECK_DNC_SOURCE, hasDecisionEffects } from './decision-effects.js';
import { forwardJson } from './forward-input.js';
import { precheckLeads } from './precheck.js';
import { classifyUniqueViolation } from './unique-violations.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * One lead, one statement, one round trip: the DNC check, the lead row and its claims (phones in
 * three scopes, the other match keys in the template's) are a single atomic statement.
 *
 * Without a window (the short form's "forever") a checked claim is a plain INSERT: a claim already
 * held raises a unique violation that rolls the whole statement back, exactly what leadgate always
 * wrote. With a window each claim is an INSERT … ON CONFLICT DO UPDATE that takes the row over only
 * when its holder is older than the window. PostgreSQL decides that on the row's latest committed
 * version, holding its lock: of two statements racing for an expired or a free claim, exactly one
 * takes it, and the other then sees a live claim. A checked claim that was not won makes the final
 * select call leadgate_refuse_duplicate (drizzle/0004), which raises LG105 naming the key and the
 * holder: the whole statement rolls back, the lead row and any claim it already took over included.
 * An external id already live in the campaign is a unique violation of the lead row, which comes
 * before the claims (112 before 105). Registered (unchecked) claims never refuse: they are taken
 * when free (or expired), and left to a live holder.
 */
interface Shape {
  window: boolean;
  keys: boolean;
  effects: boolean;
  forward: boolean;
}

// $1 phones, $2–$10 the lead, $11 checked phone scope (null: none), $12 the other phone scopes,
// $13 created_at (null: now()), $14 window hours, $15 key scope, $16 keys, $17 values, $18 keys checked
function leadAndClaims(shape: Shape): string {
  const takeOver = (table: string, target: string) =>
    shape.window ? `on conflict ${target} do update set lead_id = excluded.lead_id, created_at = excluded.created_at
    where ${table}.created_at <= excluded.created_at - make_interval(hours => $14::int)` : 'on conflict do nothing';
  const phones = shape.window
    ? `, phone_won as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select s, p, l.id, l.created_at from new_lead l cross join unnest(array_prepend($11::text, $12::text[])) as s cross join unnest($1::text[]) as p
  where s is not null
  ${takeOver('phone_claims', '(scope, e164)')}
  returning scope, e164
)`
    : `, checked as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select $11::text, p, l.id, l.created_at from new_lead l cross join unnest($1::text[]) as p
  where $11::text is not null
), unchecked as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select s, p, l.id, l.created_at from new_lead l cross join unnest($12::text[]) as s cross join unnest($1::text[]) as p
  on conflict do nothing
)`;
  const keys = !shape.keys
    ? ''
    : shape.window
      ? `, key_won as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select $15::text, k, v, l.id, l.created_at from new_lead l cross join unnest($16::text[], $17::text[]) with ordinality as c(k, v, i)
  order by i
  ${takeOver('key_claims', '(scope, key, value)')}
  returning key, value
)`
      : `, key_checked as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select $15::text, k, v, l.id, l.created_at from new_lead l cross join unnest($16::text[], $17::text[]) as c(k, v)
  where $18::boolean
), key_unchecked as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select $15::text, k, v, l.id, l.created_at from new_lead l cross join unnest($16::text[], $17::text[]) as c(k, v)
  where not $18::boolean
  on conflict do nothing
)`;
  return `
with dnc_hit as (
  select 1 from dnc where e164 = any($1::text[]) and campaign_id in (0, $3::int) limit 1
), new_lead as (
  insert into leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, created_at)
  select $2::int, $3::int, $4::int, $5::text, $6::text, $7::timestamptz, $8::int, $9::text, $10::text::jsonb, $1::text[], coalesce($13::timestamptz, now())
  where not exists (select 1 from dnc_hit)
  returning id, created_at
), typed as (
  -- never read (so never run): types the parameters a shape leaves unused
  select $13::timestamptz, $14::int, $15::text, $16::text[], $17::text[], $18::boolean
)${phones}${keys}`;
}

function result(shape: Shape): string {
  if (!shape.window) return `\nselect (select id::text from new_lead) as lead_id`;
  const phone = `(select leadgate_refuse_duplicate('phone', $11::text, p) from unnest($1::text[]) as p
     where $11::text is not null and exists (select 1 from new_lead)
       and not exists (select 1 from phone_won w where w.scope = $11::text and w.e164 = p) limit 1) as phone_refused`;
  const keys = shape.keys
    ? `,
  (select leadgate_refuse_duplicate(c.k, $15::text, c.v) from unnest($16::text[], $17::text[]) with ordinality as c(k, v, i)
     where $18::boolean and exists (select 1 from new_lead)
       and not exists (select 1 from key_won w where w.key = c.k and w.value = c.v) order by c.i limit 1) as key_refused`
    : '';
  return `\nselect (select id::text from new_lead) as lead_id,\n  ${phone}${keys}`;
}

/*
 * The same with the duplicate-check's effects in the same statement: the decision record (with the
 * new lead's id, or outcome 'dnc') and, when the lead is created and the table said so, its phones
 * on the DNC list. Still one round trip, where a transaction would take five.
 */
const EFFECTS = `, dnc_added as (
  insert into dnc (e164, campaign_id, reason, source)
  select p, 0, $20::text, $21::text from unnest($1::text[]) as p
  where $19::boolean and exists (select 1 from new_lead)
  on conflict do nothing
), decision as (
  insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
  select (select id from new_lead), r.phone, r.entry_point, r.connect, r.request, r.crm_status, r.latency_ms, r.answer, r.matched_row, r.values,
         case when exists (select 1 from new_lead) then 'created' else 'dnc' end, r.decision
  from jsonb_to_record($22::text::jsonb) as r(phone text, entry_point text, connect text, request jsonb, crm_status int, latency_ms int,
    answer text, matched_row int, values jsonb, decision jsonb)
  where $22::text is not null
)`;

/** The lead's deliveries to the dialer (SPEC 10.2 point 1): written by the statement that writes the lead, or not at all. */
const forwarded = (param: number) => `, forwarded as (
  insert into deliveries (lead_id, destination, event, route)
  select l.id, f.destination, 'insert', f.route from new_lead l cross join jsonb_to_recordset($${param}::text::jsonb) as f(destination text, route jsonb)
)`;

const statements = new Map<string, string>();
function statement(shape: Shape): string {
  const name = `${shape.window}/${shape.keys}/${shape.effects}/${shape.forward}`;
  let text = statements.get(name);
  if (!text) {
    text = leadAndClaims(shape) + (shape.effects ? EFFECTS : '') + (shape.forward ? forwarded(shape.effects ? 23 : 19) : '') + result(shape);
    statements.set(name, text);
  }
  return text;
}

export async function insertOneLead(runner: SqlRunner, lead: NewLead, clock?: () => Date): Promise<InsertOutcome> {
  const scopes = claimScopes(lead);
  const hours = windowHours(lead);
  const keys = lead.keys && lead.keys.claims.length > 0 ? lead.keys : undefined;
  const shape: Shape = { window: hours !== null, keys: keys !== undefined, effects: hasDecisionEffects(lead), forward: (lead.forward?.length ?? 0) > 0 };
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
    (lead.createdAt ?? clock?.())?.toISOString() ?? null,
    hours,
    keys ? scopeKeys(lead)[keys.scope] : null,
    keys?.claims.map((c) => c.key) ?? [],
    keys?.claims.map((c) => c.value) ?? [],
    keys?.check ?? false,
  ];
  if (shape.effects) {
    const record = lead.decision ? JSON.stringify(decisionColumns(lead.phones, lead.decision)) : null;
    params.push(lead.addToDnc !== undefined, lead.addToDnc?.reason ?? null, DUPLICATE_CHECK_DNC_SOURCE, record);
  }
  if (shape.forward) params.push(forwardJson(lead));
  try {
    const rows = await runner.query<{ lead_id: string | null }>(statement(shape), params);
    const leadId = rows[0]?.lead_id;
    return leadId ? { kind: 'inserted', leadId } : { kind: 'dnc' };
  } catch (error) {
    let outcome = classifyUniqueViolation(error);
    if (!outcome) throw error;
    // A unique violation of a claim (no window) names no key: ask which one, and its holder (the
    // refused path only; a plain read, as the write already decided).
    if (outcome.kind === 'duplicate' && outcome.matchedLeadId === null) outcome = await whichDuplicate(runner, lead, outcome, clock);
    // The statement rolled back whole: the refused lead's decision is still recorded (no DNC add,
    // which only follows a created lead).
    if (lead.decision) {
      await applyDecisionEffects(runner, [{ phones: lead.phones, leadId: null, outcome: insertDecisionOutcome(outcome), decision: lead.decision, duplicate: outcome }]);
    }
    return outcome;
  }
}

async function whichDuplicate(runner: SqlRunner, lead: NewLead, fallback: Duplicate, clock?: () => Date): Promise<Duplicate> {
  const [verdict] = await precheckLeads(runner, [{ ...lead, externalId: null }], clock);
  return verdict?.kind === 'duplicate' ? verdict : fallback;
}
