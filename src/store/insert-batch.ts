import type { Duplicate, InsertOutcome, NewLead } from '../pipeline/ports.js';
import { compareClaims, leadClaims, windowHours, type ClaimRow } from './dedupe-scopes.js';
import { forwardRows } from './forward-input.js';
import { newLeadInput } from './lead-row.js';
import { CLAIM, DELETE_LEADS, INSERT_LEADS, INSERT_LEADS_FORWARDING, LOCK_HOLDERS, TAKE_OVER } from './insert-batch-sql.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Many leads in one transaction and a handful of statements, whatever the batch size:
 *   1. one statement skips DNC'd leads and inserts the rest (ON CONFLICT on the external-id index);
 *   2. one statement claims every match-key value in every scope (ON CONFLICT DO NOTHING), returning
 *      the claims not won;
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

interface Pending {
  ord: number;
  lead: NewLead;
}

interface Claim extends ClaimRow {
  ord: number;
  leadId: string;
  /** the lead's explicit creation time (ISO); null: the transaction's now() (see insert-batch-sql.ts) */
  createdAt: string | null;
}

const claimKey = (c: Pick<ClaimRow, 'scope' | 'key' | 'value'>) => `${c.scope}\u0000${c.key}\u0000${c.value}`;

export async function insertLeadBatch(tx: SqlRunner, leads: readonly NewLead[], clock?: () => Date): Promise<InsertOutcome[]> {
  const outcomes: InsertOutcome[] = new Array(leads.length);
  let round: Pending[] = leads.map((lead, ord) => ({ ord, lead }));
  while (round.length > 0) round = await insertRound(tx, round, outcomes, clock);
  return outcomes;
}

/*
 * Null values are left out of the statements' JSON (`?? undefined`): jsonb_to_recordset reads an
 * absent key as null, and the 1,000 leads and 3,000 claims of a batch are that much shorter to
 * write, send and parse.
 */
const claimInput = (claims: ReadonlyArray<Claim & { holder?: string | null }>) =>
  JSON.stringify(claims.map((c, i) => ({ i, scope: c.scope, key: c.key, value: c.value, lead_id: c.leadId, created_at: c.createdAt ?? undefined, holder: c.holder ?? undefined })));

/** Runs one round; returns the leads that deserve another round. */
async function insertRound(tx: SqlRunner, round: Pending[], outcomes: InsertOutcome[], clock?: () => Date): Promise<Pending[]> {
  const forwarding = round.some(({ lead }) => lead.forward !== undefined && lead.forward.length > 0);
  // one reading of the clock per lead: the lead and its claims get the same time
  const createdAt = new Map<number, string | null>(round.map(({ ord, lead }) => [ord, (lead.createdAt ?? clock?.())?.toISOString() ?? null]));
  const rows = await tx.query<{ ord: number; lead_id: string; inserted: boolean }>(forwarding ? INSERT_LEADS_FORWARDING : INSERT_LEADS, [
    JSON.stringify(
      round.map(({ ord, lead }) => {
        const row = newLeadInput(lead, ord, createdAt.get(ord));
        if (forwarding) row.forward = forwardRows(lead);
        return row;
      }),
    ),
  ]);
  const leadIdByOrd = new Map<number, string>();
  const notDnc = new Set<number>();
  for (const row of rows) {
    notDnc.add(row.ord);
    if (row.inserted) leadIdByOrd.set(row.ord, row.lead_id);
  }

  const claims: Claim[] = [];
  for (const { ord, lead } of round) {
    const leadId = leadIdByOrd.get(ord);
    if (!leadId) continue;
    const created = createdAt.get(ord)!;
    // field by field, not `{ ...row, … }`: spreading 3,000 rows took 15 ms of a 1,000-lead batch
    for (const { scope, key, value, checked, rank } of leadClaims(lead)) claims.push({ scope, key, value, checked, rank, ord, leadId, createdAt: created });
  }
  claims.sort((a, b) => compareClaims(a, b) || a.ord - b.ord);
  // in claim order (the order step 3 locks them in)
  const lost = claims.length === 0 ? [] : (await tx.query<{ i: number }>(CLAIM, [claimInput(claims)])).map((r) => r.i).sort((a, b) => a - b).map((i) => claims[i]!);
  const losers = new Map<number, { duplicate: Duplicate; lostTo: Set<string> }>();
  if (lost.length > 0) await settleLostClaims(tx, round, lost, losers);

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
  losers: Map<number, { duplicate: Duplicate; lostTo: Set<string> }>,
): Promise<void> {
  const distinct = new Map<string, Claim>();
  for (const c of lost) if (!distinct.has(claimKey(c))) distinct.set(claimKey(c), c);
  const holders = new Map<string, { leadId: string; micros: bigint }>();
  const locked = await tx.query<{ scope: string; key: string; value: string; lead_id: string; created_us: string; now_us: string }>(LOCK_HOLDERS, [claimInput([...distinct.values()])]);
  for (const h of locked) holders.set(claimKey(h), { leadId: h.lead_id, micros: BigInt(h.created_us) });
  // a lead's creation time matters only against a holder, so with no holder there is no need of now()
  const now = locked[0] ? BigInt(locked[0].now_us) : undefined;
  const createdMicros = (claim: Claim) => (claim.createdAt === null ? now : BigInt(Date.parse(claim.createdAt)) * 1000n);

  const lostByOrd = new Map<number, Claim[]>();
  for (const c of lost) lostByOrd.set(c.ord, [...(lostByOrd.get(c.ord) ?? []), c]);
  const takenBy = new Map<string, string>();
  const takes: Array<Claim & { holder: string | null }> = [];
  for (const { ord, lead } of round) {
    const mine = lostByOrd.get(ord);
    if (!mine) continue;
    const hours = windowHours(lead);
    const created = createdMicros(mine[0]!);
    const cutoff = hours === null || created === undefined ? null : created - BigInt(hours) * 3_600_000_000n;
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
