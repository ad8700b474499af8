import type { InsertOutcome, NewLead } from '../pipeline/ports.js';
import { claimScopes } from './dedupe-scopes.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Many leads in one transaction and a handful of statements, whatever the batch size:
 *   1. one statement skips DNC'd leads and inserts the rest (ON CONFLICT on the external-id index);
 *   2. one statement claims every phone in every scope, returning the claims won in checked scopes;
 *   3. leads that lost a claim are deleted again (their other claims go with them, by cascade).
 * The final select asks `id in (select id from inserted)` (a hashed subplan) rather than joining
 * the two CTEs, which PostgreSQL plans as a nested loop over both: that join alone took a third of
 * the statement's time at 1,000 leads (bench/experiments/variants.ts batch … v:hashed).
 * Rows are inserted in batch order, so inside the batch the earlier lead wins, as if the leads had
 * been sent one by one. The rare lead that lost only to an earlier lead of the batch that was
 * itself rolled back in step 3 gets another round, which keeps those "one by one" semantics exact.
 */

const INSERT_LEADS = `
with input as (
  select r.*, nextval(pg_get_serial_sequence('leads', 'id')) as id
  from jsonb_to_recordset($1::text::jsonb) as r(
    ord int, template_id int, campaign_id int, allocation_id int, external_id text, status text,
    callback_at timestamptz, priority int, contact_hours text, fields jsonb, phones text[])
  -- a LIMIT 1 probe, not NOT EXISTS: an anti-join could read the whole DNC list (see precheck.ts)
  where (select true from dnc where dnc.e164 = any(r.phones) and dnc.campaign_id in (0, r.campaign_id) limit 1) is null
), inserted as (
  insert into leads (id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select id, template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones
  from input order by ord
  on conflict (campaign_id, external_id) where external_id is not null and state <> 'reallocated' do nothing
  returning id
)
select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted
from input`;

const CLAIM_PHONES = `
with input as (
  select * from jsonb_to_recordset($1::text::jsonb) as r(ord int, scope text, e164 text, lead_id bigint, checked boolean)
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

const DELETE_LEADS = `delete from leads where id = any($1::bigint[])`;

interface Pending {
  ord: number;
  lead: NewLead;
}

const claimKey = (scope: string, e164: string) => `${scope}\u0000${e164}`;

export async function insertLeadBatch(tx: SqlRunner, leads: readonly NewLead[]): Promise<InsertOutcome[]> {
  const outcomes: InsertOutcome[] = new Array(leads.length);
  let round: Pending[] = leads.map((lead, ord) => ({ ord, lead }));
  while (round.length > 0) round = await insertRound(tx, round, outcomes);
  return outcomes;
}

/** Runs one round; returns the leads that deserve another round. */
async function insertRound(tx: SqlRunner, round: Pending[], outcomes: InsertOutcome[]): Promise<Pending[]> {
  const rows = await tx.query<{ ord: number; lead_id: string; inserted: boolean }>(INSERT_LEADS, [
    JSON.stringify(
      round.map(({ ord, lead }) => ({
        ord,
        template_id: lead.templateId,
        campaign_id: lead.campaignId,
        allocation_id: lead.allocationId,
        external_id: lead.externalId,
        status: lead.status,
        callback_at: lead.callbackAt?.toISOString() ?? null,
        priority: lead.priority,
        contact_hours: lead.contactHours,
        fields: lead.fields,
        phones: lead.phones,
      })),
    ),
  ]);
  const leadIdByOrd = new Map<number, string>();
  const notDnc = new Set<number>();
  for (const row of rows) {
    notDnc.add(row.ord);
    if (row.inserted) leadIdByOrd.set(row.ord, row.lead_id);
  }

  const claims: Array<{ ord: number; scope: string; e164: string; lead_id: string; checked: boolean }> = [];
  for (const { ord, lead } of round) {
    const leadId = leadIdByOrd.get(ord);
    if (!leadId) continue;
    const scopes = claimScopes(lead);
    for (const e164 of lead.phones) {
      if (scopes.checked) claims.push({ ord, scope: scopes.checked, e164, lead_id: leadId, checked: true });
      for (const scope of scopes.unchecked) claims.push({ ord, scope, e164, lead_id: leadId, checked: false });
    }
  }
  const winners = new Map<string, string>();
  if (claims.length > 0) {
    const won = await tx.query<{ scope: string; e164: string; lead_id: string }>(CLAIM_PHONES, [JSON.stringify(claims)]);
    for (const w of won) winners.set(claimKey(w.scope, w.e164), w.lead_id);
  }

  const rolledBack = new Set<string>();
  const lostPhone = new Map<number, string[]>();
  for (const { ord, lead } of round) {
    const leadId = leadIdByOrd.get(ord);
    const checked = claimScopes(lead).checked;
    if (!leadId || !checked) continue;
    const lostKeys = lead.phones.map((p) => claimKey(checked, p)).filter((k) => winners.get(k) !== leadId);
    if (lostKeys.length > 0) {
      rolledBack.add(leadId);
      lostPhone.set(ord, lostKeys);
    }
  }
  if (rolledBack.size > 0) await tx.query(DELETE_LEADS, [[...rolledBack]]);

  // Which earlier leads of this round held an external id that was then rolled back?
  const rolledBackExternalIds = new Set<string>();
  for (const { ord, lead } of round) {
    const leadId = leadIdByOrd.get(ord);
    if (leadId && rolledBack.has(leadId) && lead.externalId !== null) {
      rolledBackExternalIds.add(`${lead.campaignId}\u0000${lead.externalId}`);
    }
  }

  const again: Pending[] = [];
  for (const pending of round) {
    const { ord, lead } = pending;
    const leadId = leadIdByOrd.get(ord);
    if (!notDnc.has(ord)) {
      outcomes[ord] = { kind: 'dnc' };
    } else if (!leadId) {
      const heldByRolledBack = lead.externalId !== null && rolledBackExternalIds.has(`${lead.campaignId}\u0000${lead.externalId}`);
      if (heldByRolledBack) again.push(pending);
      else outcomes[ord] = { kind: 'duplicateExternalId' };
    } else if (lostPhone.has(ord)) {
      // Lost only to leads of this round that were rolled back: the phones are free again.
      const onlyToRolledBack = lostPhone.get(ord)!.every((k) => {
        const winner = winners.get(k);
        return winner !== undefined && rolledBack.has(winner);
      });
      if (onlyToRolledBack) again.push(pending);
      else outcomes[ord] = { kind: 'duplicatePhone' };
    } else {
      outcomes[ord] = { kind: 'inserted', leadId };
    }
  }
  return again;
}
