import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { formatRuleErrors } from './rule-error.js';
import { compileRuleSet } from './rule-set.js';
import { readRulesDir } from './read-rules-dir.js';
import type { RulesHolder } from './rules-holder.js';

export interface RulesReloader {
  /** Reads and compiles the folder; swaps it in only when the whole set loads. */
  reload(): Promise<boolean>;
  close(): void;
}

/**
 * Node only: re-reads the rules folder after changes settle (editors write files in several
 * steps), so a half-saved file is not what gets compiled.
 */
export function watchRules(
  dir: string,
  holder: RulesHolder,
  logger: Logger,
  options: { env?: Record<string, string | undefined>; debounceMs?: number; onReload?: (ok: boolean) => void } = {},
): RulesReloader {
  const debounceMs = options.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;

  const reload = async (): Promise<boolean> => {
    const files = await readRulesDir(dir);
    const result = compileRuleSet(files, options.env);
    options.onReload?.(result.ok);
    if (!result.ok) {
      logger.error({ event: 'rules.reload_failed', errors: result.errors }, `rules edit rejected, previous rules stay active:\n${formatRuleErrors(result.errors)}`);
      return false;
    }
    holder.swap(result.rules);
    logger.info({ event: 'rules.reloaded', files: result.rules.files.length, version: holder.version }, 'rules reloaded');
    return true;
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = (running ?? Promise.resolve(true)).then(reload, reload).catch((error: unknown) => {
        logger.error({ event: 'rules.reload_failed', err: error }, 'rules reload failed');
        return false;
      });
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { recursive: true }, schedule);
    watcher.on('error', (error) => logger.error({ event: 'rules.watch_failed', err: error }, 'rules watcher failed'));
  } catch (error) {
    logger.warn({ event: 'rules.watch_unavailable', err: error }, 'rules folder is not watched; edits need a restart');
  }

  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
