/**
 * How a row's `op` and `value` test the values found at its key (SPEC 3.3).
 *
 * - A found value's text: a string as it is, a number or boolean as its JSON text (`1.5`,
 *   `true`), null as `null`. Objects and arrays have no text: `equals`, `in`, `contains` and
 *   `regex` never match them and `notEquals` counts them as "not equal"; `exists` counts them as
 *   present. Texts are trimmed and compared case-insensitively.
 * - A row value's text is built the same way, so `value: 1.50` (a YAML number) equals JSON `1.5`
 *   but `value: "1.50"` (a string) does not.
 * - `gt`/`gte`/`lt`/`lte` see a JSON number, or a string that is a plain decimal number after
 *   trimming (`"5"`, `"-1.25"`, `"007"`; not `"1e3"`, `"0x10"`, `"5 kg"`, `""`), because CRMs
 *   often send numbers as strings; booleans, null, other strings, objects and arrays never match.
 * - `notEquals` and `notExists` match when no value matches, so both match an empty nodelist.
 */
import { SUBJECT_CAP } from './safe-regex.js';
import { DECIMAL, type RowValue } from './schema.js';

export type Condition =
  | { op: 'exists' | 'notExists' }
  | { op: 'equals' | 'notEquals' | 'contains'; text: string }
  | { op: 'in'; texts: ReadonlySet<string> }
  | { op: 'regex'; regex: RegExp }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; number: number };

export function textOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? 'null' : undefined;
  }
}

export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return DECIMAL.test(text) ? Number(text) : undefined;
}

/** The comparable form of a row value: trimmed, lower case. */
export function normalizedText(value: RowValue): string {
  return textOf(value)!.trim().toLowerCase();
}

function normalizedTextOf(value: unknown): string | undefined {
  return textOf(value)?.trim().toLowerCase();
}

export function matches(condition: Condition, values: readonly unknown[]): boolean {
  switch (condition.op) {
    case 'exists':
      return values.length > 0;
    case 'notExists':
      return values.length === 0;
    case 'notEquals':
      return !anyMatches(condition, values);
    default:
      return anyMatches(condition, values);
  }
}

function anyMatches(condition: Condition, values: readonly unknown[]): boolean {
  for (const value of values) if (valueMatches(condition, value)) return true;
  return false;
}

function valueMatches(condition: Condition, value: unknown): boolean {
  switch (condition.op) {
    case 'equals':
    case 'notEquals':
      return normalizedTextOf(value) === condition.text;
    case 'in': {
      const text = normalizedTextOf(value);
      return text !== undefined && condition.texts.has(text);
    }
    case 'contains':
      return normalizedTextOf(value)?.includes(condition.text) === true;
    case 'regex': {
      const text = textOf(value);
      // The cap is what makes the load-time work bound in safe-regex.ts hold.
      return text !== undefined && condition.regex.test(text.trim().slice(0, SUBJECT_CAP));
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = numberOf(value);
      return n !== undefined && compareNumber(condition.op, n, condition.number);
    }
    case 'exists':
    case 'notExists':
      return true;
  }
}

function compareNumber(op: 'gt' | 'gte' | 'lt' | 'lte', n: number, limit: number): boolean {
  switch (op) {
    case 'gt':
      return n > limit;
    case 'gte':
      return n >= limit;
    case 'lt':
      return n < limit;
    case 'lte':
      return n <= limit;
  }
}
