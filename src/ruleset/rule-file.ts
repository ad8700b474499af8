import { createHash } from 'node:crypto';
import { isMap, isScalar, isSeq, LineCounter, Parser, parseDocument, type Document } from 'yaml';
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

/** Deeper than any rule file needs, far shallower than what overflows the composer's stack. */
export const MAX_RULE_FILE_DEPTH = 64;

/**
 * How deeply the text nests collections, from yaml's concrete syntax tree: its parser keeps an
 * explicit stack, while the composer behind parseDocument recurses per level and, deep enough,
 * overflows the call stack (which has been seen to take the whole process down after it).
 */
function nestingDepth(text: string): number {
  let max = 0;
  // the parser reports syntax errors as tokens; parseDocument below names them
  for (const token of new Parser().parse(text)) {
    const stack: Array<[unknown, number]> = [[token, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (typeof node !== 'object' || node === null) continue;
      max = Math.max(max, depth);
      if (max > MAX_RULE_FILE_DEPTH) return max;
      const n = node as { type?: string; value?: unknown; items?: Array<{ key?: unknown; value?: unknown }> };
      if (n.type === 'document') stack.push([n.value, depth]);
      for (const item of n.items ?? []) stack.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return max;
}

/**
 * Keys that repeat within one mapping, each with where it repeats. yaml's own `uniqueKeys` check
 * compares every key with every other (a 20,000-key mapping took seconds); a set per map is linear.
 */
function duplicateKeys(doc: Document, lines: LineCounter): Array<{ key: string; line: number; col: number }> {
  const found: Array<{ key: string; line: number; col: number }> = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) stack.push(...node.items);
    if (!isMap(node)) continue;
    const seen = new Set<string>();
    for (const pair of node.items) {
      stack.push(pair.value);
      if (!isScalar(pair.key)) {
        stack.push(pair.key);
        continue;
      }
      // 1 and "1" are different keys, as they are to yaml
      const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
      if (seen.has(id)) found.push({ key: String(pair.key.value), ...lines.linePos(pair.key.range?.[0] ?? 0) });
      seen.add(id);
    }
  }
  return found.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Parses YAML (JSON is YAML too); syntax errors name the line and column. */
export function parseRuleFile(file: RuleFile): { ok: true; data: unknown } | { ok: false; errors: RuleError[] } {
  if (nestingDepth(file.text) > MAX_RULE_FILE_DEPTH) {
    return { ok: false, errors: [{ file: file.path, path: '', message: `collections are nested more than ${MAX_RULE_FILE_DEPTH} levels deep` }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(file.text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
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
  const duplicates = duplicateKeys(doc, lines);
  if (duplicates.length > 0) {
    return {
      ok: false,
      errors: duplicates.map((d) => ({ file: file.path, path: `line ${d.line}, column ${d.col}`, message: `Map keys must be unique: '${d.key}' is given twice` })),
    };
  }
  return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) };
}

/**
 * `demo: true` at the top of any rule file marks it as part of the shipped demo (SPEC 3.2): it is
 * loaded only while LEADGATE_DEMO is on, and it may hold literal secrets. The key is taken off
 * before the file's own schema sees it, so every kind of file accepts it the same way.
 */
export function takeDemoFlag(data: unknown, file: string): { ok: true; data: unknown; demo: boolean } | { ok: false; errors: RuleError[] } {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !('demo' in data)) return { ok: true, data, demo: false };
  const { demo, ...rest } = data as Record<string, unknown>;
  if (typeof demo !== 'boolean') return { ok: false, errors: [{ file, path: 'demo', message: 'must be true or false' }] };
  return { ok: true, data: rest, demo };
}
