/** A lead field value as callers may send it (SPEC 2: anything else is a 204). */
export type Scalar = string | number | boolean | null;

/** Flat key/value lead record, as received or as stored. */
export type LeadFields = Record<string, Scalar>;

export function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The text form of a field value: what phone parsing, matching and CRM mapping see. */
export function scalarText(value: Scalar | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value);
}
