import type { Duplicate, InsertOutcome, NewLead } from '../pipeline/ports.js';
import { compareClaims, leadClaims, windowHours, type ClaimRow } from './dedupe-scopes.js';
import { forwardRows } from './forward-input.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Many leads in one transaction and a handful of statements, whatever the batch size:
 *   1. one statement skips DNC'd leads and inserts the rest (ON CONFLICT on the external-id index);
 *   2. one statement claims every match-key value in every scope (ON CONFLICT DO NOTHING), returning
 *      the claims won;
 *   only when some claim was not won (a duplicate, or a claim held past its window):
 *   3. one statement locks the rows holding the claims not won (FOR UPDATE) and reads their holder
 *      and its age; a lead whose checked claim is held by a live lead is a duplicate, a claim held
 *      past the window is taken over by the first lead of the batch that wants it;
 *   4. one statement takes those over: an UPDATE of the locked rows (their holder is known: nobody
 *      can have changed them), an INSERT for rows that had gone in the meantime;
 *   5. leads that lost a checked claim are deleted again (their other claims go with them, by cascade).
 * The final select of step 1 asks `id in (select id from inserted)` (a hashed subplan) rather than joining
 * the two CTEs, which PostgreSQL plans as a nested loop over both: that join alone took a third of
 * the statement's time at 1,000 leads (bench/experiments/variants.ts batch … v:hashed).
 * Rows are inserted in batch order, so inside the batch the earlier lead wins, as if the leads had
 * been sent one by one. The rare lead that lost only to an earlier lead of the batch that was
 * itself rolled back in step 5 gets another round, which keeps those "one by one" semantics exact.
 * Claims are written and locked in one order (compareClaims), as insert-one.ts does.
 */

/*
 * `forwarding`: the leads' deliveries to the dialer are written by the same statement (SPEC 10.2
 * point 1); a lead deleted again at step 5 takes its deliveries with it (on delete cascade).
 */
function insertLeadsStatement(forwarding: boolean): string {
  return `
with input as (
  select r.*, nextval(pg_get_serial_sequence('leads', 'id')) as id
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
select input.ord, input.id::text as lead_id, (input.id in (select id from inserted)) as inserted,
  coalesce(input.created_at, now())::text as created_at, ${micros('coalesce(input.created_at, now())')} as created_us
from input`;
}

const INSERT_LEADS = insertLeadsStatement(false);
const INSERT_LEADS_FORWARDING = insertLeadsStatement(true);

function micros(expression: string) {
  return `(extract(epoch from ${expression}) * 1000000)::bigint::text`;
}

const CLAIM_INPUT = `
with input as (
  select * from jsonb_to_recordset($1::text::jsonb) as r(i int, scope text, key text, value text, lead_id bigint, created_at timestamptz, holder bigint)
)`;

const CLAIM = `${CLAIM_INPUT}, phone_won as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select scope, value, lead_id, created_at from input where key = 'phone' order by i
  on conflict do nothing
  returning scope, e164, lead_id
), key_won as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select scope, key, value, lead_id, created_at from input where key <> 'phone' order by i
  on conflict do nothing
  returning scope, key, value, lead_id
)
select scope, 'phone' as key, e164 as value, lead_id::text as lead_id from phone_won
union all
select scope, key, value, lead_id::text as lead_id from key_won`;

const LOCK_HOLDERS = `${CLAIM_INPUT}, p as (
  select c.scope, 'phone'::text as key, c.e164 as value, c.lead_id, c.created_at
  from input i join phone_claims c on c.scope = i.scope and c.e164 = i.value
  where i.key = 'phone' order by i.i for update of c
), k as (
  select c.scope, c.key, c.value, c.lead_id, c.created_at
  from input i join key_claims c on c.scope = i.scope and c.key = i.key and c.value = i.value
  where i.key <> 'phone' order by i.i for update of c
)
select scope, key, value, lead_id::text as lead_id, ${micros('created_at')} as created_us from p
union all
select scope, key, value, lead_id::text as lead_id, ${micros('created_at')} as created_us from k`;

