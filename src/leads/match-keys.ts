import { scalarText, type LeadFields, type Scalar } from './scalar.js';

/** The key whose claims live in phone_claims: any of the template's phone fields, in E.164. */
export const PHONE_KEY = 'phone';

/** A de-duplication match key (SPEC 3.1 `on`): one field, or several that must all match. */
export interface MatchKey {
  /** the fields joined by `+`, as answered in `matchedOn` (`email`, `firstName+lastName+phone`) */
  name: string;
  fields: readonly string[];
}

/** One normalised value a lead claims for a match key other than the plain phone key. */
export interface KeyClaim {
  key: string;
  value: string;
}

export function matchKey(fields: string | readonly string[]): MatchKey {
  const list = typeof fields === 'string' ? [fields] : [...fields];
  return { name: list.join('+'), fields: list };
}

/** Separates the fields of a composite key's value: a control character no form sends. */
const SEPARATOR = '\u001f';

/**
 * A field's value as keys compare it: `email` trimmed and lower-cased; every other field (names)
 * trimmed, Unicode-normalised (NFKC) and case-folded (upper- then lower-casing folds `ß` to `ss`
 * and final sigma to sigma, which lower-casing alone does not). Empty: the field cannot match.
 */
export function normaliseKeyValue(field: string, value: Scalar | undefined): string {
  const text = scalarText(value).trim();
  if (text === '') return '';
  if (field.toLowerCase() === 'email') return text.toLowerCase();
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').trim();
}

/**
 * The claims a lead makes for `keys` other than the plain phone key (whose claims are the lead's
 * phones themselves). A key with an empty field claims nothing; a key that includes `phone`
 * claims one value per phone number of the lead.
 */
export function keyClaims(keys: readonly MatchKey[], fields: LeadFields, phones: readonly string[]): KeyClaim[] {
  const claims: KeyClaim[] = [];
  for (const key of keys) {
    if (key.name === PHONE_KEY) continue;
    const parts = key.fields.map((field) => (field === PHONE_KEY ? [...phones] : [normaliseKeyValue(field, fields[field])].filter((v) => v !== '')));
    if (parts.some((p) => p.length === 0)) continue;
    let values: string[] = [];
    parts.forEach((options, i) => {
      values = i === 0 ? options : values.flatMap((prefix) => options.map((part) => `${prefix}${SEPARATOR}${part}`));
    });
    for (const value of new Set(values)) claims.push({ key: key.name, value });
  }
  return claims;
}
