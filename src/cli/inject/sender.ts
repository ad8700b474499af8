/** One row's answer, as injectLeads / insertLeadsFast give it (SPEC 2.2). */
export interface RowResult {
  code: number;
  message: string;
  description?: string;
  leadId?: string;
}

/** Where the rows go: the pipeline in this process, or a running server. */
export interface BatchSender {
  /** names the store or server (never a secret), to tell apart the state of runs against different ones */
  destination: string;
  /** injects the rows in order and answers one result per row */
  send(rows: readonly unknown[]): Promise<RowResult[]>;
  close(): Promise<void>;
}

/** Stops the import: 2 for configuration (target, key, rules, store), 1 for a failure part-way. */
export class InjectStop extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'InjectStop';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How often a batch answered "busy" or "store unavailable" is sent again before the import stops. */
export const MAX_ATTEMPTS = 8;

/** Delay before attempt `attempt + 1`: the server's Retry-After when given, else 1, 2, 4 … 30 s. */
export function retryDelayMs(attempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(retryAfterSeconds, 60) * 1000;
  }
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}
