import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { RULE_FILE_PATTERN, ruleFilesFrom, type RuleFile } from './rule-file.js';

/** Reads every rule file of a folder (top level and one level of sub-folders), sorted by path. */
export async function readRulesDir(dir: string): Promise<RuleFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts: Array<[string, string]> = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    // Checked here too, so files the loader ignores are never read.
    if (!RULE_FILE_PATTERN.test(path)) continue;
    texts.push([path, await readFile(full, 'utf8')]);
  }
  return ruleFilesFrom(texts);
}
