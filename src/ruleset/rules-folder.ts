import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { RuleFile } from './rule-file.js';
import { RulePathRefused } from './rule-path.js';
import { readRulesDir } from './read-rules-dir.js';

/** The rules folder as the admin API edits it. Paths are already checked by `checkRulePath`. */
export interface RulesFolder {
  readAll(): Promise<RuleFile[]>;
  /** null when the file does not exist */
  read(path: string): Promise<string | null>;
  /** atomic: readers (and the watcher) see the old file or the new one, never a half-written one */
  write(path: string, text: string): Promise<void>;
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * Node's file system. Symbolic links are refused, not followed: the loader ignores them too, and
 * following one could read or replace a file outside the folder.
 */
export function nodeRulesFolder(dir: string): RulesFolder {
  /** the file's absolute location, after checking that nothing on the way is a link */
  async function locate(path: string, createFolder: boolean): Promise<string | null> {
    const root = await realpath(dir);
    const full = join(root, path);
    const parent = dirname(full);
    if (parent !== root) {
      const folder = await lstatOrNull(parent);
      if (folder === null) {
        if (!createFolder) return null;
        await mkdir(parent);
      } else if (folder.isSymbolicLink()) throw new RulePathRefused(`${dirname(path)} is a symbolic link; links are not edited through the admin API`);
      else if (!folder.isDirectory()) throw new RulePathRefused(`${dirname(path)} is not a folder`);
      const real = await realpath(parent);
      if (real !== root && !real.startsWith(root + sep)) throw new RulePathRefused('the path leaves the rules folder');
    }
    const file = await lstatOrNull(full);
    if (file?.isSymbolicLink()) throw new RulePathRefused(`${path} is a symbolic link; links are not edited through the admin API`);
    if (file && !file.isFile()) throw new RulePathRefused(`${path} is not a plain file`);
    return full;
  }

  return {
    readAll: () => readRulesDir(dir),
    async read(path) {
      const full = await locate(path, false);
      if (full === null) return null;
      try {
        return await readFile(full, 'utf8');
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async write(path, text) {
      const full = (await locate(path, true))!;
      // A dot name ending in .tmp is no rule file, so neither the loader nor the watcher's reload picks it up.
      const temp = join(dirname(full), `.${basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        const handle = await open(temp, 'wx', 0o644);
        try {
          await handle.writeFile(text, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, full);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
  };
}
