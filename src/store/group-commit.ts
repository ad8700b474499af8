import { StoreUnavailableError } from '../pipeline/ports.js';

export interface GroupCommitOptions {
  /** groups written at once; while they run, new items wait and then go together */
  concurrentGroups: number;
  /** most items in one group */
  maxGroupSize: number;
  /**
   * A free slot waits for the end of the event loop's current turn before it writes, so the items
   * that arrive in that turn go together. For a store whose writes run synchronously on this
   * thread (PGlite), where no item can arrive while a write runs and so no group would ever form.
   */
  gatherTurn?: boolean;
}

/*
 * Two slots for server PostgreSQL: fewer slots make larger groups, so fewer statements, commits and
 * socket writes a lead, which is what the single insert spends most on once the CPU is shared with
 * PostgreSQL (bench/experiments/probe.ts single, 16 connections, alternating runs: 4 slots
 * 2,505-2,612 inserts/s, 2 slots 2,898-2,928/s, when a group was the batch path's four round
 * trips). With a group in one statement (insert-group.ts) one slot does 3,575-3,623/s against
 * two's 3,312-3,341/s; two are kept, so that a group that takes longer (one that met a conflict
 * and goes the batch path, or has leads to write alone) does not hold up every other lead.
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { concurrentGroups: 2, maxGroupSize: 200 };

/**
 * Any grouping as the embedded store (PGlite) needs it: one group at a time, gathered over an
 * event-loop turn. PGlite runs one statement at a time, on the thread that also serves the
 * requests, so a second slot adds no parallelism; it only splits the items that wait into more,
 * smaller groups, each with its own transaction and commit record (store alone, 16 callers: 0.31
 * -> 0.26 ms CPU per lead, bench/experiments/pglite-prepared.ts). And because a write runs
 * synchronously, nothing arrives while it runs: without `gatherTurn` every lead over HTTP went alone.
 */
export const embeddedGrouping = (options: GroupCommitOptions): GroupCommitOptions => ({ ...options, concurrentGroups: 1, gatherTurn: true });

/**
 * Every item written alone, by its own caller. On Workers: a group would write a waiting request's
 * item on another request's connection and resolve its promise from there, and workerd cancels a
 * request left waiting on another's I/O ("would never generate a response").
 */
export const NO_GROUP_COMMIT: GroupCommitOptions = { concurrentGroups: Number.POSITIVE_INFINITY, maxGroupSize: 1 };

export interface GroupWriter<T, R> {
  /** writes one item on its own (the cheapest path for a lone item) */
  one(item: T): Promise<R>;
  /** writes several items together, answering in their order, as if written one by one */
  many(items: readonly T[]): Promise<R[]>;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for single-lead writes from concurrent requests. An item that finds a free slot is
 * written at once on its own (no added latency while the gateway is quiet); items that arrive
 * while every slot is busy wait and are then written together, in arrival order, by `many`. Under
 * load this turns many commits and round trips into a few, which is where a single-lead insert
 * spends most of its database time.
 *
 * A group that fails for any reason other than a lost connection is retried item by item, so one
 * lead's fault never fails the requests it happened to share a transaction with.
 */
export function createGroupCommit<T, R>(writer: GroupWriter<T, R>, options: GroupCommitOptions = DEFAULT_GROUP_COMMIT): (item: T) => Promise<R> {
  const waiting: Array<Waiting<T, R>> = [];
  let running = 0;

  const alone = (w: Waiting<T, R>) => writer.one(w.item).then(w.resolve, w.reject);

  async function write(group: Array<Waiting<T, R>>): Promise<void> {
    if (group.length === 1) return alone(group[0]!);
    try {
      const results = await writer.many(group.map((w) => w.item));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        for (const w of group) w.reject(error);
        return;
      }
      for (const w of group) await alone(w);
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

  let gathering = false;
  const gatherThenPump = () => {
    if (gathering) return;
    gathering = true;
    setImmediate(() => {
      gathering = false;
      pump();
    });
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (options.gatherTurn) gatherThenPump();
      else pump();
    });
}
