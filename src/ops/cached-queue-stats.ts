import type { QueueStat } from '../forward/delivery-admin.js';

/**
 * The delivery queue's stats, read from the store at most once per `ttlMs`: a scrape reads two
 * gauges from one answer, and any number of scrapers cannot turn into a load on the database.
 * A failed read is not kept, so the next scrape asks again.
 */
export function cachedQueueStats(read: () => Promise<readonly QueueStat[]>, ttlMs = 1000, now: () => number = Date.now): () => Promise<readonly QueueStat[]> {
  let cached: { at: number; stats: Promise<readonly QueueStat[]> } | undefined;
  return () => {
    const at = now();
    if (cached && at - cached.at < ttlMs) return cached.stats;
    const entry = { at, stats: read() };
    cached = entry;
    entry.stats.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.stats;
  };
}
