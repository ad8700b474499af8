import type { z } from 'zod';
import { envSchema } from './env.js';

/**
 * The settings a Worker reads from its bindings ([vars] and secrets): the Node schema minus what
 * has no meaning there (port, data directory, rules folder, DATABASE_URL: the store is the
 * Hyperdrive binding, the rules are bundled, there is no process to shut down).
 */
export const workerEnvSchema = envSchema.pick({
  LEADGATE_API_KEYS: true,
  LEADGATE_DEMO: true,
  LEADGATE_ADMIN_TOKEN: true,
  LEADGATE_MAX_CONCURRENCY: true,
  LEADGATE_QUEUE_TIMEOUT_MS: true,
  LEADGATE_MAX_BATCH: true,
  LEADGATE_MAX_BODY_BYTES: true,
  LOG_LEVEL: true,
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** The string bindings of a Worker's env: [vars] and secrets (Hyperdrive and other objects left out). */
export function stringBindings(env: object): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function parseWorkerEnv(bindings: Record<string, string>): WorkerEnv {
  const cleaned = Object.fromEntries(Object.entries(bindings).filter(([, v]) => v !== ''));
  const parsed = workerEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid Worker bindings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
