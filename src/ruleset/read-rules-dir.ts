import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { RULE_FILE_PATTERN, ruleFilesFrom, type RuleFile } from './rule-file.js';

const isGone = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/** `target` (a real path) lies inside `root` (a real path); `..2026_a/x` is inside, `../x` is not */
function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Where `path` really is, if that is inside `root`; null for a link that leaves the folder or
 * leads nowhere, and for an entry that vanished since it was listed.
 */
async function resolveInside(root: string, path: string): Promise<{ real: string; isFile: boolean; isDirectory: boolean } | null> {
  try {
    const real = await realpath(path);
    if (!isInside(root, real)) return null;
    const info = await stat(real);
    return { real, isFile: info.isFile(), isDirectory: info.isDirectory() };
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

/**
 * The text of a rule file, or null when it vanished. Read at the checked real path; if that went
 * away meanwhile (a ConfigMap swap removes the old `..2026_…` folder), resolved once more, so a
 * read during a swap gets the new file rather than failing.
 */
async function readInside(root: string, path: string): Promise<string | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await resolveInside(root, path);
    if (!found?.isFile) return null;
    try {
      return await readFile(found.real, 'utf8');
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
  return null;
}

/**
 * Reads every rule file of a folder (top level and one level of sub-folders), sorted by path.
 *
 * Symbolic links are followed only when they resolve inside the folder. That is the layout of a
 * Kubernetes ConfigMap volume (`dialer.yaml -> ..data/dialer.yaml`, `..data -> ..2026_…`, and
 * `connects -> ..data/connects` for keys mapped into a sub-folder), while a link to a file
 * elsewhere on the machine can never pull that file into the rules, their errors or the admin
 * API's listing. A file deleted between listing and reading is simply not there, as if the folder
 * had been read after the delete.
 */
export async function readRulesDir(dir: string): Promise<RuleFile[]> {
  const root = await realpath(dir);
  const texts: Array<[string, string]> = [];

  async function visit(folder: string | null): Promise<void> {
    let names: string[];
    try {
      names = await readdir(folder === null ? root : join(root, folder));
    } catch (error) {
      // a sub-folder removed since the top level was listed
      if (folder !== null && isGone(error)) return;
      throw error;
    }
    for (const name of names) {
      const path = folder === null ? name : `${folder}/${name}`;
      // Checked before anything is resolved, so files the loader ignores are never read.
      if (RULE_FILE_PATTERN.test(path)) {
        const text = await readInside(root, join(root, path));
        if (text !== null) texts.push([path, text]);
      } else if (folder === null && RULE_FILE_PATTERN.test(`${name}/x.yaml`)) {
        // only a folder whose files could be rule files (not `..data`, `.git`)
        const found = await resolveInside(root, join(root, path));
        if (found?.isDirectory) await visit(name);
      }
    }
  }

  await visit(null);
  return ruleFilesFrom(texts);
}
