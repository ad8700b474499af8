/** Paths blanked in every log line, wherever a secret could be attached to a log object. */
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

export const REDACTION_CENSOR = '[REDACTED]';
