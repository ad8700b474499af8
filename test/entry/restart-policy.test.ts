import { describe, expect, it } from 'vitest';
import { admissionSlotsPerProcess } from '../../src/entry/process-count.js';
import { createRestartPolicy } from '../../src/entry/restart-policy.js';

describe('the restart policy of the server processes', () => {
  const settings = { maxDeaths: 3, windowMs: 10_000, firstDelayMs: 100, maxDelayMs: 250 };

  it('doubles the delay with each recent death, up to the most', () => {
    const policy = createRestartPolicy({ ...settings, maxDeaths: 10 });
    expect([0, 1, 2, 3].map((at) => policy.onDeath(at))).toEqual([{ restartInMs: 100 }, { restartInMs: 200 }, { restartInMs: 250 }, { restartInMs: 250 }]);
  });

  it('gives up at the given number of deaths within the window', () => {
    const policy = createRestartPolicy(settings);
    policy.onDeath(0);
    policy.onDeath(5_000);
    expect(policy.onDeath(9_999)).toEqual({ giveUp: '3 server processes died within 10 s' });
  });

  it('forgets deaths older than the window: a process dying now and then is restarted for ever, promptly', () => {
    const policy = createRestartPolicy(settings);
    const decisions = [0, 6_000, 12_000, 18_000, 24_000].map((at) => policy.onDeath(at));
    expect(decisions).toEqual([{ restartInMs: 100 }, { restartInMs: 200 }, { restartInMs: 200 }, { restartInMs: 200 }, { restartInMs: 200 }]);
  });
});

describe('admission slots per process', () => {
  it('splits LEADGATE_MAX_CONCURRENCY so the processes together hold no more, each at least one', () => {
    expect(admissionSlotsPerProcess(32, 1)).toBe(32);
    expect(admissionSlotsPerProcess(32, 2)).toBe(16);
    expect(admissionSlotsPerProcess(32, 3)).toBe(10);
    expect(admissionSlotsPerProcess(2, 4)).toBe(1);
  });
});
