import postgres from 'postgres';
import { sleep } from './procs.js';

/**
 * The forwarding part's view of a leadgate database's delivery queue (drizzle/0005_deliveries.sql):
 * counts, a backlog made of seeded leads, delivered history. The destination is always `dialer`
 * (servers.ts writeForwardRules) and the route is its campaign-10 route.
 */
export const DESTINATION = 'dialer';
const ROUTE = JSON.stringify({ templateId: 1, campaignId: 10, allocationId: 100 });

export type Sql = postgres.Sql;

export const openSql = (url: string): Sql => postgres(url, { max: 1, onnotice: () => {} });

/** Deliveries waiting (claimed ones included: they are queued until settled) and delivered. */
export async function queueCounts(sql: Sql): Promise<{ queued: number; delivered: number; other: number }> {
  const [row] = await sql.unsafe<Array<{ queued: number; delivered: number; other: number }>>(
    `select count(*) filter (where state = 'queued')::int as queued, count(*) filter (where state = 'delivered')::int as delivered,
       count(*) filter (where state not in ('queued', 'delivered'))::int as other
     from deliveries where destination = $1`,
    [DESTINATION],
  );
  return row!;
}

/** Waits until nothing is queued; answers false if `timeoutMs` passes first. */
export async function waitForEmptyQueue(sql: Sql, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from deliveries where state = 'queued'`);
    if (row!.n === 0) return true;
    if (Date.now() > until) return false;
    await sleep(200);
  }
}

/**
 * Queues an insert delivery for each of the next `count` seeded leads (harness/seed.ts, source
 * `seed`) after lead id `after`, as the insert statement would have; answers the last lead id used.
 */
export async function enqueueBacklog(sql: Sql, after: number, count: number): Promise<number> {
  const [row] = await sql.unsafe<Array<{ last: string | null }>>(
    `with added as (
       insert into deliveries (lead_id, destination, event, route)
       select id, $3, 'insert', $4::jsonb from leads where id > $1 and fields->>'source' = 'seed' order by id limit $2
       returning lead_id)
     select max(lead_id)::text as last from added`,
    [after, count, DESTINATION, ROUTE],
  );
  if (row?.last == null) throw new Error('enqueueBacklog: no seeded leads left');
  return Number(row.last);
}

/**
 * `rows` delivered insert deliveries, one statement: what a year of forwarding leaves behind
 * (attempted once, delivered, a dialer lead id, spread over the past 365 days). They belong to no
 * lead (lead_id null): the claim never reads another lead's rows, and seeding a million leads
 * would add minutes for nothing the claim touches.
 */
export async function seedDeliveredHistory(sql: Sql, rows: number): Promise<void> {
  await sql.unsafe(
    `insert into deliveries (lead_id, destination, event, route, state, attempt_count, dialer_lead_id, last_outcome, last_answer,
       next_attempt_at, created_at, updated_at)
     select null, $2, 'insert', $3::jsonb, 'delivered', 1, 'd' || i, 'delivered', '{"code":0,"message":"OK"}',
       t, t, t
     from generate_series(1, $1::int) as i, lateral (select now() - (i * interval '31 seconds') as t) as at`,
    [rows, DESTINATION, ROUTE],
  );
  await sql.unsafe('vacuum analyze deliveries');
  await sql.unsafe('checkpoint');
}
