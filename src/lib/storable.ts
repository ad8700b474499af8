/** Text PostgreSQL cannot hold: U+0000 (text and jsonb) and unpaired UTF-16 surrogates (jsonb). */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const NUL = /\u0000/g;

export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/** The text with U+0000 and lone surrogates replaced by U+FFFD, so it can be recorded. */
export function storableText(text: string): string {
  return text.toWellFormed().replace(NUL, '\ufffd');
}

const TOO_DEEP = '[nested too deep]';

/**
 * A copy of a JSON value that PostgreSQL can store and JSON.stringify can serialise: strings
 * made storable, structures below `maxDepth` replaced by a marker (CRM answers are untrusted and
 * may be nested thousands of levels deep).
 */
export function storableJson(value: unknown, maxDepth = 32): unknown {
  if (typeof value === 'string') return storableText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (maxDepth <= 0) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => storableJson(v, maxDepth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v, maxDepth - 1);
  return out;
}
