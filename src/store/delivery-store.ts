import { randomUUID } from 'node:crypto';
import type {
  ClaimedCall,
  ClaimedDelivery,
  ClaimLimits,
  DeliverySettlement,
  DeliveryStore,
  DncPayload,
  ForwardEvent,
  UpdatePayload,
} from '../forward/ports.js';
import { createGroupCommit, type GroupCommitOptions } from './group-commit.js';
import { guardedRunner } from './guarded-runner.js';
import { inTransaction, retryingRollbacks } from './in-transaction.js';
import { runTogether, type SqlRunner, type Statement } from './sql-runner.js';

/*
 * The delivery queue (SPEC 10.2). Claims of one destination are serialised across every process
 * by a transaction-scoped advisory lock on the destination's name: under it the claim counts the
 * calls in flight (rows holding a live lease, one claim token per call) against maxConcurrency,
 * reads the destination's pacing row for ratePerSecond, and leases the due rows it takes. A call
 * whose process dies keeps its slot until the lease ends; the rows are then due again and marked
 * uncertain, since the dead process may have reached the dialer.
 *
 * Due work is read through deliveries_due_idx (queued rows only), never the history, so the cost
 * of a claim does not grow with the delivered rows the table keeps.
 */

const LOCK_DESTINATION = `select pg_advisory_xact_lock(hashtext('leadgate.deliveries'), hashtext($1::text))`;

/*
 * The claim's lock also sets its transaction's plans generic: PostgreSQL otherwise planned the
 * claim statement afresh at every call (its generic cost, with the LIMIT unknown, looked worse
 * than a custom plan), and with `batch: 1` that planning cost as much as running it (440 µs a
 * claim, bench/experiments/forward-statements.ts 1 8000). Both plans read the same indexes
 * (bench forward-claim's EXPLAIN).
 */
const LOCK_DESTINATION_FOR_CLAIM = `${LOCK_DESTINATION}, set_config('plan_cache_mode', 'force_generic_plan', true)`;

/** An update waits while an earlier delivery of its lead to this destination is queued (or in flight) or dead (point 5). */
const ORDER_GUARD = `(d.event <> 'update' or not exists (
      select 1 from deliveries p where p.lead_id = d.lead_id and p.destination = d.destination and p.id < d.id and p.state in ('queued', 'dead')))`;

/**
 * The room a claim has, read after the destination's lock (a statement of its own before this one,
 * so this one's snapshot sees every claim committed before the lock was granted): the calls it may
 * start, the slots `maxConcurrency` ($2) leaves free (distinct claim tokens of live leases) and,
 * with `ratePerSecond` (a gap of $6 ms between starts), as many as fit before the horizon ($7 ms
 * ahead), the first starting at `base_ms`: the pacing row's next start, or now if that has passed.
 */
const ROOM = `
pacing as materialized (
  select greatest(coalesce((select (extract(epoch from next_send_at) * 1000)::float8 from destination_pacing where destination = $1::text), 0), n.now_ms) as base_ms,
    n.now_ms + $7::float8 as horizon_ms
  from (select (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms) n
), room as materialized (
  select p.base_ms, least(
      greatest(0, $2::int - (select count(distinct claim_token)::int from deliveries where destination = $1::text and lease_until > now())),
      case when $6::float8 <= 0 then $2::int
           when p.horizon_ms < p.base_ms then 0
           else 1 + floor((p.horizon_ms - p.base_ms) / $6::float8)::int end) as calls
  from pacing p
)`;

/**
 * One claim in one statement: its room (ROOM), the due rows, the calls they make, their leases and,
 * when paced, the pacing row moved past the calls taken. Inserts of one route go together in calls
 * of up to `batch` ($3, noojee's insertLeadsFast); every other delivery is a call of its own. The
 * calls are taken in due order, as many as there is room for. The rows are updated through
 * deliveries_pkey (`id = any(array(…))`); each row finds its call in a jsonb map of id to call,
 * built once (an InitPlan; a lookup is a binary search), because a join with `ranked` was planned
 * as a nested loop that rescanned the whole CTE for every row: 141 rows made 19,881 comparisons,
 * 1,600 rows (16 calls of 100) 2.6 million.
 */
