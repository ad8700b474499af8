import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * Closing a lead (Convoso's delete) releases its claims (phones and every other match key) in the
 * same statement: a closed lead stops counting for de-duplication (SPEC 4). Its external id stays its own, as for
 * any closed lead. Only an active lead closes; a reallocated one was handed on to its copy.
 */
const CLOSE_LEAD = `
with closed as (
  update leads set state = 'closed', status = coalesce($3::text, status), version = version + 1, updated_at = now()
  where id = $1::bigint and state = 'active'
  returning id, disposition
), released as (
  delete from phone_claims where lead_id in (select id from closed)
), released_keys as (
  delete from key_claims where lead_id in (select id from closed)
), recorded as (
  insert into call_records (lead_id, disposition, changes, source)
  select id, disposition, '{"lead_state":{"old":"active","new":"closed"}}'::jsonb, $2::text from closed
)
select count(*)::int as n from closed`;

/** `status`: the closed lead's new status (sync mode's REFUSED_BY_DIALER); absent keeps its own. */
export async function closeLead(runner: SqlRunner, leadId: string, source: string, status?: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(leadId)) return false;
  const [row] = await runner.query<{ n: number }>(CLOSE_LEAD, [leadId, source, status ?? null]);
  return (row?.n ?? 0) > 0;
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
