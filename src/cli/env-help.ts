import { Help } from 'commander';
import type { Env } from '../config/env.js';

/**
 * Every setting of src/config/env.ts with its default as the schema applies it. Keyed by the
 * schema's keys so that a new setting does not compile until it is described here (a test
 * compares the defaults with the schema's); written out rather than parsed so that --help does
 * not load zod.
 */
export const SETTINGS: Record<keyof Env, { meaning: string; default: string }> = {
  PORT: { meaning: 'listen port', default: '8080' },
  DATABASE_URL: { meaning: 'PostgreSQL URL', default: 'unset: the embedded PGlite store' },
  LEADGATE_DATA_DIR: { meaning: 'PGlite data directory (without DATABASE_URL)', default: './data' },
  RULES_DIR: { meaning: 'rules folder (watched; an edit that loads is swapped in)', default: './rules' },
  LEADGATE_API_KEYS: { meaning: 'comma-separated bootstrap API keys', default: "unset: 'demo', while the demo is on" },
  LEADGATE_ADMIN_TOKEN: { meaning: 'bearer token for /admin/*', default: 'unset: admin API off' },
  LEADGATE_DEMO: {
    meaning: '0 turns the demo (key and CRM) off; then LEADGATE_API_KEYS or LEADGATE_ADMIN_TOKEN is required',
    default: 'on',
  },
  LEADGATE_MAX_CONCURRENCY: { meaning: 'lead operations in flight at once', default: '32' },
  LEADGATE_QUEUE_TIMEOUT_MS: { meaning: 'longest wait for a slot before the answer is 109', default: '60000' },
  LEADGATE_MAX_BATCH: { meaning: 'most leads in one batch request', default: '10000' },
  LEADGATE_MAX_BODY_BYTES: { meaning: 'largest request body', default: '10485760' },
  LEADGATE_SHUTDOWN_TIMEOUT_MS: { meaning: 'how long SIGTERM lets requests in flight finish', default: '10000' },
  LEADGATE_IDEMPOTENCY_LEASE_MS: { meaning: 'how long an Idempotency-Key whose request never answered stays held', default: '300000' },
  LEADGATE_DELIVERY_LEASE_MARGIN_MS: { meaning: "a dialer call's claim outlives its process (killed mid-call) by twice the destination's timeoutMs plus this", default: '30000' },
  LEADGATE_PROCESSES: {
    meaning: "server processes sharing the port, or 'auto' (one per core); more than 1 needs DATABASE_URL, and LEADGATE_MAX_CONCURRENCY is divided among the processes",
    default: '1',
  },
  LOG_LEVEL: { meaning: 'pino level: fatal, error, warn, info, debug, trace or silent', default: 'info' },
};

/** The Environment section of `leadgate serve --help`. */
export function environmentHelp(): string {
  const names = Object.keys(SETTINGS) as Array<keyof Env>;
  const width = Math.max(...names.map((name) => name.length));
  // commander's own item layout, so the section wraps and aligns like the Options above it
  const help = new Help();
  const lines = names.map((name) => help.formatItem(name, width, `${SETTINGS[name].meaning} (default: ${SETTINGS[name].default})`, help));
  return `\nEnvironment:\n${lines.join('\n')}`;
}
