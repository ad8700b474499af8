import { compileDialer, type Dialer } from './dialer.js';
import type { RuleError } from './rule-error.js';
import { parseRuleFile, ruleFileEtag, type RuleFile } from './rule-file.js';

/** Everything the rules folder configures, compiled once per load and never mutated. */
export interface RuleSet {
  dialer: Dialer;
  files: ReadonlyArray<{ path: string; etag: string }>;
}

export type RuleSetResult = { ok: true; rules: RuleSet } | { ok: false; errors: RuleError[] };

const DIALER_FILES = ['dialer.yaml', 'dialer.yml', 'dialer.json'];

/**
 * Compiles a whole rules folder. Every file is checked and every error collected, so an admin
 * sees all problems of an edit at once; a set with any error is never partly used.
 */
export function compileRuleSet(files: readonly RuleFile[]): RuleSetResult {
  const errors: RuleError[] = [];
  const parsed = new Map<string, unknown>();
  for (const file of files) {
    const result = parseRuleFile(file);
    if (result.ok) parsed.set(file.path, result.data);
    else errors.push(...result.errors);
  }

  const dialerPaths = DIALER_FILES.filter((p) => files.some((f) => f.path === p));
  if (dialerPaths.length === 0) {
    errors.push({ file: 'dialer.yaml', path: '', message: 'missing: the rules folder needs a dialer.yaml' });
  } else if (dialerPaths.length > 1) {
    errors.push({ file: dialerPaths.join(', '), path: '', message: 'only one dialer file may exist' });
  }
  const dialerPath = dialerPaths[0];
  let dialer: Dialer | undefined;
  if (dialerPath && parsed.has(dialerPath)) {
    const compiled = compileDialer(parsed.get(dialerPath), dialerPath);
    if (compiled.ok) dialer = compiled.value;
    else errors.push(...compiled.errors);
  }

  if (errors.length > 0 || !dialer) return { ok: false, errors };
  return {
    ok: true,
    rules: { dialer, files: files.map((f) => ({ path: f.path, etag: ruleFileEtag(f) })) },
  };
}
