import type { Claim, IdempotencyStore, StoredAnswer } from '../http/idempotency.js';
import { guardedRunner } from './guarded-runner.js';
import type { SqlRunner } from './sql-runner.js';

/**
 * How long an unanswered claim holds its key before a retry may take it over (the process that
 * claimed it may have died between the claim and the answer). What bounds a request after its
 * claim: the admission queue (LEADGATE_QUEUE_TIMEOUT_MS, 60 s by default, then 109 and the key is
 * released), its CRM checks (a connect's deadline: 6.1 s by default, 363 s at the schema's
 * largest timeoutMs and retries), one store write (seconds for a 10,000-lead batch), and on SIGTERM
 * LEADGATE_SHUTDOWN_TIMEOUT_MS (10 s) before it is cut, its claim left behind for the lease. About
 * 80 s with the defaults; five minutes is four times that. A request that does outrun its lease
 * (a large batch behind a slow connect) is not written twice: a retry that took the key over runs
 * the work again, but the store's unique keys answer it 112/105 for what the first wrote, and the
 * first's answer is not kept (its token no longer matches).
 */
export const DEFAULT_CLAIM_LEASE_MS = 300_000;

/** Expired rows deleted by one purge round: one short transaction, its locks and WAL bounded. */
export const DEFAULT_PURGE_BATCH = 1000;

/**
 * Inserts the claim, or takes over an expired row (an old answer, or a claim past its lease) in the
 * same statement: of two retries taking over at once, the second waits for the first's row lock,
 * finds the row no longer expired, and gets no row back. No row back means someone holds the key.
 */
const CLAIM = `
insert into idempotency_records (key, request_hash, expires_at, claim_token) values ($1, $2, now() + ($3::int * interval '1 millisecond'), $4)
on conflict (key) do update set request_hash = excluded.request_hash, status = null, headers = null, body = null,
  created_at = now(), expires_at = excluded.expires_at, claim_token = excluded.claim_token
where idempotency_records.expires_at < now()
returning key`;

const READ = `select request_hash, status, headers, body from idempotency_records where key = $1`;
const COMPLETE = `
update idempotency_records set status = $3, headers = $4::text::jsonb, body = $5, expires_at = now() + ($6::int * interval '1 millisecond')
where key = $1 and claim_token = $2 and status is null`;
const RELEASE = `delete from idempotency_records where key = $1 and claim_token = $2 and status is null`;

/**
 * One purge round: up to $1 expired rows, found in expiry order through idempotency_expires_idx,
 * then deleted by their row addresses (a TID scan). `key in (subquery)` was planned as a hash join
 * over a sequential scan of the whole table, once per round (EXPLAIN, test/store). SKIP LOCKED lets
 * several processes purge at once without waiting for or deleting each other's rows, and skips a
 * row a retry is taking over; a row taken over before this round locks it is re-checked, is no
 * longer expired, and stays.
 */
const PURGE = `
with purged as (
  delete from idempotency_records where ctid = any(array(
    select ctid from idempotency_records where expires_at < now() order by expires_at limit $1 for update skip locked))
  returning 1)
select count(*)::int as deleted from purged`;

export interface IdempotencyStoreOptions {
  /** how long an unanswered claim holds its key (DEFAULT_CLAIM_LEASE_MS) */
  leaseMs?: number;
}

export interface IdempotencyPurgeStore {
  /** deletes up to `limit` expired keys; resolves with how many went */
  purgeExpired(limit: number): Promise<number>;
}

export function createIdempotencyStore(backendRunner: SqlRunner, options: IdempotencyStoreOptions = {}): IdempotencyStore & IdempotencyPurgeStore {
  const runner = guardedRunner(backendRunner);
  const leaseMs = options.leaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  return {
    async claim(key, requestHash): Promise<Claim> {
      for (;;) {
        const token = globalThis.crypto.randomUUID();
        if ((await runner.query(CLAIM, [key, requestHash, leaseMs, token])).length > 0) return { kind: 'claimed', token };
        const [row] = await runner.query<{ request_hash: string; status: number | null; headers: Record<string, string> | null; body: string | null }>(READ, [key]);
        // Released or purged between the two statements: try to claim again.
        if (!row) continue;
        if (row.status === null) return { kind: 'pending', requestHash: row.request_hash };
        const answer: StoredAnswer = { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' };
        return { kind: 'answered', requestHash: row.request_hash, answer };
      }
    },
    async complete(key, token, answer, ttlMs) {
      await runner.query(COMPLETE, [key, token, answer.status, JSON.stringify(answer.headers), answer.body, ttlMs]);
    },
    async release(key, token) {
      await runner.query(RELEASE, [key, token]);
    },
    async purgeExpired(limit) {
      const [row] = await runner.query<{ deleted: number }>(PURGE, [limit]);
      return row?.deleted ?? 0;
    },
  };
}
