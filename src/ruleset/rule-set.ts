import { compileConnect, connectNameFromFile, type CompiledConnect } from '../crm/compile-connect.js';
import type { CompiledDestination } from '../forward/ports.js';
import { compileDestination } from './destinations/compile.js';
import { compileDialer, type Dialer } from './dialer.js';
import { compileDuplicateCheck, type CompiledTable } from './duplicate-check/compile.js';
import type { RuleError } from './rule-error.js';
import { parseRuleFile, ruleFileEtag, takeDemoFlag, type RuleFile } from './rule-file.js';
import { envSchema } from '../config/env.js';
import { compileSource, type CompiledSource } from './sources.js';

/** Everything the rules folder configures, compiled once per load and never mutated. */
export interface RuleSet {
  dialer: Dialer;
  connects: ReadonlyMap<string, CompiledConnect>;
  /** the External API Data Validation table; absent when the folder has no duplicate-check file */
  duplicateCheck?: CompiledTable;
  /** inbound webhook sources by name (`sources/<name>.yaml`) */
  sources: ReadonlyMap<string, CompiledSource>;
  /** where created leads are forwarded, by name (`destinations/<name>.yaml`, SPEC 10) */
  destinations: ReadonlyMap<string, CompiledDestination>;
  files: ReadonlyArray<{ path: string; etag: string }>;
  /** files marked `demo: true`: loaded (demo on) or left out (demo off) */
  demoFiles: { loaded: readonly string[]; skipped: readonly string[] };
}

export type RuleSetResult = { ok: true; rules: RuleSet } | { ok: false; errors: RuleError[] };

const DIALER_FILES = ['dialer.yaml', 'dialer.yml', 'dialer.json'];
const DUPLICATE_CHECK_FILES = ['duplicate-check.yaml', 'duplicate-check.yml', 'duplicate-check.json'];
const CONNECT_FILE = /^connects\/[^/]+$/;
const SOURCE_FILE = /^sources\/[^/]+$/;
const DESTINATION_FILE = /^destinations\/[^/]+$/;

/** The one file of a kind that may exist under several extensions. */
function single(files: readonly RuleFile[], names: string[], errors: RuleError[]): string | undefined {
  const present = names.filter((p) => files.some((f) => f.path === p));
  if (present.length > 1) errors.push({ file: present.join(', '), path: '', message: 'only one of these files may exist' });
  return present[0];
}

/** Whether the demo is on, read as the entries read LEADGATE_DEMO. */
export function demoEnabled(env: Record<string, string | undefined>): boolean {
  return envSchema.shape.LEADGATE_DEMO.parse(env.LEADGATE_DEMO === '' ? undefined : env.LEADGATE_DEMO);
}

/** `missing` names a file that is there but was left out as a demo file: say so, not just "missing". */
function demoHint(path: string, skipped: readonly string[]): string {
  return skipped.includes(path) ? ` (${path} is marked demo: true and is loaded only while LEADGATE_DEMO is on)` : '';
}

/**
 * Compiles a whole rules folder. Every file is checked and every error collected, so an admin
 * sees all problems of an edit at once; a set with any error is never partly used.
 * `env` resolves `${env:NAME}` secrets and says whether the demo is on (LEADGATE_DEMO).
 */
