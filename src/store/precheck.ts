import type { NewLead, Precheck } from '../pipeline/ports.js';
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
const PRECHECK = `
select r.ord,
  coalesce((select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1), false) as dnc,
  coalesce(r.external_id is not null and (select true from leads l
    where l.campaign_id = r.campaign_id and l.external_id = r.external_id and l.state <> 'reallocated' limit 1), false) as external_id,
  (select json_build_object('matchedOn', k.key, 'matchedLeadId', h.lead_id::text)::text
   from jsonb_to_recordset(r.claims) as k(rank int, scope text, key text, value text)
   cross join lateral (
     select coalesce(
       (select c.lead_id from phone_claims c where k.key = 'phone' and c.scope = k.scope and c.e164 = k.value
          and (r.window_hours is null or c.created_at > coalesce($2::timestamptz, now()) - make_interval(hours => r.window_hours)) limit 1),
       (select c.lead_id from key_claims c where k.key <> 'phone' and c.scope = k.scope and c.key = k.key and c.value = k.value
          and (r.window_hours is null or c.created_at > coalesce($2::timestamptz, now()) - make_interval(hours => r.window_hours)) limit 1)) as lead_id
   ) h
   where h.lead_id is not null
   order by k.rank limit 1) as duplicate
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
        claims: leadClaims(lead)
          .filter((c) => c.checked)
          .map(({ rank, scope, key, value }) => ({ rank, scope, key, value })),
        window_hours: windowHours(lead),
      })),
    ),
    clock?.().toISOString() ?? null,
  ]);
  const verdicts: Precheck[] = leads.map(() => null);
  for (const row of rows) {
    if (row.dnc) verdicts[row.ord] = { kind: 'dnc' };
    else if (row.external_id) verdicts[row.ord] = { kind: 'duplicateExternalId' };
    else if (row.duplicate) {
      const d = JSON.parse(row.duplicate) as { matchedOn: string; matchedLeadId: string | null };
      verdicts[row.ord] = { kind: 'duplicate', matchedOn: d.matchedOn, matchedLeadId: d.matchedLeadId };
    }
  }
  return verdicts;
}
