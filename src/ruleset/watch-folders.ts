import { lstatSync, readdirSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';

/**
 * How deep below the rules folder folders are watched: its sub-folders (1) and what ConfigMap
 * links point into (`..2026_…/connects`, 2). The loader reads nothing deeper.
 */
const MAX_DEPTH = 2;
/** A rules folder has a handful; past this many the periodic scan alone covers the rest. */
const MAX_FOLDERS = 200;

export interface FolderWatch {
  /** re-lists the folders and watches exactly those; run after events and by every scan */
  resync(): void;
  close(): void;
}

const isGone = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * The folders to watch by real path, each with its inode, so a folder replaced under the same
 * name (renamed over, or deleted and made again) is told apart from the one being watched.
 * `rootId` names the rules folder itself the same way; null when it does not exist.
 *
 * Synchronous on purpose: a handful of lstat/readdir calls on a small folder, and the watches are
 * in place when `watchFolders` returns, so an edit made right after start is never in a gap.
 */
function foldersToWatch(dir: string): { rootId: string | null; folders: Map<string, string> } {
  const folders = new Map<string, string>();
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (error) {
    if (isGone(error)) return { rootId: null, folders };
    throw error;
  }
  const visit = (path: string, depth: number): void => {
    if (folders.size >= MAX_FOLDERS) return;
    try {
      // lstat: links are not followed; a link inside the folder points inside, where the walk finds it
      const info = lstatSync(path);
      if (!info.isDirectory()) return;
      folders.set(path, `${info.dev}:${info.ino}`);
      if (depth === MAX_DEPTH) return;
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.isDirectory()) visit(join(path, entry.name), depth + 1);
      }
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  };
  visit(root, 0);
  const id = folders.get(root);
  return { rootId: id === undefined ? null : `${root}:${id}`, folders };
}

/**
 * File-system events for a rules folder, with no library: one non-recursive `fs.watch` per folder.
 * A directory watch (inotify on Linux) reports changes to the names inside it whatever inode they
 * stand for, so a file replaced by rename and then appended to in place is still seen; Node's
 * recursive watch on Linux follows the replaced file's old inode and goes quiet instead.
 *
 * Folders are re-listed after every event that adds, removes or renames a name, so new
 * sub-folders get watched and removed or replaced ones dropped. The rules folder's parent is
 * watched too, for the folder itself (or a link naming it) being replaced: its real path or inode
 * then changes and `onEvent` fires. Watchers are not persistent: they never keep the process alive.
 */
export function watchFolders(dir: string, onEvent: () => void, logger: Logger): FolderWatch {
  const watched = new Map<string, { watcher: FSWatcher; id: string }>();
  const parentPath = dirname(resolve(dir));
  const rootName = basename(resolve(dir));
  let parent: FSWatcher | undefined;
  let rootId: string | null | undefined;
  let closed = false;
  // each distinct problem is logged once, not on every resync
  let lastProblem: string | undefined;

  const problem = (event: string, error: unknown, path: string) => {
    const text = `${event}:${path}:${String(error)}`;
    if (text === lastProblem) return;
    lastProblem = text;
    logger.warn({ event, err: error, folder: path }, 'a rules folder could not be watched; the periodic scan still finds its edits');
  };

  const open = (path: string, listener: (type: string, name: string | null) => void, onError: () => void): FSWatcher | undefined => {
    try {
      const watcher = watch(path, { persistent: false }, listener);
      watcher.on('error', (error) => {
        problem('rules.watch_failed', error, path);
        watcher.close();
        onError();
      });
      return watcher;
    } catch (error) {
      // gone between listing and watching: the resync its removal causes sorts it out
      if (!isGone(error)) problem('rules.watch_unavailable', error, path);
      return undefined;
    }
  };

  const watchFolder = (path: string, id: string) => {
    const watcher = open(
      path,
      (type) => {
        if (closed) return;
        onEvent();
        // 'change' is a file's content: only 'rename' (a name added, removed, replaced) can change the folders
        if (type === 'rename') resync();
      },
      () => {
        watched.delete(path);
        onEvent();
        resync();
      },
    );
    if (watcher) watched.set(path, { watcher, id });
  };

  function resync(): void {
    if (closed) return;
    let found: ReturnType<typeof foldersToWatch>;
    try {
      found = foldersToWatch(dir);
    } catch (error) {
      problem('rules.watch_failed', error, dir);
      return;
    }
    if (rootId !== undefined && found.rootId !== rootId) onEvent();
    rootId = found.rootId;
    for (const [path, entry] of watched) {
      if (found.folders.get(path) === entry.id) continue;
      entry.watcher.close();
      watched.delete(path);
    }
    for (const [path, id] of found.folders) if (!watched.has(path)) watchFolder(path, id);
    if (!parent && parentPath !== resolve(dir)) {
      parent = open(
        parentPath,
        // only the entry naming the rules folder matters, not the parent's other files
        (_type, name) => {
          if (name === null || name === rootName) resync();
        },
        () => (parent = undefined),
      );
    }
  }

  resync();
  return {
    resync,
    close() {
      closed = true;
      for (const entry of watched.values()) entry.watcher.close();
      watched.clear();
      parent?.close();
      parent = undefined;
    },
  };
}
