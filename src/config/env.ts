import { z } from 'zod';

const booleanFlag = z
  .string()
  .optional()
  .transform((v) => v === undefined || !['0', 'false', 'off', 'no'].includes(v.trim().toLowerCase()));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * How many server processes: a whole number of at least 1, or `auto` (one per core the process
 * may use; resolved where the processes are started, so this file needs no node:os: the Workers
 * bundle reads it too).
 */
const processCount = z
  .string()
  .default('1')
  .transform((raw, ctx) => {
    const value = raw.trim().toLowerCase();
    if (value === 'auto') return 'auto' as const;
    if (/^\d+$/.test(value) && Number(value) >= 1) return Number(value);
    ctx.addIssue({ code: 'custom', input: raw, message: `expected a whole number of processes (1 or more) or 'auto', got '${raw}'` });
    return z.NEVER;
  });

/** SPEC section 1: every setting the process reads from its environment, parsed once at the entry. */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().url().optional(),
  LEADGATE_DATA_DIR: z.string().min(1).default('./data'),
  RULES_DIR: z.string().min(1).default('./rules'),
  LEADGATE_API_KEYS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0)),
  LEADGATE_DEMO: booleanFlag,
  LEADGATE_ADMIN_TOKEN: z.string().min(1).optional(),
  LEADGATE_MAX_CONCURRENCY: positiveInt(32),
  LEADGATE_QUEUE_TIMEOUT_MS: positiveInt(60_000),
  LEADGATE_MAX_BATCH: positiveInt(10_000),
  LEADGATE_MAX_BODY_BYTES: positiveInt(10 * 1024 * 1024),
  /** how long SIGTERM waits for requests in flight before cutting them */
  LEADGATE_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  /** how long an unanswered Idempotency-Key claim holds its key (its process may have died); src/store/idempotency-store.ts */
  LEADGATE_IDEMPOTENCY_LEASE_MS: z.coerce.number().int().positive().max(86_400_000).default(300_000),
  /** beyond twice a destination's timeoutMs, how long a delivery claim of a process that died holds its slot; src/forward/delivery-worker.ts */
  LEADGATE_DELIVERY_LEASE_MARGIN_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** server processes sharing the port (src/entry/cluster-primary.ts); more than 1 needs DATABASE_URL */
  LEADGATE_PROCESSES: processCount,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
