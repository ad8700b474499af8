/** What one request of a fault-test load came back with. */
export interface Answer {
  i: number;
  /** HTTP status, or 0 when no answer came (connection refused or reset) */
  status: number;
  code?: number;
  leadId?: string;
  retryAfter?: string | null;
}

/**
 * Runs `workers` loops that each send requests back to back until `stop()` says so, numbering
 * requests so every answer can be matched to what was sent. Bounded: at most `maxRequests`.
 */
export async function runLoad(options: {
  workers: number;
  maxRequests: number;
  send: (i: number) => Promise<Answer>;
  stop: () => boolean;
}): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: options.workers }, async () => {
      while (!options.stop() && next < options.maxRequests) {
        const i = next++;
        answers.push(await options.send(i));
      }
    }),
  );
  return answers.sort((a, b) => a.i - b.i);
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** A valid Australian mobile for load run `run` (0–99) and request `i` (0–99,999): every 040x range is allocated. */
export const loadPhone = (run: number, i: number) => `+6140${String(run).padStart(2, '0')}${String(i).padStart(5, '0')}`;
