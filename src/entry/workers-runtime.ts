/**
 * The few Workers runtime types the entry needs, written out instead of depending on
 * @cloudflare/workers-types, whose global declarations clash with @types/node in one program.
 */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

/** A Hyperdrive binding: a connection string to Cloudflare's pooler in front of the database. */
export interface HyperdriveBinding {
  readonly connectionString: string;
}
