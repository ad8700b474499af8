import { createMutex } from '../lib/mutex.js';
import type { RuleError } from '../ruleset/rule-error.js';
import { ruleFileEtag, ruleFilesFrom, type RuleFile } from '../ruleset/rule-file.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import type { RulesFolder } from '../ruleset/rules-folder.js';
import type { ReloadResult } from '../ruleset/rules-reloader.js';

/**
 * `If-Match: "<etag>"[, ...]` replaces that version, `If-Match: *` replaces whatever version
 * exists, `If-None-Match: *` creates a file that must not exist yet (RFC 9110 13.1).
 */
export type WritePrecondition = { kind: 'ifMatch'; etags: readonly string[] | '*' } | { kind: 'ifNoneMatch' };

export type PutOutcome =
  | { kind: 'written'; created: boolean; before: string | null; etag: string }
  | { kind: 'stale'; current: string | null }
  | { kind: 'invalid'; errors: RuleError[] }
  /** written, but the folder as now on disk did not load (another file changed meanwhile) */
  | { kind: 'reloadFailed'; before: string | null; etag: string; errors: RuleError[] };

export interface RuleEditor {
  list(): Promise<Array<{ path: string; etag: string }>>;
  read(path: string): Promise<{ text: string; etag: string } | null>;
  /** every error the folder would have with this file's text in it; [] when it would load */
  validate(path: string, text: string): Promise<RuleError[]>;
  put(path: string, text: string, precondition: WritePrecondition): Promise<PutOutcome>;
}

export interface RuleEditorDeps {
  folder: RulesFolder;
  /** the reload the watcher uses: read the folder, compile, swap */
  reload: () => Promise<ReloadResult>;
  env?: Record<string, string | undefined>;
}

/** the folder's files with `path` holding `text`, listed as the loader lists them */
const withFile = (files: readonly RuleFile[], path: string, text: string): RuleFile[] =>
  ruleFilesFrom([...files.filter((f) => f.path !== path).map((f) => [f.path, f.text] as const), [path, text] as const]);

function satisfied(precondition: WritePrecondition, current: string | null): boolean {
  if (precondition.kind === 'ifNoneMatch') return current === null;
  if (precondition.etags === '*') return current !== null;
  return current !== null && precondition.etags.includes(current);
}

/**
 * Writes rule files the way the SPEC asks: only against the version the editor read, only when
 * the resulting folder loads, atomically, then reloaded. Writes are serialised in this process
 * and the ETag is compared inside the lock, so of two PUTs carrying one ETag exactly one wins.
 */
export function createRuleEditor(deps: RuleEditorDeps): RuleEditor {
  const mutex = createMutex();
  const validateAgainst = (files: readonly RuleFile[], path: string, text: string): RuleError[] => {
    const result = compileRuleSet(withFile(files, path, text), deps.env);
    return result.ok ? [] : result.errors;
  };

  return {
    async list() {
      return (await deps.folder.readAll()).map((f) => ({ path: f.path, etag: ruleFileEtag(f) }));
    },
    async read(path) {
      const text = await deps.folder.read(path);
      return text === null ? null : { text, etag: ruleFileEtag({ path, text }) };
    },
    async validate(path, text) {
      return validateAgainst(await deps.folder.readAll(), path, text);
    },
    put: (path, text, precondition) =>
      mutex.run(async (): Promise<PutOutcome> => {
        const files = await deps.folder.readAll();
        const currentText = await deps.folder.read(path);
        const current = currentText === null ? null : ruleFileEtag({ path, text: currentText });
        if (!satisfied(precondition, current)) return { kind: 'stale', current };
        const errors = validateAgainst(files, path, text);
        if (errors.length > 0) return { kind: 'invalid', errors };
        await deps.folder.write(path, text);
        const etag = ruleFileEtag({ path, text });
        const reloaded = await deps.reload();
        if (!reloaded.ok) return { kind: 'reloadFailed', before: current, etag, errors: reloaded.errors };
        return { kind: 'written', created: current === null, before: current, etag };
      }),
  };
}
