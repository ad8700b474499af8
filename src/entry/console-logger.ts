import type { Logger } from '../lib/logger.js';
import { REDACTED_PATHS, REDACTION_CENSOR } from '../lib/log-redaction.js';

/**
 * The Workers logger: one JSON line per call through `console`, which Workers Logs and
 * `wrangler tail` pick up as structured events. pino is not used there: its Node build brings
 * worker-thread transports and sonic-boom (node:fs, node:worker_threads), and its browser build
 * has no redaction. Lines carry the same fields as pino's (level name, ISO time, service,
 * bindings, msg) and blank the same secret paths.
 */

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LogLevel = keyof typeof LEVELS;

export interface ConsoleSink {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.cause !== undefined) out.cause = error.cause instanceof Error ? serializeError(error.cause) : error.cause;
  return out;
}

/** Copies only along the redacted paths, so the caller's objects are never changed. */
function redactPath(value: unknown, parts: readonly string[]): unknown {
  if (parts.length === 0 || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const [head, ...rest] = parts as [string, ...string[]];
  const source = value as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(source) : Object.hasOwn(source, head) ? [head] : [];
  if (keys.length === 0) return value;
  const copy: Record<string, unknown> = { ...source };
  for (const key of keys) copy[key] = rest.length === 0 ? REDACTION_CENSOR : redactPath(source[key], rest);
  return copy;
}

const SPLIT_PATHS = REDACTED_PATHS.map((p) => p.split('.'));

export function redactLogObject(fields: Record<string, unknown>): Record<string, unknown> {
  let out: unknown = fields;
  for (const parts of SPLIT_PATHS) out = redactPath(out, parts);
  return out as Record<string, unknown>;
}

function stringify(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) return serializeError(value);
      return value;
    });
  } catch {
    return JSON.stringify({ level: line.level, time: line.time, msg: line.msg, logError: 'unserialisable log fields' });
  }
}

export function createConsoleLogger(level: LogLevel, options: { sink?: ConsoleSink; now?: () => Date; bindings?: Record<string, unknown> } = {}): Logger {
  const sink = options.sink ?? console;
  const now = options.now ?? (() => new Date());
  const threshold = LEVELS[level];
  const bindings = { service: 'leadgate', ...options.bindings };

  const method = (name: Exclude<LogLevel, 'silent'>) => {
    const value = LEVELS[name];
    return (first: unknown, msg?: string): void => {
      if (value < threshold) return;
      const fields = typeof first === 'object' && first !== null ? (first instanceof Error ? { err: first } : (first as Record<string, unknown>)) : {};
      const text = typeof first === 'string' ? first : msg;
      const line = redactLogObject({ level: name, time: now().toISOString(), ...bindings, ...fields, ...(text === undefined ? {} : { msg: text }) });
      const out = stringify(line);
      if (value >= LEVELS.error) sink.error(out);
      else if (value >= LEVELS.warn) sink.warn(out);
      else sink.log(out);
    };
  };

  return {
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
    child: (more) => createConsoleLogger(level, { sink, now, bindings: { ...bindings, ...more } }),
  };
}
