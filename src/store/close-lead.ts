import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Closing a lead (Convoso's delete) releases its claims (phones and every other match key) in its
 * transaction: a closed lead stops counting for de-duplication (SPEC 4). Its external id stays its
 * own, as for any closed lead. Only an active lead closes; a reallocated one was handed on to its copy.
 * The release is a statement of its own, after the row lock: where the close waited for a dedupe
 * backfill holding the lead, it must see the claims that backfill registered.
 */
const CLOSE_LEAD = `
with closed as (
  update leads set state = 'closed', status = coalesce($3::text, status), version = version + 1, updated_at = now()
  where id = $1::bigint and state = 'active'
  returning id, disposition
), recorded as (
  insert into call_records (lead_id, disposition, changes, source)
  select id, disposition, '{"lead_state":{"old":"active","new":"closed"}}'::jsonb, $2::text from closed
)
select count(*)::int as n from closed`;

const RELEASE_CLAIMS = `
with released as (delete from phone_claims where lead_id = $1::bigint)
delete from key_claims where lead_id = $1::bigint`;

/** `status`: the closed lead's new status (sync mode's REFUSED_BY_DIALER); absent keeps its own. */
export async function closeLead(runner: SqlRunner, leadId: string, source: string, status?: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(leadId)) return false;
  return runner.transaction(async (tx) => {
    const [row] = await tx.query<{ n: number }>(CLOSE_LEAD, [leadId, source, status ?? null]);
    if ((row?.n ?? 0) === 0) return false;
    await tx.query(RELEASE_CLAIMS, [leadId]);
    return true;
  });
}

/*
 * Closed leads hold no claims, so "closed leads count too" is a read of the leads themselves
 * (the phones GIN index). It is race-free against concurrent inserts of the same phone only
 * through the claim the insert then takes in its scope; a lead closed while the insert runs may
 * be missed, which leaves that phone as if the close had come a moment later.
 */
const FIND_CLOSED = `
select id::text from leads
where state = 'closed' and phones && $1::text[]
  and ($2::text = 'global' or ($2::text = 'campaign' and campaign_id = $3::int) or ($2::text = 'allocation' and allocation_id = $4::int))
order by id limit 1`;

export async function findClosedLeadByPhone(
  runner: SqlRunner,
  phones: readonly string[],
  scope: Exclude<DedupeScope, 'none'>,
  target: { campaignId: number; allocationId: number },
): Promise<string | null> {
  const [row] = await runner.query<{ id: string }>(FIND_CLOSED, [phones, scope, target.campaignId, target.allocationId]);
  return row?.id ?? null;
}
