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

const byLowerCase = new Map<string, SystemField>(SYSTEM_FIELDS.map((name) => [name.toLowerCase(), name]));

export type FieldName = { kind: 'system'; name: SystemField } | { kind: 'unknownSystem' } | { kind: 'plain' };

export function classifyFieldName(name: string): FieldName {
  const lower = name.toLowerCase();
  const system = byLowerCase.get(lower);
  if (system) return { kind: 'system', name: system };
  return lower.startsWith('nj') ? { kind: 'unknownSystem' } : { kind: 'plain' };
}
