import type { Logger } from 'pino';
import { createMutex } from '../lib/mutex.js';
import { formatRuleErrors, type RuleError } from './rule-error.js';
import type { RuleFile } from './rule-file.js';
import { compileRuleSet } from './rule-set.js';
import { readRulesDir } from './read-rules-dir.js';
import { digestOfFiles, rulesDigest } from './rules-digest.js';
import type { RulesHolder } from './rules-holder.js';

export type ReloadResult = { ok: true; version: number } | { ok: false; errors: RuleError[] };

export interface RulesReload {
  /** Reads and compiles the folder; swaps it in only when the whole set loads. */
  reload(): Promise<ReloadResult>;
  /**
   * `reload`, unless the folder reads exactly as the last reload read it (or as the active set
   * was loaded): then null, and nothing is compiled, swapped or logged. For the watcher, whose
   * events also fire for editor swap files, temp files and the scan's repeated look.
   */
  reloadIfChanged(): Promise<ReloadResult | null>;
  /** the digest (`rules-digest.ts`) of the folder as the last reload read it */
  lastDigest(): string;
}

export interface RulesReloadOptions {
  /** resolves `${env:NAME}` in connects */
  env?: Record<string, string | undefined>;
  onReload?: (ok: boolean) => void;
}

/**
 * The one way a rules folder becomes the active set, shared by the watcher and the admin API.
 * Reloads run one at a time, so a slow reload that read the folder before an admin write can
 * never swap in after (and over) the reload that followed the write.
 */
export function createRulesReloader(dir: string, holder: RulesHolder, logger: Logger, options: RulesReloadOptions = {}): RulesReload {
  const mutex = createMutex();
  // Remembered for rejected edits too, so an invalid file is reported once, not on every event.
  let last = rulesDigest(holder.current().files);

  const apply = (files: RuleFile[]): ReloadResult => {
    const result = compileRuleSet(files, options.env);
    options.onReload?.(result.ok);
    if (!result.ok) {
      logger.error({ event: 'rules.reload_failed', errors: result.errors }, `rules edit rejected, previous rules stay active:\n${formatRuleErrors(result.errors)}`);
      return result;
    }
    holder.swap(result.rules);
    logger.info({ event: 'rules.reloaded', files: result.rules.files.length, version: holder.version }, 'rules reloaded');
    return { ok: true, version: holder.version };
  };

  const read = async (): Promise<{ files: RuleFile[]; changed: boolean }> => {
    const files = await readRulesDir(dir);
    const digest = digestOfFiles(files);
    const changed = digest !== last;
    last = digest;
    return { files, changed };
  };

  return {
    reload: () => mutex.run(async () => apply((await read()).files)),
    reloadIfChanged: () =>
      mutex.run(async () => {
        const { files, changed } = await read();
        return changed ? apply(files) : null;
      }),
    lastDigest: () => last,
  };
}
