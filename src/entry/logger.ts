import pino, { type Logger } from 'pino';

/** Paths pino blanks in every line, wherever a secret could be attached to a log object. */
export const REDACTED_PATHS = [
  'apiKey',
  'auth_token',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  '*.apiKey',
  '*.auth_token',
  '*.authorization',
  '*.secret',
  '*.secrets',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'leadgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    },
    destination,
  );
}
