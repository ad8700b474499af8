import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { RulesHolder } from './rules-holder.js';
import { createRulesReloader, type RulesReload, type RulesReloadOptions } from './rules-reloader.js';

export interface RulesReloader {
  /** Reads and compiles the folder; swaps it in only when the whole set loads. */
  reload(): Promise<boolean>;
  close(): void;
}

/**
 * Node only: re-reads the rules folder after changes settle (editors write files in several
 * steps), so a half-saved file is not what gets compiled. Pass the admin API's `reloader` so
 * both go through one queue.
 */
export function watchRules(
  dir: string,
  holder: RulesHolder,
  logger: Logger,
  options: RulesReloadOptions & { debounceMs?: number; reloader?: RulesReload } = {},
): RulesReloader {
  const debounceMs = options.debounceMs ?? 150;
  const reloader = options.reloader ?? createRulesReloader(dir, holder, logger, options);
  let timer: NodeJS.Timeout | undefined;

  const reload = async (): Promise<boolean> => (await reloader.reload()).ok;

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      reload().catch((error: unknown) => {
        logger.error({ event: 'rules.reload_failed', err: error }, 'rules reload failed');
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
