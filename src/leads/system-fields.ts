/** The `nj*` system fields (SPEC 2), matched case-insensitively (`NjAction` in the seed). */
export const SYSTEM_FIELDS = [
  'njExternalLeadId',
  'njCallBackDate',
  'njPriority',
  'njContactHours',
  'njDisposition',
  'njAction',
  'njAllocationName',
] as const;

export type SystemField = (typeof SYSTEM_FIELDS)[number];

export type FieldName = { kind: 'system'; name: SystemField } | { kind: 'unknownSystem' } | { kind: 'plain' };

// one answer object per kind, shared: every field of every lead is classified
const byLowerCase = new Map<string, FieldName>(SYSTEM_FIELDS.map((name) => [name.toLowerCase(), Object.freeze({ kind: 'system', name })]));
const UNKNOWN_SYSTEM: FieldName = Object.freeze({ kind: 'unknownSystem' });
const PLAIN: FieldName = Object.freeze({ kind: 'plain' });

export function classifyFieldName(name: string): FieldName {
  const lower = name.toLowerCase();
  return byLowerCase.get(lower) ?? (lower.startsWith('nj') ? UNKNOWN_SYSTEM : PLAIN);
}
