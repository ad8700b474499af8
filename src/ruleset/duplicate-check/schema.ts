/** `duplicate-check.yaml` (SPEC 3.3): the External API Data Validation table. */
import { z } from 'zod';

export const ENTRY_POINTS = ['noojee', 'convoso', 'hooks'] as const;
export const OPS = ['equals', 'notEquals', 'in', 'contains', 'regex', 'exists', 'notExists', 'gt', 'gte', 'lt', 'lte'] as const;

export type EntryPoint = (typeof ENTRY_POINTS)[number];
export type Op = (typeof OPS)[number];

const SCALAR_MESSAGE = 'must be a string, number or boolean (write "null" in quotes to match a JSON null)';
/** A row `value` (one of the list for `op: in`). */
export type RowValue = string | number | boolean;

const outcomeFields = {
  createLead: z.boolean(),
  status: z.string().trim().min(1).optional(),
  addToDnc: z.boolean().default(false),
  success: z.boolean(),
  reason: z.string().optional(),
};

const outcomeSchema = z.object(outcomeFields).strict();

/** A plain decimal number such as `5`, `-1.25` or `007`: no exponent, sign `+`, or spaces inside. */
export const DECIMAL = /^-?\d+(?:\.\d+)?$/;

const rowSchema = z
  .object({
    key: z.string(),
    op: z.enum(OPS).default('equals'),
    value: z.unknown().optional(),
    ...outcomeFields,
  })
  .strict()
  .superRefine((row, ctx) => {
    const problem = valueProblem(row.op, row.value);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

/** Why `value` does not suit `op` (the shape SPEC 3.3 gives each op), or undefined when it does. */
export function valueProblem(op: Op, value: unknown): string | undefined {
  const isScalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  switch (op) {
    case 'exists':
    case 'notExists':
      return value === undefined ? undefined : `op ${op} takes no value`;
    case 'in':
      if (!Array.isArray(value) || value.length === 0) return 'op in needs a non-empty list of values';
      return value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        ? undefined
        : `every value of the list ${SCALAR_MESSAGE}`;
    case 'regex':
      return typeof value === 'string' && value.length > 0 ? undefined : 'op regex needs a pattern string';
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value === 'number' || (typeof value === 'string' && DECIMAL.test(value.trim()))) return undefined;
      return `op ${op} needs a number`;
    case 'contains':
      if (value === '') return 'op contains needs a non-empty value';
      return isScalar ? undefined : value === undefined ? `op ${op} needs a value` : `value ${SCALAR_MESSAGE}`;
    case 'equals':
    case 'notEquals':
      return isScalar ? undefined : value === undefined ? `op ${op} needs a value` : `value ${SCALAR_MESSAGE}`;
  }
}

/**
 * `onError` is an outcome or `{ reject: true }`; one object schema instead of a union so a
 * mistake is reported at its field, not as "invalid input" for the whole object.
 */
const onErrorSchema = z
  .object({
    reject: z.literal(true).optional(),
    createLead: z.boolean().optional(),
    status: outcomeFields.status,
    addToDnc: z.boolean().optional(),
    success: z.boolean().optional(),
    reason: outcomeFields.reason,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.reject) {
      for (const key of Object.keys(o)) {
        if (key !== 'reject') ctx.addIssue({ code: 'custom', path: [key], message: `not allowed with reject: true` });
      }
      return;
    }
    for (const key of ['createLead', 'success'] as const) {
      if (o[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'required: true or false (or use { reject: true })' });
      }
    }
  })
  .transform((o): Outcome | { reject: true } =>
    o.reject
      ? { reject: true }
      : {
          createLead: o.createLead!,
          status: o.status,
          addToDnc: o.addToDnc ?? false,
          success: o.success!,
          reason: o.reason,
        },
  );

export const duplicateCheckSchema = z
  .object({
    version: z.literal(1),
    enabled: z.boolean(),
    connect: z.string().trim().min(1),
    appliesTo: z.array(z.enum(ENTRY_POINTS)).default([...ENTRY_POINTS]),
    rows: z.array(rowSchema),
    noMatch: outcomeSchema,
    onError: onErrorSchema,
  })
  .strict();

export type DuplicateCheckFile = z.output<typeof duplicateCheckSchema>;
export type DuplicateCheckRow = DuplicateCheckFile['rows'][number];
/** What a row, `noMatch` or `onError` decides (SPEC 3.3 "Outcome"). */
export type Outcome = z.output<typeof outcomeSchema>;
