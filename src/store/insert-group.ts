import type { InsertOutcome, NewLead } from '../pipeline/ports.js';
import { decisionColumns, DUPLICATE_CHECK_DNC_SOURCE, hasDecisionEffects } from './decision-effects.js';
import { claimScopes, scopeKeys, windowHours } from './dedupe-scopes.js';
import { checkedClaims, duplicateOf, firstHeldClaim } from './precheck.js';
import { forwardRows } from './forward-input.js';
import { newLeadInput } from './lead-row.js';
import { databaseErrorInfo, RETRYABLE_TRANSACTION_CODES, UNIQUE_VIOLATION, type SqlRunner } from './sql-runner.js';

/*
 * The group commit's write of several single-lead requests in one statement and one round trip,
 * with no transaction around it: insert-one.ts's statement for many leads. Per lead, as there: the
 * DNC check, the lead row, its phone and match-key claims (checked ones a plain INSERT, registered
 * ones ON CONFLICT DO NOTHING), and with it its decision record, the DNC additions its table asked
 * for and its deliveries to the dialer.
 *
 * A lead the statement's snapshot shows to be taken is not written. Taken means: its external id
 * is live in the campaign; a claim it checks is held; or, for a lead with a window, any claim it
 * makes is held. Kept forever and with no decision record to write, it is answered here as
 * insert-one would answer it (112, or 105 naming the first claim held and its holder): a resent
 * lead costs its share of the statement, no more. Otherwise it is answered `undefined` and the
 * caller writes it alone (insert-one.ts), which takes over what has expired and records the
 * decision. Whatever the snapshot could not show (a claim or an external id taken by a
 * transaction still running) is a unique violation that rolls the whole statement back; the
 * answer is then null, nothing was written, and the caller writes the group by the batch path
 * (insert-batch.ts in a transaction), which works out each lead's outcome. A group in which
 * nothing conflicts, the usual case under load, costs one round trip and one commit instead of
 * the batch path's four (five with decision records).
 *
 * Only groups it answers exactly as the batch path would: no phone, external id or match-key
 * value twice in the group (which of two leads wins is the batch path's order). The rest go to
 * the batch path at once.
 */

/** Whether `insertGroup` can take these leads, or they must go to the batch path. */
export function fitsOneStatement(leads: readonly NewLead[]): boolean {
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const lead of leads) {
    for (const phone of lead.phones) if (!once(`p\u0000${phone}`)) return false;
    if (lead.externalId !== null && !once(`e\u0000${lead.campaignId}\u0000${lead.externalId}`)) return false;
    if (lead.keys) {
      const scope = scopeKeys(lead)[lead.keys.scope];
      for (const claim of lead.keys.claims) if (!once(`k\u0000${scope}\u0000${claim.key}\u0000${claim.value}`)) return false;
    }
  }
  return true;
}

// $1 the leads (JSON), $2 the source of DNC entries the duplicate check adds
export const INSERT_GROUP = `
with probed as materialized (
  -- materialized: read once, so each probe runs once a lead rather than once per column that uses it
  select r.*,
    -- LIMIT 1 probes, not NOT EXISTS: an anti-join could read the whole DNC list (see precheck.ts)
    (select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1) is not null as dnc_hit,
    (select true from leads l where l.campaign_id = r.campaign_id and l.external_id = r.external_id and l.state <> 'reallocated' limit 1) is not null
      as external_live,
    -- Kept forever, the duplicate to answer; with a window the probes below cover its claims already.
    case when r.window_hours is null then ${firstHeldClaim('coalesce(r.created_at, now())')} end as duplicate,
    -- With a window a claim held may have expired: any claim held, checked or not, is insert-one's
    -- to decide. One (scope, e164) or (scope, key, value) lookup per claim, as precheck.ts: given
    -- e164 = any(phones), or a join with unnest(phones), the planner searched the index by scope
    -- alone, reading every claim of the scope.
    r.window_hours is not null and (
      (select true from unnest(array_prepend(r.checked, r.unchecked)) as s, unnest(r.phones) as p
       where (select true from phone_claims c where c.scope = s and c.e164 = p limit 1) limit 1) is not null
      or (select true from unnest(r.keys, r.key_values) as k(key, value)
          where (select true from key_claims c where c.scope = r.key_scope and c.key = k.key and c.value = k.value limit 1) limit 1) is not null)
      as window_held
  from jsonb_to_recordset($1::text::jsonb) as r(
    ord int, template_id int, campaign_id int, allocation_id int, external_id text, status text, callback_at timestamptz,
    priority int, contact_hours text, fields jsonb, phones text[], created_at timestamptz,
    checked text, unchecked text[], window_hours int, claims jsonb, key_scope text, keys text[], key_values text[], keys_checked boolean,
    add_to_dnc boolean, dnc_reason text, decision jsonb, forward jsonb)
), input as (
  -- the DNC list comes first, as in insert-one.ts: a listed lead is answered 'dnc' even if it is also a duplicate
  select p.*, (p.external_live or p.duplicate is not null or p.window_held) and not p.dnc_hit as held from probed p
), fresh as (
  -- the sequence is looked up once (an InitPlan), not for each row, as in insert-batch-sql.ts
  select i.*, nextval((select pg_get_serial_sequence('leads', 'id')::regclass)) as id, coalesce(i.created_at, now()) as created
  from input i where not i.dnc_hit and not i.held
), new_leads as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, created_at)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones, created
  from fresh order by ord
), checked as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select f.checked, p, f.id, f.created from fresh f cross join unnest(f.phones) as p
  where f.checked is not null
  order by 1, 2
), unchecked as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select s, p, f.id, f.created from fresh f cross join unnest(f.unchecked) as s cross join unnest(f.phones) as p
  order by 1, 2
  on conflict do nothing
), key_checked as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select f.key_scope, k.key, k.value, f.id, f.created from fresh f cross join unnest(f.keys, f.key_values) as k(key, value)
  where f.keys_checked
  order by 1, 2, 3
), key_unchecked as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select f.key_scope, k.key, k.value, f.id, f.created from fresh f cross join unnest(f.keys, f.key_values) as k(key, value)
  where not f.keys_checked
  order by 1, 2, 3
  on conflict do nothing
), dnc_added as (
  insert into dnc (e164, campaign_id, reason, source)
  select p, 0, f.dnc_reason, $2::text from fresh f cross join unnest(f.phones) as p
  where f.add_to_dnc
  on conflict do nothing
), decision as (
  insert into decision_records (lead_id, phone, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, outcome, decision)
  select f.id, d.phone, d.entry_point, d.connect, d.request, d.crm_status, d.latency_ms, d.answer, d.matched_row, d.values,
         case when f.id is not null then 'created' else 'dnc' end, d.decision
  from input i left join fresh f on f.ord = i.ord
    cross join jsonb_to_record(i.decision) as d(phone text, entry_point text, connect text, request jsonb, crm_status int, latency_ms int,
      answer text, matched_row int, values jsonb, decision jsonb)
  where i.decision is not null and not i.held
  order by i.ord
), forwarded as (
  insert into deliveries (lead_id, destination, event, route)
  select f.id, t.destination, 'insert', t.route from fresh f cross join jsonb_to_recordset(f.forward) as t(destination text, route jsonb)
  where f.forward is not null
  order by f.ord
)
select i.ord, f.id::text as lead_id, i.held, i.external_live, i.duplicate from input i left join fresh f on f.ord = i.ord`;

