import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { RULE_FILE_PATTERN, type RuleFile } from './rule-file.js';

/** Reads every rule file of a folder (top level and one level of sub-folders), sorted by path. */
export async function readRulesDir(dir: string): Promise<RuleFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: RuleFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    if (!RULE_FILE_PATTERN.test(path)) continue;
    files.push({ path, text: await readFile(full, 'utf8') });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
