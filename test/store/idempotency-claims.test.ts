import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Claim } from '../../src/http/idempotency.js';
import { createIdempotencyStore } from '../../src/store/idempotency-store.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let backend: TestBackend;
beforeAll(async () => {
  backend = await openTestBackend();
});
afterAll(async () => {
  await backend.close();
});
beforeEach(async () => {
  await backend.runner.query('delete from idempotency_records');
});

const DAY_MS = 24 * 3_600_000;
const ANSWER = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"code":0}' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rowOf = async (key: string) =>
  (
    await backend.runner.query<{ status: number | null; claim_token: string | null; left_ms: number }>(
      `select status, claim_token, (extract(epoch from expires_at - now()) * 1000)::float8 as left_ms from idempotency_records where key = $1`,
      [key],
    )
  )[0];
/** The key's lease ends now, as if its time had passed with its process dead. */
const endLease = (key: string) => backend.runner.query(`update idempotency_records set expires_at = now() - interval '1 millisecond' where key = $1`, [key]);
const tokenOf = (claim: Claim) => (claim.kind === 'claimed' ? claim.token : expect.fail(`expected a claim, got ${claim.kind}`));

describe('idempotency claims', () => {
  it('holds an unanswered key for the lease only; then the next claim takes it over and the first can no longer answer or release it', async () => {
    const store = createIdempotencyStore(backend.runner, { leaseMs: 60_000 });
    const first = tokenOf(await store.claim('k-lease', 'h1'));
    expect(await store.claim('k-lease', 'h1')).toEqual({ kind: 'pending', requestHash: 'h1' });
    const held = await rowOf('k-lease');
    expect(held!.status).toBeNull();
    expect(held!.left_ms).toBeGreaterThan(50_000);
    expect(held!.left_ms).toBeLessThanOrEqual(60_000);

    await endLease('k-lease');
    const second = tokenOf(await store.claim('k-lease', 'h1'));
    expect(second).not.toBe(first);
    // the first (a process that was only slow, not dead) finishes late: its answer is not kept,
    // nor can it hand back the key the second now holds
    await store.complete('k-lease', first, { ...ANSWER, body: 'late' }, DAY_MS);
    await store.release('k-lease', first);
    expect(await rowOf('k-lease')).toMatchObject({ status: null, claim_token: second });

    await store.complete('k-lease', second, ANSWER, DAY_MS);
    expect(await store.claim('k-lease', 'h1')).toEqual({ kind: 'answered', requestHash: 'h1', answer: ANSWER });
    // the answer is kept for its TTL from now, not for the lease
    expect((await rowOf('k-lease'))!.left_ms).toBeGreaterThan(DAY_MS - 60_000);
  });

  it('lets the lease run out in real time', async () => {
    const store = createIdempotencyStore(backend.runner, { leaseMs: 300 });
    tokenOf(await store.claim('k-clock', 'h1'));
    await sleep(400);
    expect((await store.claim('k-clock', 'h1')).kind).toBe('claimed');
  });

  it('gives a released key to the next claim at once', async () => {
    const store = createIdempotencyStore(backend.runner);
    const token = tokenOf(await store.claim('k-release', 'h1'));
    await store.release('k-release', token);
    expect(await rowOf('k-release')).toBeUndefined();
    expect((await store.claim('k-release', 'h1')).kind).toBe('claimed');
  });

  it('lets exactly one of several simultaneous claims take over a key whose lease ended', async () => {
    const store = createIdempotencyStore(backend.runner, { leaseMs: 60_000 });
    for (let round = 0; round < 10; round += 1) {
      const key = `k-race-${round}`;
      tokenOf(await store.claim(key, 'h1'));
      await endLease(key);
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim(key, 'h1')));
      expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.kind === 'pending')).toHaveLength(7);
    }
  });
});
