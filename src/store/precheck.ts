import type { Duplicate, NewLead, Precheck } from '../pipeline/ports.js';
import { leadClaims, windowHours } from './dedupe-scopes.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Each check is a scalar subquery with LIMIT 1, not an EXISTS: PostgreSQL may turn an EXISTS into a
 * hash semi-join, and a prepared statement's generic plan, made while the tables were small, then
 * reads the whole of phone_claims on every call (1.5 ms a lead at a few thousand leads, growing
 * with the store; bench/experiments/pg-statements.ts). A LIMIT 1 subquery is always an index probe.
 * The match keys are probed one by one, in the lead's rank order (phone first, then `on` order),
 * and only a claim younger than the lead's window counts.
 */

/**
 * The first of a lead's checked claims (`r.claims`, see checkedClaims) that another lead holds, as
 * JSON { matchedOn, matchedLeadId } (read it with duplicateOf), or null. With a window
 * (`r.window_hours`), only a claim younger than the window counted back from `now` holds. Shared by
 * the precheck and the group insert (insert-group.ts), so both name the same duplicate.
 */
export function firstHeldClaim(now: string): string {
  const young = `(r.window_hours is null or c.created_at > ${now} - make_interval(hours => r.window_hours))`;
  return `(select json_build_object('matchedOn', k.key, 'matchedLeadId', h.lead_id::text)::text
   from jsonb_to_recordset(r.claims) as k(rank int, scope text, key text, value text)
   cross join lateral (
     select coalesce(
       (select c.lead_id from phone_claims c where k.key = 'phone' and c.scope = k.scope and c.e164 = k.value and ${young} limit 1),
       (select c.lead_id from key_claims c where k.key <> 'phone' and c.scope = k.scope and c.key = k.key and c.value = k.value and ${young} limit 1)) as lead_id
   ) h
   where h.lead_id is not null
   order by k.rank limit 1)`;
}

/** A lead's checked claims as firstHeldClaim reads them (`claims`). */
export const checkedClaims = (lead: NewLead) => leadClaims(lead).flatMap(({ checked, rank, scope, key, value }) => (checked ? [{ rank, scope, key, value }] : []));

/** firstHeldClaim's answer as the duplicate it names. */
export function duplicateOf(json: string): Duplicate {
  const { matchedOn, matchedLeadId } = JSON.parse(json) as { matchedOn: string; matchedLeadId: string | null };
  return { kind: 'duplicate', matchedOn, matchedLeadId };
}

const PRECHECK = `
select r.ord,
  coalesce((select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1), false) as dnc,
  coalesce(r.external_id is not null and (select true from leads l
    where l.campaign_id = r.campaign_id and l.external_id = r.external_id and l.state <> 'reallocated' limit 1), false) as external_id,
  ${firstHeldClaim('coalesce($2::timestamptz, now())')} as duplicate
from jsonb_to_recordset($1::text::jsonb) as r(ord int, phones text[], campaign_id int, external_id text, claims jsonb, window_hours int)`;

/** One read-only statement for any number of leads; answers in the SPEC's order 104 → 112 → 105. */
export async function precheckLeads(runner: SqlRunner, leads: readonly NewLead[], clock?: () => Date): Promise<Precheck[]> {
  if (leads.length === 0) return [];
  const rows = await runner.query<{ ord: number; dnc: boolean; external_id: boolean; duplicate: string | null }>(PRECHECK, [
    JSON.stringify(
      leads.map((lead, ord) => ({
        ord,
        phones: lead.phones,
        campaign_id: lead.campaignId,
        external_id: lead.externalId,
        claims: checkedClaims(lead),
        window_hours: windowHours(lead),
      })),
    ),
    clock?.().toISOString() ?? null,
  ]);
  const verdicts: Precheck[] = leads.map(() => null);
  for (const row of rows) {
    if (row.dnc) verdicts[row.ord] = { kind: 'dnc' };
    else if (row.external_id) verdicts[row.ord] = { kind: 'duplicateExternalId' };
    else if (row.duplicate) verdicts[row.ord] = duplicateOf(row.duplicate);
  }
  return verdicts;
}
