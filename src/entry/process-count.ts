import { availableParallelism } from 'node:os';
import type { Env } from '../config/env.js';

/** LEADGATE_PROCESSES as a number: `auto` is one process per core this process may use. */
export function resolveProcessCount(setting: Env['LEADGATE_PROCESSES']): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * Each process's share of LEADGATE_MAX_CONCURRENCY. The setting bounds lead operations in flight
 * for the server as a whole (SPEC 6: one gate), so adding processes adds CPU, not load on the
 * CRM and the database: each process gets the limit divided by the number of processes, rounded
 * down, and at least one slot.
 */
export function admissionSlotsPerProcess(maxConcurrency: number, processes: number): number {
  return Math.max(1, Math.floor(maxConcurrency / processes));
}
