import type { Logger } from 'pino';
import { createMutex } from '../lib/mutex.js';
import { formatRuleErrors, type RuleError } from './rule-error.js';
import { compileRuleSet } from './rule-set.js';
import { readRulesDir } from './read-rules-dir.js';
import type { RulesHolder } from './rules-holder.js';

export type ReloadResult = { ok: true; version: number } | { ok: false; errors: RuleError[] };

export interface RulesReload {
  /** Reads and compiles the folder; swaps it in only when the whole set loads. */
  reload(): Promise<ReloadResult>;
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
  const reload = async (): Promise<ReloadResult> => {
    const result = compileRuleSet(await readRulesDir(dir), options.env);
    options.onReload?.(result.ok);
    if (!result.ok) {
      logger.error({ event: 'rules.reload_failed', errors: result.errors }, `rules edit rejected, previous rules stay active:\n${formatRuleErrors(result.errors)}`);
      return result;
    }
    holder.swap(result.rules);
    logger.info({ event: 'rules.reloaded', files: result.rules.files.length, version: holder.version }, 'rules reloaded');
    return { ok: true, version: holder.version };
  };
  return { reload: () => mutex.run(reload) };
}