function claimStatement(candidates: string): string {
  return `
with ${ROOM}, candidates as (${candidates}
), grouped as (
  select id, case when event = 'insert' and $3::int > 1
    then 'i' || md5(route::text) || '.' || ((row_number() over (partition by event, route order by id) - 1) / $3::int)::text
    else 'o' || id::text end as call
  from candidates
), ranked as (
  select id, call, dense_rank() over (order by first_id) as call_rank
  from (select id, call, min(id) over (partition by call) as first_id from grouped) g
), claimed as (
  update deliveries d set
    lease_until = now() + ($4::int * interval '1 millisecond'),
    next_attempt_at = now() + ($4::int * interval '1 millisecond'),
    uncertain = d.uncertain or d.claim_token is not null,
    claim_token = $5::text || ':' || ((select jsonb_object_agg(id::text, call) from ranked where call_rank <= (select calls from room)) ->> d.id::text),
    updated_at = now()
  -- state || '': not an expression deliveries_due_idx's predicate (state = 'queued') can match, so
  -- the rows are read through deliveries_pkey alone, not by a scan of every queued row
  where d.id = any(array(select id from ranked where call_rank <= (select calls from room))) and d.state || '' = 'queued'
  returning d.id, d.lead_id, d.destination, d.event, d.route, d.payload, d.attempt_count, d.uncertain, d.claim_token, d.dialer_lead_id
), paced as (
  insert into destination_pacing (destination, next_send_at)
  select $1::text, to_timestamp((r.base_ms + n.calls * $6::float8) / 1000)
  from room r, (select count(distinct claim_token) as calls from claimed) n
  where $6::float8 > 0 and n.calls > 0
  on conflict (destination) do update set next_send_at = excluded.next_send_at
)
select c.id::text as id, c.lead_id::text as lead_id, c.event, c.route, c.payload, c.attempt_count, c.uncertain, c.claim_token,
  coalesce(c.dialer_lead_id, (select i.dialer_lead_id from deliveries i where i.lead_id = c.lead_id and i.destination = c.destination
    and i.event = 'insert' and i.state = 'delivered' order by i.id desc limit 1)) as dialer_lead_id,
  l.template_id, l.campaign_id, l.allocation_id, l.external_id, l.status, l.callback_at, l.priority, l.fields, l.phones, l.contact_hours,
  (select base_ms from room) as base_ms
from claimed c left join leads l on l.id = c.lead_id
order by c.id`;
}

const CLAIM_DUE = claimStatement(`
  select d.id, d.event, d.route from deliveries d
  where d.destination = $1::text and d.state = 'queued' and d.next_attempt_at <= now() and ${ORDER_GUARD}
  order by d.next_attempt_at, d.id
  limit (select calls from room) * $3::int`);

/** Sync mode: whether the lead's insert delivery is still queued (in flight elsewhere) after a claim that did not take it. */
const QUEUED_INSERT = `select 1 from deliveries where lead_id = $1::bigint and destination = $2::text and event = 'insert' and state = 'queued'`;

const CLAIM_INSERT = claimStatement(`
  select d.id, d.event, d.route from deliveries d
  where d.lead_id = $8::bigint and d.destination = $1::text and d.event = 'insert' and d.state = 'queued' and d.next_attempt_at <= now()
  limit 1`);

/** One slot: the later of the next free one and now; answers its start. */
const RESERVE = `
insert into destination_pacing (destination, next_send_at) values ($1::text, clock_timestamp() + $2::float8 * interval '1 millisecond')
on conflict (destination) do update set next_send_at = greatest(destination_pacing.next_send_at, clock_timestamp()) + $2::float8 * interval '1 millisecond'
returning (extract(epoch from next_send_at) * 1000)::float8 - $2::float8 as start_ms`;

/*
 * Settles the calls of a group at once: each row carries its call's claim token and whether that
 * call's settle is tried again. A retried call (the first try may have committed before its
 * connection died) records attempts only for the rows it settles itself, so a committed settle is
 * never recorded twice.
 */
