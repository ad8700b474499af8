import { readdir, readFile, readlink } from 'node:fs/promises';
import { ruleFileEtag } from '../../../src/ruleset/rule-file.js';
import type { RulesHolder } from '../../../src/ruleset/rules-holder.js';
import { watchRules, type WatchRulesOptions } from '../../../src/ruleset/watch-rules.js';
import { loadRules, memoryLog } from '../../support/test-app.js';
import { ENV } from './folders.js';

/** What the issue asks of every edit: active within 2 s of being made. */
export const VISIBLE_WITHIN_MS = 2000;

/** Polls until `check` holds; fails with `what` once `ms` have passed. No fixed sleeps. */
export async function waitFor(what: string, check: () => boolean, ms = VISIBLE_WITHIN_MS): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - start;
}

/** the active set holds `path` with exactly `text` */
export const isActive = (holder: RulesHolder, path: string, text: string) =>
  holder.current().files.some((f) => f.path === path && f.etag === ruleFileEtag({ path, text }));
export const isAbsent = (holder: RulesHolder, path: string) => !holder.current().files.some((f) => f.path === path);

export interface LogLine {
  event?: string;
  [key: string]: unknown;
}

/**
 * A watcher over `dir` with a real pino logger into an array and its own holder, loaded now
 * (or `holder`); `beforeWatching` runs between that load and the start of the watch.
 */
export async function startWatching(dir: string, options: WatchRulesOptions = {}, beforeWatching?: () => Promise<void>, holder?: RulesHolder) {
  const rules = holder ?? (await loadRules(dir, ENV));
  await beforeWatching?.();
  const log = memoryLog();
  const watcher = watchRules(dir, rules, log.logger, { env: ENV, ...options });
  const lines = () => log.lines.map((l) => JSON.parse(l) as LogLine);
  /** waitFor, failing with what the watcher logged (a failure in a watch test is otherwise opaque) */
  const until = (what: string, check: () => boolean) =>
    waitFor(what, check).catch((error: Error) => {
      throw new Error(`${error.message}; the watcher logged: ${lines().map((l) => `${String(l.time)} ${l.event ?? l.msg}`).join(', ') || 'nothing'}`);
    });
  return {
    holder: rules,
    watcher,
    lines,
    /** how many log lines carry `event` */
    count: (event: string) => lines().filter((l) => l.event === event).length,
    /** waits until the active set holds `path` with `text` */
    until,
    active: (path: string, text: string) => until(`${path} active with the new text`, () => isActive(rules, path, text)),
    absent: (path: string) => until(`${path} gone from the active set`, () => isAbsent(rules, path)),
  };
}
export type Watching = Awaited<ReturnType<typeof startWatching>>;

/**
 * The inotify watches this process holds (Linux: one `inotify wd:` line per watch in the inotify
 * descriptor's fdinfo), to tell that `close()` removed every watch; null where there is no /proc.
 */
export async function inotifyWatches(): Promise<number | null> {
  let fds: string[];
  try {
    fds = await readdir('/proc/self/fd');
  } catch {
    return null;
  }
  let count = 0;
  for (const fd of fds) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target !== 'anon_inode:inotify') continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
    count += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  return count;
}
