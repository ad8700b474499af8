import cluster from 'node:cluster';
import type { Env } from '../config/env.js';
import { admissionSlotsPerProcess, resolveProcessCount } from './process-count.js';
import { startNodeServer, type RunningServer } from './node.js';

/** What a server process tells the primary (cluster-primary.ts). */
export type WorkerReport = { type: 'leadgate:ready'; port: number } | { type: 'leadgate:start-failed'; message: string };

const REPORTS: ReadonlySet<unknown> = new Set<WorkerReport['type']>(['leadgate:ready', 'leadgate:start-failed']);
export const isWorkerReport = (message: unknown): message is WorkerReport => REPORTS.has((message as WorkerReport | null)?.type);

const report = (message: WorkerReport) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

/**
 * One of the LEADGATE_PROCESSES server processes: the whole server (HTTP on the shared port, its
 * own store pool, admission gate, group commit, delivery worker) with its share of the admission
 * slots. It tells the primary when it serves, or why it could not start (the primary prints that
 * once, instead of every process printing the same error).
 *
 * SIGTERM or SIGINT stops it gracefully, as the single-process server; a repeated signal changes
 * nothing (Ctrl-C in a terminal reaches every process, then the primary's SIGTERM follows): the
 * primary decides when waiting is over and kills what is left.
 */
export async function serveAsWorker(env: Env, rawEnv: Record<string, string | undefined>): Promise<void> {
  const id = cluster.worker!.id;
  const slots = admissionSlotsPerProcess(env.LEADGATE_MAX_CONCURRENCY, resolveProcessCount(env.LEADGATE_PROCESSES));
  const starting = startNodeServer(env, rawEnv, { clusterWorker: { id, admissionSlots: slots } });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    starting
      // a start that failed is reported by the start itself, below
      .then((server) => server.close(), () => undefined)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  let server: RunningServer;
  try {
    server = await starting;
  } catch (error) {
    await report({ type: 'leadgate:start-failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  await report({ type: 'leadgate:ready', port: server.port });
}