const SETTLE = `
with r as (
  select * from jsonb_to_recordset($1::text::jsonb) as r(
    id bigint, token text, retried boolean, state text, outcome text, status int, answer text, dialer_lead_id text, retry_ms int, uncertain boolean, request jsonb, latency_ms int)
), settled as (
  update deliveries d set state = r.state, attempt_count = d.attempt_count + 1, last_outcome = r.outcome, last_answer = r.answer,
    dialer_lead_id = coalesce(r.dialer_lead_id, d.dialer_lead_id), uncertain = r.uncertain,
    next_attempt_at = case when r.state = 'queued' then now() + (r.retry_ms * interval '1 millisecond') else now() end,
    lease_until = null, claim_token = null, updated_at = now()
  from r where d.id = any($2::bigint[]) and d.id = r.id and d.claim_token = r.token
  returning d.id, r.token, d.lead_id, d.destination, d.event, d.state
), refused_updates as (
  update deliveries u set state = 'refused', last_outcome = 'refused', last_answer = 'not sent: the dialer refused this lead''s insert', updated_at = now()
  from settled s
  where s.event = 'insert' and s.state = 'refused' and u.lead_id = s.lead_id and u.destination = s.destination and u.event = 'update' and u.state = 'queued'
)
insert into delivery_attempts (delivery_id, request, status, answer, outcome, latency_ms)
select r.id, r.request, r.status, r.answer, r.outcome, r.latency_ms from r
where not r.retried or (r.id, r.token) in (select id, token from settled)
order by r.id`;

const RELEASE = `update deliveries set lease_until = null, claim_token = null, next_attempt_at = now(), updated_at = now() where claim_token = $1::text`;

const EXPAND_DNC = `
with fan as (
  delete from deliveries where id in (select id from deliveries where state = 'fanout' order by id limit 1000 for update skip locked)
  returning id, payload
), added as (
  insert into deliveries (destination, event, route, payload)
  select t.destination, 'dnc', t.route, fan.payload
  from fan cross join jsonb_to_recordset($1::text::jsonb) as t(destination text, route jsonb, campaign_ids int[])
  where (fan.payload->>'campaignId')::int = 0 or t.campaign_ids is null or (fan.payload->>'campaignId')::int = any(t.campaign_ids)
  order by fan.id
)
select count(*)::int as n from fan`;

interface ClaimRow {
  id: string;
  lead_id: string | null;
  event: ForwardEvent;
  route: Record<string, number | string>;
  payload: unknown;
  attempt_count: number;
  uncertain: boolean;
  claim_token: string;
  dialer_lead_id: string | null;
  template_id: number | null;
  campaign_id: number | null;
  allocation_id: number | null;
  external_id: string | null;
  status: string | null;
  callback_at: Date | string | null;
  priority: number | null;
  fields: Record<string, unknown> | null;
  phones: string[] | null;
  contact_hours: string | null;
  /** when the first call may start (ms since the epoch, the database's clock) */
  base_ms: number;
}

function toDelivery(row: ClaimRow, destination: string): ClaimedDelivery {
  const delivery: ClaimedDelivery = {
    id: row.id,
    destination,
    event: row.event,
    to: row.route,
    attemptCount: row.attempt_count,
    uncertain: row.uncertain,
    dialerLeadId: row.dialer_lead_id,
    lead:
      row.lead_id === null || row.template_id === null
        ? null
        : {
            id: row.lead_id,
            templateId: row.template_id,
            campaignId: row.campaign_id!,
            allocationId: row.allocation_id!,
            externalId: row.external_id,
            status: row.status,
            callbackAt: row.callback_at === null ? null : new Date(row.callback_at),
            priority: row.priority!,
            fields: row.fields ?? {},
            phones: row.phones ?? [],
            contactHours: row.contact_hours ?? undefined,
          },
  };
  if (row.event === 'update') delivery.update = row.payload as UpdatePayload;
  if (row.event === 'dnc') delivery.dnc = row.payload as DncPayload;
  return delivery;
}

/** Rows to calls, in the order the claim took them. */
function toCalls(rows: readonly ClaimRow[], destination: string, startAt: (index: number) => number): ClaimedCall[] {
  const calls = new Map<string, ClaimedDelivery[]>();
  for (const row of rows) {
    const list = calls.get(row.claim_token) ?? [];
    list.push(toDelivery(row, destination));
    calls.set(row.claim_token, list);
  }
  return [...calls].map(([token, deliveries], i) => ({ token, deliveries, startAt: startAt(i) }));
}

export interface DeliveryStoreOptions {
  /** how the settles of calls that end together go in one statement (group-commit.ts) */
  settleGrouping?: GroupCommitOptions;
}

/*
 * One settle at a time; the calls that end meanwhile settle together in the next statement. A
 * settle is a commit: with `batch: 1` every delivery was its own statement, plan and WAL flush,
 * and those settles, waiting on each other's WAL writes, cost more than the inserts they followed
 * (bench/experiments/forward-statements.ts 1 8000).
 */
