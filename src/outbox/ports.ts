/** A durable delivery waiting in the outbox (SPEC 5): at-least-once, identified by its delivery id. */
export interface OutboxEntry {
  id: string;
  deliveryId: string;
  kind: string;
  target: string | null;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface OutboxStore {
  /**
   * Leases up to `limit` due entries for `leaseMs`: no other worker takes them meanwhile, and a
   * worker that dies mid-delivery only delays them until the lease ends.
   */
  claimDue(limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  markDelivered(id: string): Promise<void>;
  /** `retryAt` null: give up (kept, with its last error, for an operator). */
  markFailed(id: string, error: string, retryAt: Date | null): Promise<void>;
}
