import type { NewLead, Precheck } from '../pipeline/ports.js';
import { claimScopes } from './dedupe-scopes.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Each check is a scalar subquery with LIMIT 1, not an EXISTS: PostgreSQL may turn an EXISTS into a
 * hash semi-join, and a prepared statement's generic plan, made while the tables were small, then
 * reads the whole of phone_claims on every call (1.5 ms a lead at a few thousand leads, growing
 * with the store; bench/experiments/pg-statements.ts). A LIMIT 1 subquery is always an index probe.
 */
const PRECHECK = `
select r.ord,
  coalesce((select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1), false) as dnc,
  coalesce(r.external_id is not null and (select true from leads l
    where l.campaign_id = r.campaign_id and l.external_id = r.external_id and l.state <> 'reallocated' limit 1), false) as external_id,
  coalesce(r.scope is not null and (select true from phone_claims c where c.scope = r.scope and c.e164 = any(r.phones) limit 1), false) as phone
from jsonb_to_recordset($1::text::jsonb) as r(ord int, phones text[], campaign_id int, external_id text, scope text)`;

/** One read-only statement for any number of leads; answers in the SPEC's order 104 → 112 → 105. */
export async function precheckLeads(runner: SqlRunner, leads: readonly NewLead[]): Promise<Precheck[]> {
  if (leads.length === 0) return [];
  const rows = await runner.query<{ ord: number; dnc: boolean; external_id: boolean; phone: boolean }>(PRECHECK, [
    JSON.stringify(
      leads.map((lead, ord) => ({ ord, phones: lead.phones, campaign_id: lead.campaignId, external_id: lead.externalId, scope: claimScopes(lead).checked })),
    ),
  ]);
  const verdicts: Precheck[] = leads.map(() => null);
  for (const row of rows) {
    verdicts[row.ord] = row.dnc ? 'dnc' : row.external_id ? 'duplicateExternalId' : row.phone ? 'duplicatePhone' : null;
  }
  return verdicts;
}
