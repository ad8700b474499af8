import { createHash } from 'node:crypto';
import { isRecord } from './read-rows.js';

/** What a row asks for (SPEC 2.4): absent or blank njAction is ADD; anything unknown is left to the injector (204). */
export type RowAction = 'ADD' | 'MODIFY' | 'REALLOCATE' | 'OTHER';

/** The prefix of the external ids leadgate inject gives ADD rows that have none. */
export const DERIVED_ID_PREFIX = 'row:';

export interface PreparedRow {
  action: RowAction;
  /** the row as sent: the input row, plus a derived njExternalLeadId on an ADD row without one */
  send: unknown;
  derivedId?: string;
}

/** The row's own key for a system field, matched case-insensitively like the pipeline does. */
function keyOf(row: Record<string, unknown>, lowerName: string): string | undefined {
  return Object.keys(row).find((k) => k.toLowerCase() === lowerName);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function actionOf(row: unknown): RowAction {
  if (!isRecord(row)) return 'ADD';
  const key = keyOf(row, 'njaction');
  const value = key === undefined ? '' : text(row[key]).trim().toUpperCase();
  if (value === '' || value === 'ADD') return 'ADD';
  if (value === 'MODIFY' || value === 'REALLOCATE') return value;
  return 'OTHER';
}

/** The row's fields sorted by name, as JSON: the same row gives the same text whatever its column order. */
export function canonicalJson(row: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k] ?? null]));
}

/** `row:` and the first 24 hex digits of the SHA-256 of the row's canonical JSON. */
export function derivedExternalId(row: Record<string, unknown>): string {
  return DERIVED_ID_PREFIX + createHash('sha256').update(canonicalJson(row)).digest('hex').slice(0, 24);
}

/**
 * Gives an ADD row without an external id one derived from its content, so running the same file
 * again is recognised by the store (112) instead of creating the lead twice.
 */
export function prepareRow(value: unknown): PreparedRow {
  const action = actionOf(value);
  if (action !== 'ADD' || !isRecord(value)) return { action, send: value };
  const key = keyOf(value, 'njexternalleadid');
  if (key !== undefined && text(value[key]).trim() !== '') return { action, send: value };
  const derivedId = derivedExternalId(value);
  return { action, send: { ...value, [key ?? 'njExternalLeadId']: derivedId }, derivedId };
}