export function compileRuleSet(allFiles: readonly RuleFile[], env: Record<string, string | undefined> = {}): RuleSetResult {
  const errors: RuleError[] = [];
  const parsed = new Map<string, unknown>();
  const demoFiles = new Set<string>();
  const skipped: string[] = [];
  const demo = demoEnabled(env);
  for (const file of allFiles) {
    const result = parseRuleFile(file);
    const flagged = result.ok ? takeDemoFlag(result.data, file.path) : result;
    if (!flagged.ok) {
      errors.push(...flagged.errors);
      continue;
    }
    if (flagged.demo && !demo) {
      skipped.push(file.path);
      continue;
    }
    if (flagged.demo) demoFiles.add(file.path);
    parsed.set(file.path, flagged.data);
  }
  const files = allFiles.filter((f) => !skipped.includes(f.path));

  const dialerPath = single(files, DIALER_FILES, errors);
  if (!dialerPath) {
    const hint = DIALER_FILES.map((p) => demoHint(p, skipped)).join('');
    errors.push({ file: 'dialer.yaml', path: '', message: `missing: the rules folder needs a dialer.yaml${hint}` });
  }
  let dialer: Dialer | undefined;
  if (dialerPath && parsed.has(dialerPath)) {
    const compiled = compileDialer(parsed.get(dialerPath), dialerPath);
    if (compiled.ok) dialer = compiled.value;
    else errors.push(...compiled.errors);
  }

  const connects = new Map<string, CompiledConnect>();
  for (const file of files.filter((f) => CONNECT_FILE.test(f.path) && parsed.has(f.path))) {
    const compiled = compileConnect(parsed.get(file.path), file.path, env, demoFiles.has(file.path));
    if (!compiled.ok) errors.push(...compiled.errors);
    else if (connects.has(compiled.connect.name)) errors.push({ file: file.path, path: '', message: `a connect named '${compiled.connect.name}' already exists` });
    else connects.set(connectNameFromFile(file.path), compiled.connect);
  }

  let duplicateCheck: CompiledTable | undefined;
  const tablePath = single(files, DUPLICATE_CHECK_FILES, errors);
  if (tablePath && parsed.has(tablePath)) {
    const compiled = compileDuplicateCheck(parsed.get(tablePath), tablePath);
    if (!compiled.ok) errors.push(...compiled.errors);
    else {
      duplicateCheck = compiled.table;
      const connectFile = files.some((f) => f.path.startsWith(`connects/${compiled.table.connect}.`));
      if (!connects.has(compiled.table.connect) && !connectFile) {
        const expected = `connects/${compiled.table.connect}.yaml`;
        errors.push({ file: tablePath, path: 'connect', message: `names no connect: expected ${expected}${demoHint(expected, skipped)}` });
      }
    }
  }

  const sources = new Map<string, CompiledSource>();
  for (const file of files.filter((f) => SOURCE_FILE.test(f.path) && parsed.has(f.path))) {
    const compiled = compileSource(parsed.get(file.path), file.path, env, dialer, demoFiles.has(file.path));
    if (!compiled.ok) errors.push(...compiled.errors);
    else if (sources.has(compiled.source.name)) errors.push({ file: file.path, path: '', message: `a source named '${compiled.source.name}' already exists` });
    else sources.set(compiled.source.name, compiled.source);
  }

  const destinations = new Map<string, CompiledDestination>();
  for (const file of files.filter((f) => DESTINATION_FILE.test(f.path) && parsed.has(f.path))) {
    const compiled = compileDestination(parsed.get(file.path), file.path, env, dialer, demoFiles.has(file.path));
    if (!compiled.ok) errors.push(...compiled.errors);
    else if (destinations.has(compiled.destination.name)) errors.push({ file: file.path, path: '', message: `a destination named '${compiled.destination.name}' already exists` });
    else destinations.set(compiled.destination.name, compiled.destination);
  }

  if (dialer) {
    for (const [templateIndex, template] of [...dialer.templates.values()].entries()) {
      [...template.dispositions.values()].forEach((disposition, i) =>
        disposition.actions.forEach((action, k) => {
          if (typeof action === 'object' && 'webhook' in action && !connects.has(action.webhook)) {
            errors.push({
              file: dialerPath!,
              path: `templates[${templateIndex}].dispositions[${i}].actions[${k}].webhook`,
              message: `names no connect: expected connects/${action.webhook}.yaml${demoHint(`connects/${action.webhook}.yaml`, skipped)}`,
            });
          }
        }),
      );
    }
  }

  if (errors.length > 0 || !dialer) return { ok: false, errors };
  return {
    ok: true,
    rules: {
      dialer,
      connects,
      duplicateCheck,
      sources,
      destinations,
      files: files.map((f) => ({ path: f.path, etag: ruleFileEtag(f) })),
      demoFiles: { loaded: [...demoFiles], skipped },
    },
  };
}
