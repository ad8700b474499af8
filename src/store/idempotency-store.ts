import type { Claim, IdempotencyStore, StoredAnswer } from '../http/idempotency.js';
import { guardedRunner } from './guarded-runner.js';
import type { SqlRunner } from './sql-runner.js';

/** Inserts the claim, or takes over an expired one; no row back means someone holds the key. */
const CLAIM = `
insert into idempotency_records (key, request_hash, expires_at) values ($1, $2, now() + ($3::int * interval '1 millisecond'))
on conflict (key) do update set request_hash = excluded.request_hash, status = null, headers = null, body = null,
  created_at = now(), expires_at = excluded.expires_at
where idempotency_records.expires_at < now()
returning key`;

const READ = `select request_hash, status, headers, body from idempotency_records where key = $1`;
const COMPLETE = `update idempotency_records set status = $2, headers = $3::text::jsonb, body = $4 where key = $1`;
const RELEASE = `delete from idempotency_records where key = $1 and status is null`;

export function createIdempotencyStore(backendRunner: SqlRunner): IdempotencyStore {
  const runner = guardedRunner(backendRunner);
  return {
    async claim(key, requestHash, ttlMs): Promise<Claim> {
      for (;;) {
        if ((await runner.query(CLAIM, [key, requestHash, ttlMs])).length > 0) return { kind: 'claimed' };
        const [row] = await runner.query<{ request_hash: string; status: number | null; headers: Record<string, string> | null; body: string | null }>(READ, [key]);
        // Released between the two statements: try to claim again.
        if (!row) continue;
        if (row.status === null) return { kind: 'pending', requestHash: row.request_hash };
        const answer: StoredAnswer = { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' };
        return { kind: 'answered', requestHash: row.request_hash, answer };
      }
    },
    async complete(key, answer) {
      await runner.query(COMPLETE, [key, answer.status, JSON.stringify(answer.headers), answer.body]);
    },
    async release(key) {
      await runner.query(RELEASE, [key]);
    },
  };
}
