import pino, { type Logger } from 'pino';
import { REDACTED_PATHS, REDACTION_CENSOR } from '../lib/log-redaction.js';

/**
 * The Node logger: pino, JSON lines on stdout, secrets blanked at the shared paths. `bindings` go
 * on every line (with several server processes: which process wrote it).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'leadgate', ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: REDACTION_CENSOR },
    },
    destination,
  );
}