const TAKE_OVER = `${CLAIM_INPUT}, phone_taken as (
  update phone_claims c set lead_id = i.lead_id, created_at = i.created_at from input i
  where i.key = 'phone' and i.holder is not null and c.scope = i.scope and c.e164 = i.value and c.lead_id = i.holder
  returning c.scope, c.e164, c.lead_id
), phone_freed as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select scope, value, lead_id, created_at from input where key = 'phone' and holder is null order by i
  on conflict do nothing
  returning scope, e164, lead_id
), key_taken as (
  update key_claims c set lead_id = i.lead_id, created_at = i.created_at from input i
  where i.key <> 'phone' and i.holder is not null and c.scope = i.scope and c.key = i.key and c.value = i.value and c.lead_id = i.holder
  returning c.scope, c.key, c.value, c.lead_id
), key_freed as (
  insert into key_claims (scope, key, value, lead_id, created_at)
  select scope, key, value, lead_id, created_at from input where key <> 'phone' and holder is null order by i
  on conflict do nothing
  returning scope, key, value, lead_id
)
select scope, 'phone' as key, e164 as value, lead_id::text as lead_id from phone_taken
union all select scope, 'phone', e164, lead_id::text from phone_freed
union all select scope, key, value, lead_id::text from key_taken
union all select scope, key, value, lead_id::text from key_freed`;

const DELETE_LEADS = `delete from leads where id = any($1::bigint[])`;

interface Pending {
  ord: number;
  lead: NewLead;
}

interface Claim extends ClaimRow {
  ord: number;
  leadId: string;
  createdAt: string;
}

const claimKey = (c: Pick<ClaimRow, 'scope' | 'key' | 'value'>) => `${c.scope}\u0000${c.key}\u0000${c.value}`;

export async function insertLeadBatch(tx: SqlRunner, leads: readonly NewLead[], clock?: () => Date): Promise<InsertOutcome[]> {
  const outcomes: InsertOutcome[] = new Array(leads.length);
  let round: Pending[] = leads.map((lead, ord) => ({ ord, lead }));
  while (round.length > 0) round = await insertRound(tx, round, outcomes, clock);
  return outcomes;
}

const claimInput = (claims: ReadonlyArray<Claim & { holder?: string | null }>) =>
  JSON.stringify(claims.map((c, i) => ({ i, scope: c.scope, key: c.key, value: c.value, lead_id: c.leadId, created_at: c.createdAt, holder: c.holder ?? null })));

/** Runs one round; returns the leads that deserve another round. */
async function insertRound(tx: SqlRunner, round: Pending[], outcomes: InsertOutcome[], clock?: () => Date): Promise<Pending[]> {
  const forwarding = round.some(({ lead }) => lead.forward !== undefined && lead.forward.length > 0);
  const rows = await tx.query<{ ord: number; lead_id: string; inserted: boolean; created_at: string; created_us: string }>(forwarding ? INSERT_LEADS_FORWARDING : INSERT_LEADS, [
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
        created_at: (lead.createdAt ?? clock?.())?.toISOString() ?? null,
        ...(forwarding ? { forward: forwardRows(lead) } : {}),
      })),
    ),
  ]);
  const leadIdByOrd = new Map<number, string>();
  const createdByOrd = new Map<number, { text: string; micros: bigint }>();
  const notDnc = new Set<number>();
  for (const row of rows) {
    notDnc.add(row.ord);
    if (row.inserted) {
      leadIdByOrd.set(row.ord, row.lead_id);
      createdByOrd.set(row.ord, { text: row.created_at, micros: BigInt(row.created_us) });
    }
  }

  const claims: Claim[] = [];
  for (const { ord, lead } of round) {
    const leadId = leadIdByOrd.get(ord);
    if (!leadId) continue;
    for (const row of leadClaims(lead)) claims.push({ ...row, ord, leadId, createdAt: createdByOrd.get(ord)!.text });
  }
  claims.sort((a, b) => compareClaims(a, b) || a.ord - b.ord);
  const winners = new Map<string, string>();
  if (claims.length > 0) {
    for (const w of await tx.query<{ scope: string; key: string; value: string; lead_id: string }>(CLAIM, [claimInput(claims)])) winners.set(claimKey(w), w.lead_id);
  }

  const lost = claims.filter((c) => winners.get(claimKey(c)) !== c.leadId);
  const losers = new Map<number, { duplicate: Duplicate; lostTo: Set<string> }>();
  if (lost.length > 0) await settleLostClaims(tx, round, lost, createdByOrd, losers);

  const rolledBack = new Set<string>();
  for (const ord of losers.keys()) rolledBack.add(leadIdByOrd.get(ord)!);
  if (rolledBack.size > 0) await tx.query(DELETE_LEADS, [[...rolledBack]]);

  // Which earlier leads of this round held an external id that was then rolled back?
  const rolledBackExternalIds = new Set<string>();
  for (const { ord, lead } of round) {
    if (losers.has(ord) && lead.externalId !== null) rolledBackExternalIds.add(`${lead.campaignId}\u0000${lead.externalId}`);
  }

  const again: Pending[] = [];
  for (const pending of round) {
    const { ord, lead } = pending;
    const leadId = leadIdByOrd.get(ord);
    const loser = losers.get(ord);
    if (!notDnc.has(ord)) {
      outcomes[ord] = { kind: 'dnc' };
    } else if (!leadId) {
      const heldByRolledBack = lead.externalId !== null && rolledBackExternalIds.has(`${lead.campaignId}\u0000${lead.externalId}`);
      if (heldByRolledBack) again.push(pending);
      else outcomes[ord] = { kind: 'duplicateExternalId' };
    } else if (loser) {
      // Lost only to leads of this round that were rolled back: the claims are free again.
      const onlyToRolledBack = loser.lostTo.size > 0 && [...loser.lostTo].every((holder) => rolledBack.has(holder));
      if (onlyToRolledBack) again.push(pending);
      else outcomes[ord] = loser.duplicate;
    } else {
      outcomes[ord] = { kind: 'inserted', leadId };
    }
  }
  return again;
}

