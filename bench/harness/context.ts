import { startThrowawayPostgres, type ThrowawayPostgres } from './postgres-server.js';

/** What the parts of one `npm run bench` share: one throwaway PostgreSQL server (each part uses a database of its own). */
export class BenchContext {
  private pg: Promise<ThrowawayPostgres> | undefined;
  /** figures a part leaves for later parts' details (e.g. the server-PostgreSQL single-insert rate) */
  readonly figures = new Map<string, number>();

  postgres(): Promise<ThrowawayPostgres> {
    this.pg ??= startThrowawayPostgres();
    return this.pg;
  }

  async close(): Promise<void> {
    if (this.pg) await (await this.pg).stop();
  }
}

export const round = (n: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
