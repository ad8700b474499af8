import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { RuleError } from './rule-error.js';

/** One file of a rules folder, by its path relative to the folder (`connects/acme.yaml`). */
export interface RuleFile {
  path: string;
  text: string;
}

export function ruleFileEtag(file: RuleFile): string {
  return createHash('sha256').update(file.text).digest('hex');
}

export const RULE_FILE_PATTERN = /^(?:[a-z0-9][a-z0-9_-]*\/)?[a-z0-9][a-z0-9_.-]*\.(?:ya?ml|json)$/i;

/**
 * The rule files of a folder given as path → text (paths relative to the folder, `/`-separated):
 * only names the loader reads, sorted by path. The Node folder reader and the Workers bundle both
 * go through this, so both runtimes compile exactly the same list.
 */
export function ruleFilesFrom(texts: Iterable<readonly [path: string, text: string]>): RuleFile[] {
  const files: RuleFile[] = [];
  for (const [path, text] of texts) if (RULE_FILE_PATTERN.test(path)) files.push({ path, text });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Parses YAML (JSON is YAML too); syntax errors name the line and column. */
export function parseRuleFile(file: RuleFile): { ok: true; data: unknown } | { ok: false; errors: RuleError[] } {
  const doc = parseDocument(file.text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        file: file.path,
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) };
}
