import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapPooled } from '../../src/lib/map-pooled.js';

describe('mapPooled', () => {
  it('runs at most `limit` calls at once and keeps the input order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapPooled([30, 5, 20, 1, 10, 2], 2, async (ms, index) => {
      most = Math.max(most, ++running);
      await delay(ms);
      running--;
      return `${index}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2']);
    expect(most).toBe(2);
  });

  it('starts nothing new after a call throws, and throws the first error once the running calls end', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = mapPooled([0, 1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('boom');
      await delay(20);
      finished++;
      return item;
    });
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });

  it('answers an empty list without calling', async () => {
    expect(await mapPooled([], 4, () => Promise.reject(new Error('called')))).toEqual([]);
  });
});
