import type { z } from 'zod';

/** One problem in a rules folder: which file, where inside it, and what is wrong. */
export interface RuleError {
  file: string;
  path: string;
  message: string;
}

export function formatRuleErrors(errors: readonly RuleError[]): string {
  return errors.map((e) => `${e.file}${e.path ? ` at ${e.path}` : ''}: ${e.message}`).join('\n');
}

/** Renders a zod issue path as `templates[0].phoneFields[1]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function zodErrorToRuleErrors(file: string, error: z.ZodError, prefix = ''): RuleError[] {
  return error.issues.map((issue) => {
    const inner = formatIssuePath(issue.path);
    const path = prefix && inner ? `${prefix}.${inner}` : prefix || inner;
    return { file, path, message: issue.message };
  });
}

/** Thrown only at start-up or by the CLI; at run time a failed load is a value. */
export class RuleLoadError extends Error {
  constructor(readonly errors: readonly RuleError[]) {
    super(`rules failed to load:\n${formatRuleErrors(errors)}`);
    this.name = 'RuleLoadError';
  }
}
