/** Compiles `duplicate-check.yaml` once per rules load: schema, JSONPath keys and regexes. */
import { compileJsonPath, type CompiledPath } from '../jsonpath/compile.js';
import { zodErrorToRuleErrors, type RuleError } from '../rule-error.js';
import { normalizedText, numberOf, type Condition } from './match.js';
import { compileSafeRegex } from './safe-regex.js';
import { duplicateCheckSchema, type DuplicateCheckRow, type EntryPoint, type Op, type Outcome } from './schema.js';

export interface CompiledRow {
  index: number;
  key: string;
  op: Op;
  path: CompiledPath;
  condition: Condition;
  outcome: Outcome;
}

export interface CompiledTable {
  enabled: boolean;
  connect: string;
  appliesTo: readonly EntryPoint[];
  rows: readonly CompiledRow[];
  noMatch: Outcome;
  onError: Outcome | { reject: true };
}

export type CompileDuplicateCheckResult = { ok: true; table: CompiledTable } | { ok: false; errors: RuleError[] };

/**
 * Every problem of the file is reported at once: schema errors, and the keys and regexes of
 * every row whose `key` or regex `value` is a string, even when other parts are invalid.
 */
export function compileDuplicateCheck(raw: unknown, file: string): CompileDuplicateCheckResult {
  const parsed = duplicateCheckSchema.safeParse(raw);
  const errors = parsed.success ? [] : zodErrorToRuleErrors(file, parsed.error);
  const paths: CompiledPath[] = [];
  const regexes: RegExp[] = [];
  rawRows(raw).forEach((row, i) => {
    if (typeof row.key === 'string') {
      const compiled = compileJsonPath(row.key);
      if (compiled.ok) paths[i] = compiled.path;
      else errors.push({ file, path: `rows[${i}].key`, message: `JSONPath ${JSON.stringify(row.key)}: ${compiled.message}` });
    }
    if (row.op === 'regex' && typeof row.value === 'string' && row.value.length > 0) {
      const compiled = compileSafeRegex(row.value);
      if (compiled.ok) regexes[i] = compiled.regex;
      else errors.push({ file, path: `rows[${i}].value`, message: compiled.message });
    }
  });
  if (!parsed.success || errors.length > 0) return { ok: false, errors };

  const { data } = parsed;
  return {
    ok: true,
    table: {
      enabled: data.enabled,
      connect: data.connect,
      appliesTo: data.appliesTo,
      rows: data.rows.map((row, index) => ({
        index,
        key: row.key,
        op: row.op,
        path: paths[index]!,
        condition: condition(row, regexes[index]),
        outcome: outcomeOf(row),
      })),
      noMatch: data.noMatch,
      onError: data.onError,
    },
  };
}

function rawRows(raw: unknown): Record<string, unknown>[] {
  const rows = typeof raw === 'object' && raw !== null ? (raw as { rows?: unknown }).rows : undefined;
  if (!Array.isArray(rows)) return [];
  return rows.map((row: unknown) => (typeof row === 'object' && row !== null ? (row as Record<string, unknown>) : {}));
}

/** The schema has checked that `value` has the shape `op` needs (`valueProblem`); `regex` is compiled for op regex. */
export function condition(row: Pick<DuplicateCheckRow, 'op' | 'value'>, regex: RegExp | undefined): Condition {
  const { op, value } = row;
  switch (op) {
    case 'exists':
    case 'notExists':
      return { op };
    case 'in':
      return { op, texts: new Set((value as string[]).map(normalizedText)) };
    case 'regex':
      return { op, regex: regex! };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { op, number: numberOf(value)! };
    case 'equals':
    case 'notEquals':
    case 'contains':
      return { op, text: normalizedText(value as string) };
  }
}

function outcomeOf(row: DuplicateCheckRow): Outcome {
  return { createLead: row.createLead, status: row.status, addToDnc: row.addToDnc, success: row.success, reason: row.reason };
}
