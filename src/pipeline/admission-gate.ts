/**
 * The admission gate (SPEC 6): a fixed number of lead operations run at once (a batch is one);
 * the rest wait in arrival order. An operation that waited longer than the queue timeout is
 * refused (109) before it does anything, so nothing of it is written.
 */
export interface AdmissionGate {
  run<T>(operation: () => Promise<T>): Promise<Admitted<T>>;
  stats(): GateStats;
}

export type Admitted<T> = { admitted: true; value: T } | { admitted: false; waitedMs: number };

export interface GateStats {
  slots: number;
  inFlight: number;
  queued: number;
  admitted: number;
  timedOut: number;
  /** total milliseconds admitted operations spent waiting */
  waitedMs: number;
}

export interface GateOptions {
  slots: number;
  queueTimeoutMs: number;
  now?: () => number;
  /** observe each admitted operation's wait and each refusal, for metrics */
  onWait?: (waitedMs: number) => void;
  onTimeout?: () => void;
}

interface Waiter {
  admit: () => void;
  timer: ReturnType<typeof setTimeout>;
}

export function createAdmissionGate(options: GateOptions): AdmissionGate {
  const now = options.now ?? (() => performance.now());
  const queue: Waiter[] = [];
  let inFlight = 0;
  const counters = { admitted: 0, timedOut: 0, waitedMs: 0 };

  const release = () => {
    const next = queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.admit(); // the slot passes straight to the next waiter
    } else {
      inFlight -= 1;
    }
  };

  const acquire = (): Promise<boolean> => {
    if (inFlight < options.slots && queue.length === 0) {
      inFlight += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: () => resolve(true),
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          resolve(false);
        }, options.queueTimeoutMs),
      };
      queue.push(waiter);
    });
  };

  return {
    async run<T>(operation: () => Promise<T>): Promise<Admitted<T>> {
      const started = now();
      const admitted = await acquire();
      const waitedMs = now() - started;
      if (!admitted) {
        counters.timedOut += 1;
        options.onTimeout?.();
        return { admitted: false, waitedMs };
      }
      counters.admitted += 1;
      counters.waitedMs += waitedMs;
      options.onWait?.(waitedMs);
      try {
        return { admitted: true, value: await operation() };
      } finally {
        release();
      }
    },
    stats: () => ({ slots: options.slots, inFlight, queued: queue.length, ...counters }),
  };
}