/** Errors after which the batch path, in its transaction, writes the group instead. */
const CONFLICT_CODES = new Set([UNIQUE_VIOLATION, ...RETRYABLE_TRANSACTION_CODES]);

/**
 * Writes the leads in one statement. Answers each lead's outcome, or `undefined` for a lead left
 * for the caller to write alone (taken, with a window or a decision record, as the comment above
 * says); or null
 * when a conflict rolled the statement back (nothing was written) and the caller must use the
 * batch path. Only for leads `fitsOneStatement` accepts.
 */
export async function insertGroup(runner: SqlRunner, leads: readonly NewLead[], clock?: () => Date): Promise<Array<InsertOutcome | undefined> | null> {
  const input = JSON.stringify(
    leads.map((lead, ord) => {
      const scopes = claimScopes(lead);
      const row = newLeadInput(lead, ord, (lead.createdAt ?? clock?.())?.toISOString());
      row.checked = scopes.checked ?? undefined;
      row.unchecked = scopes.unchecked;
      row.window_hours = windowHours(lead) ?? undefined;
      row.claims = checkedClaims(lead);
      if (lead.keys && lead.keys.claims.length > 0) {
        row.key_scope = scopeKeys(lead)[lead.keys.scope];
        row.keys = lead.keys.claims.map((c) => c.key);
        row.key_values = lead.keys.claims.map((c) => c.value);
        row.keys_checked = lead.keys.check;
      }
      row.add_to_dnc = lead.addToDnc !== undefined || undefined;
      row.dnc_reason = lead.addToDnc?.reason ?? undefined;
      row.decision = lead.decision ? decisionColumns(lead.phones, lead.decision) : undefined;
      row.forward = forwardRows(lead) ?? undefined;
      return row;
    }),
  );
  let rows: GroupRow[];
  try {
    rows = await runner.query<GroupRow>(INSERT_GROUP, [input, DUPLICATE_CHECK_DNC_SOURCE]);
  } catch (error) {
    const { code } = databaseErrorInfo(error);
    if (code && CONFLICT_CODES.has(code)) return null;
    throw error;
  }
  const outcomes: Array<InsertOutcome | undefined> = new Array(leads.length);
  for (const row of rows) outcomes[row.ord] = outcomeOf(row, leads[row.ord]!);
  return outcomes;
}

interface GroupRow {
  ord: number;
  lead_id: string | null;
  held: boolean;
  external_live: boolean;
  /** the first checked claim held (precheck.ts firstHeldClaim) */
  duplicate: string | null;
}

/**
 * A held lead is answered here when insert-one would answer it the same from the same rows: kept
 * forever (no window whose expired claims it could take over) and with no decision record to write
 * for the refusal. 112 comes before 105, as everywhere.
 */
function outcomeOf(row: GroupRow, lead: NewLead): InsertOutcome | undefined {
  if (!row.held) return row.lead_id ? { kind: 'inserted', leadId: row.lead_id } : { kind: 'dnc' };
  if (windowHours(lead) !== null || hasDecisionEffects(lead)) return undefined;
  if (row.external_live) return { kind: 'duplicateExternalId' };
  return row.duplicate === null ? undefined : duplicateOf(row.duplicate);
}
