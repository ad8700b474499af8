import type { Logger as PinoLogger } from 'pino';

/**
 * The logging surface the app uses: pino's methods, so the Node entry passes a pino logger as is,
 * while the Workers entry passes a small console logger (src/entry/console-logger.ts) and never
 * bundles pino. A type-only import: nothing of pino reaches the Worker.
 */
export type Logger = Pick<PinoLogger, 'error' | 'warn' | 'info' | 'debug'> & {
  child(bindings: Record<string, unknown>): Logger;
};