export const SETTLE_GROUPING: GroupCommitOptions = { concurrentGroups: 1, maxGroupSize: 64 };

interface CallSettlement {
  token: string;
  results: readonly DeliverySettlement[];
  retried: boolean;
}

/** The settles of one or more calls, in one statement. */
async function settleCalls(runner: SqlRunner, calls: readonly CallSettlement[]): Promise<void[]> {
  const rows = calls.flatMap(({ token, results, retried }) =>
    results.map((r) => ({
      id: r.id,
      token,
      retried,
      state: r.state,
      outcome: r.outcome,
      status: r.status,
      answer: r.answer,
      dialer_lead_id: r.dialerLeadId,
      retry_ms: Math.max(0, Math.round(r.retryInMs)),
      uncertain: r.uncertain,
      request: r.request,
      latency_ms: Math.round(r.latencyMs),
    })),
  );
  // the ids again as an array: the planner then reads the rows by primary key, whatever it
  // guesses of jsonb_to_recordset (100 rows), instead of scanning the table for the tokens
  if (rows.length > 0) await runner.query(SETTLE, [JSON.stringify(rows), rows.map((r) => r.id)]);
  return calls.map(() => undefined);
}

export function createDeliveryStore(backendRunner: SqlRunner, options: DeliveryStoreOptions = {}): DeliveryStore {
  const runner = guardedRunner(backendRunner);
  const settleGrouped = createGroupCommit<CallSettlement, void>(
    { one: async (call) => void (await settleCalls(runner, [call])), many: (calls) => settleCalls(runner, calls) },
    options.settleGrouping ?? SETTLE_GROUPING,
  );

  /**
   * The destination's lock, then the claim, then `after`: statements of their own, so the claim's
   * snapshot sees every claim committed before the lock was granted, sent together (begin and
   * commit included: one round trip on PostgreSQL, where a claim used to be five, and the calls
   * it leased kept their slots through all of them: bench/experiments/forward-statements.ts 1 8000).
   */
  async function claimWith(statement: string, destination: string, limits: ClaimLimits, extra: unknown[], after: Statement[] = []) {
    const gapMs = limits.ratePerSecond > 0 ? 1000 / limits.ratePerSecond : 0;
    const params = [destination, limits.maxConcurrency, limits.batch, limits.leaseMs, randomUUID(), gapMs, limits.horizonMs, ...extra];
    const [, claimed, ...answers] = await retryingRollbacks(() =>
      runTogether(runner, [{ text: LOCK_DESTINATION_FOR_CLAIM, params: [destination] }, { text: statement, params }, ...after]),
    );
    const rows = claimed as ClaimRow[];
    const base = rows[0]?.base_ms ?? 0;
    return { calls: toCalls(rows, destination, (i) => base + i * gapMs), answers };
  }

  return {
    claim: async (destination, limits) => (await claimWith(CLAIM_DUE, destination, limits, [])).calls,
    async claimInsert(leadId, destination, limits) {
      const queued = { text: QUEUED_INSERT, params: [leadId, destination] };
      const { calls, answers } = await claimWith(CLAIM_INSERT, destination, { ...limits, batch: 1 }, [leadId], [queued]);
      if (calls[0]) return calls[0];
      return (answers[0]?.length ?? 0) > 0 ? 'busy' : 'none';
    },
    async settle(token, results, retried = false) {
      if (results.length > 0) await settleGrouped({ token, results, retried });
    },
    reserveStart: (destination, ratePerSecond) =>
      inTransaction(runner, async (tx) => {
        // under the claims' lock: a claim reads the pacing row and writes it back later
        await tx.query(LOCK_DESTINATION, [destination]);
        const [row] = await tx.query<{ start_ms: number }>(RESERVE, [destination, 1000 / ratePerSecond]);
        return row!.start_ms;
      }),
    async expandDnc(targets) {
      const rows = targets.map((t) => ({ destination: t.destination, route: t.to, campaign_ids: t.campaignIds }));
      const [row] = await runner.query<{ n: number }>(EXPAND_DNC, [JSON.stringify(rows)]);
      return row?.n ?? 0;
    },
    async release(token) {
      await runner.query(RELEASE, [token]);
    },
  };
}