/**
 * Steps 3 and 4: decides, lead by lead in batch order, whether the claims a lead did not win make
 * it a duplicate (a checked claim held by a live lead, or wanted by an earlier lead of the batch)
 * or are taken over (held past the lead's window, or gone), and takes those over.
 */
async function settleLostClaims(
  tx: SqlRunner,
  round: Pending[],
  lost: Claim[],
  createdByOrd: ReadonlyMap<number, { micros: bigint }>,
  losers: Map<number, { duplicate: Duplicate; lostTo: Set<string> }>,
): Promise<void> {
  const distinct = new Map<string, Claim>();
  for (const c of lost) if (!distinct.has(claimKey(c))) distinct.set(claimKey(c), c);
  const holders = new Map<string, { leadId: string; micros: bigint }>();
  const locked = await tx.query<{ scope: string; key: string; value: string; lead_id: string; created_us: string }>(LOCK_HOLDERS, [claimInput([...distinct.values()])]);
  for (const h of locked) holders.set(claimKey(h), { leadId: h.lead_id, micros: BigInt(h.created_us) });

  const lostByOrd = new Map<number, Claim[]>();
  for (const c of lost) lostByOrd.set(c.ord, [...(lostByOrd.get(c.ord) ?? []), c]);
  const takenBy = new Map<string, string>();
  const takes: Array<Claim & { holder: string | null }> = [];
  for (const { ord, lead } of round) {
    const mine = lostByOrd.get(ord);
    if (!mine) continue;
    const hours = windowHours(lead);
    const cutoff = hours === null ? null : createdByOrd.get(ord)!.micros - BigInt(hours) * 3_600_000_000n;
    const blocked: Array<{ claim: Claim; holder: string }> = [];
    const wanted: Array<Claim & { holder: string | null }> = [];
    for (const c of mine) {
      const k = claimKey(c);
      const earlier = takenBy.get(k);
      const holder = holders.get(k);
      if (earlier !== undefined) {
        if (c.checked) blocked.push({ claim: c, holder: earlier });
      } else if (!holder) {
        wanted.push({ ...c, holder: null });
      } else if (cutoff !== null && holder.micros <= cutoff) {
        wanted.push({ ...c, holder: holder.leadId });
      } else if (c.checked) {
        blocked.push({ claim: c, holder: holder.leadId });
      }
    }
    if (blocked.length > 0) {
      blocked.sort((a, b) => a.claim.rank - b.claim.rank);
      const first = blocked[0]!;
      losers.set(ord, { duplicate: { kind: 'duplicate', matchedOn: first.claim.key, matchedLeadId: first.holder }, lostTo: new Set(blocked.map((b) => b.holder)) });
      continue;
    }
    for (const w of wanted) {
      takenBy.set(claimKey(w), w.leadId);
      takes.push(w);
    }
  }
  if (takes.length === 0) return;

  const taken = new Set<string>();
  for (const t of await tx.query<{ scope: string; key: string; value: string; lead_id: string }>(TAKE_OVER, [claimInput(takes)])) {
    taken.add(`${claimKey(t)}\u0000${t.lead_id}`);
  }
  // A claim that had gone at step 3 and was claimed again by another transaction before step 4:
  // the lead is a duplicate of a lead this transaction cannot see yet.
  for (const t of takes) {
    if (!t.checked || losers.has(t.ord) || taken.has(`${claimKey(t)}\u0000${t.leadId}`)) continue;
    losers.set(t.ord, { duplicate: { kind: 'duplicate', matchedOn: t.key, matchedLeadId: null }, lostTo: new Set() });
  }
}
