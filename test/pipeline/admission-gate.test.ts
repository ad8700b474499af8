import { describe, expect, it } from 'vitest';
import { createAdmissionGate } from '../../src/pipeline/admission-gate.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('admission gate', () => {
  it('runs at most `slots` operations at once and admits waiters in arrival order', async () => {
    const gate = createAdmissionGate({ slots: 2, queueTimeoutMs: 10_000 });
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const blockers = Array.from({ length: 6 }, deferred);
    const runs = blockers.map((b, i) =>
      gate.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        order.push(i);
        await b.promise;
        running -= 1;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(gate.stats()).toMatchObject({ inFlight: 2, queued: 4 });
    for (const b of blockers) {
      b.resolve();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await Promise.all(runs)).map((r) => (r.admitted ? r.value : -1))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(gate.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 6, timedOut: 0 });
  });

  it('refuses an operation that waited past the queue timeout without running it', async () => {
    const gate = createAdmissionGate({ slots: 1, queueTimeoutMs: 30 });
    const blocker = deferred();
    const first = gate.run(() => blocker.promise);
    let ran = false;
    const second = await gate.run(async () => {
      ran = true;
    });
    expect(second).toMatchObject({ admitted: false });
    expect(ran).toBe(false);
    blocker.resolve();
    expect(await first).toEqual({ admitted: true, value: undefined });
    expect(gate.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 1, timedOut: 1 });
    expect(await gate.run(async () => 'free again')).toEqual({ admitted: true, value: 'free again' });
  });

  it('frees the slot when the operation throws', async () => {
    const gate = createAdmissionGate({ slots: 1, queueTimeoutMs: 1000 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 1)).toEqual({ admitted: true, value: 1 });
  });
});
