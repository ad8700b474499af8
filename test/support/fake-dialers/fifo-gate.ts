/**
 * Seed 003 (Noojee InsertLeadFast, "rate limiting" and "Concurrency"): at most (hardware threads / 2)
 * calls run at once, across UpdateLeadFast and InsertLeadFast combined; further calls are queued,
 * and a call delayed by more than 1 minute times out (seed 002, code 109). The document does not
 * say the queue is first-in first-out; a queue that is not would starve callers, so FIFO.
 */
export class FifoGate {
  private active = 0;
  private readonly waiting: { admit: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(private limit: number) {}

  /** Resolves true once a slot is held, false if `timeoutMs` passed first (the caller answers 109) */
  acquire(timeoutMs: number): Promise<boolean> {
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        admit: () => {
          clearTimeout(entry.timer);
          this.active++;
          resolve(true);
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          resolve(false);
        }, timeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  release(): void {
    this.active--;
    this.admitWaiting();
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.admitWaiting();
  }

  /** Forget the queue without answering it (the server is closing) */
  clear(): void {
    for (const entry of this.waiting) clearTimeout(entry.timer);
    this.waiting.length = 0;
  }

  private admitWaiting(): void {
    while (this.active < this.limit) {
      const next = this.waiting.shift();
      if (!next) return;
      next.admit();
    }
  }
}
