import { StoreUnavailableError, type InsertOutcome, type NewLead } from '../pipeline/ports.js';
import { inTransaction, retryingRollbacks } from './in-transaction.js';
import { insertLeadBatch } from './insert-batch.js';
import { insertOneLead } from './insert-one.js';
import type { SqlRunner } from './sql-runner.js';

export interface GroupCommitOptions {
  /** groups written at once; while they run, new single leads wait and then go together */
  concurrentGroups: number;
  /** most leads in one group */
  maxGroupSize: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { concurrentGroups: 4, maxGroupSize: 200 };

interface Waiting {
  lead: NewLead;
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for single-lead inserts from concurrent requests. A lead that finds a free group
 * slot is written at once by the one-statement insert (no added latency when the gateway is
 * quiet); leads that arrive while every slot is busy wait and are then written together by the
 * batch statements in one transaction, with exactly the outcomes they would have had one by one
 * in arrival order (insert-batch.ts). Under load this turns many commits and round trips into a
 * few, which is where a single-lead insert spends most of its database time.
 *
 * A group that fails for any reason other than a lost connection is retried lead by lead, so one
 * lead's fault never fails the requests it happened to share a transaction with.
 */
export function createGroupCommit(runner: SqlRunner, options: GroupCommitOptions = DEFAULT_GROUP_COMMIT): (lead: NewLead) => Promise<InsertOutcome> {
  const waiting: Waiting[] = [];
  let running = 0;

  // a single statement can deadlock with a concurrent group (external ids locked in another order)
  const insertAlone = (w: Waiting) => retryingRollbacks(() => insertOneLead(runner, w.lead)).then(w.resolve, w.reject);

  async function write(group: Waiting[]): Promise<void> {
    if (group.length === 1) return insertAlone(group[0]!);
    try {
      const outcomes = await inTransaction(runner, (tx) => insertLeadBatch(tx, group.map((w) => w.lead)));
      group.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        for (const w of group) w.reject(error);
        return;
      }
      for (const w of group) await insertAlone(w);
    }
  }

  function pump(): void {
    while (running < options.concurrentGroups && waiting.length > 0) {
      running += 1;
      void write(waiting.splice(0, options.maxGroupSize)).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  return (lead) =>
    new Promise<InsertOutcome>((resolve, reject) => {
      waiting.push({ lead, resolve, reject });
      pump();
    });
}
