/** FIFO counting semaphore; the limit is read on every call so a reloaded connect applies at once. */
export interface ConcurrencyLimiter {
  /** Resolves true with a slot, or false when none freed up within `waitMs`. */
  acquire(limit: number, waitMs: number): Promise<boolean>;
  release(limit: number): void;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  grant: () => void;
}

export function createConcurrencyLimiter(): ConcurrencyLimiter {
  let active = 0;
  const queue: Waiter[] = [];
  const pump = (limit: number): void => {
    while (active < limit && queue.length > 0) {
      active++;
      queue.shift()?.grant();
    }
  };
  return {
    acquire(limit, waitMs) {
      if (active < limit && queue.length === 0) {
        active++;
        return Promise.resolve(true);
      }
      if (waitMs <= 0) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const waiter: Waiter = {
          grant: () => {
            clearTimeout(timer);
            resolve(true);
          },
        };
        const timer = setTimeout(() => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          resolve(false);
        }, waitMs);
        queue.push(waiter);
      });
    },
    release(limit) {
      active = Math.max(0, active - 1);
      pump(limit);
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
