import type { Logger } from 'pino';
import type { RulesHolder } from './rules-holder.js';
import { createRulesReloader, type RulesReload, type RulesReloadOptions } from './rules-reloader.js';
import { startRulesScan } from './rules-scan.js';
import { trailingDebounce } from './trailing-debounce.js';
import { watchFolders } from './watch-folders.js';

export interface RulesReloader {
  /** Reads and compiles the folder; swaps it in only when the whole set loads. */
  reload(): Promise<boolean>;
  /** stops the watches, the scan and any pending reload */
  close(): void;
}

export interface WatchRulesOptions extends RulesReloadOptions {
  /** quiet time after the last event before reloading: editors save in several steps (150) */
  debounceMs?: number;
  /** the longest a stream of events can put a reload off (1000) */
  maxWaitMs?: number;
  /** how often the backstop compares the folder with what was last loaded; 0 turns it off (1000) */
  scanIntervalMs?: number;
  /** false: no file-system events, only the scan (tests of the backstop) */
  fsEvents?: boolean;
  /** the admin API's reloader, so both go through one queue */
  reloader?: RulesReload;
}

/**
 * Node only: keeps the active rules equal to the folder. File-system events (`watch-folders.ts`)
 * start a reload once they settle, so a half-saved file is not what gets compiled; a periodic
 * content check (`rules-scan.ts`) catches whatever the events missed. Either way the reload only
 * compiles and swaps when the folder's content really changed, and logs `rules.reloaded` or
 * `rules.reload_failed` (the old set stays active).
 */
export function watchRules(dir: string, holder: RulesHolder, logger: Logger, options: WatchRulesOptions = {}): RulesReloader {
  const reloader = options.reloader ?? createRulesReloader(dir, holder, logger, options);
  let closed = false;
  let running = 0;
  let events = 0;

  const reloadIfChanged = () => {
    if (closed) return;
    running += 1;
    reloader
      .reloadIfChanged()
      .then((result) => {
        // editors' swap files, temp files, a touched file: worth a debug line, not a reload
        if (result === null) logger.debug({ event: 'rules.unchanged' }, 'rules folder touched, no rule file changed');
      })
      // the folder could not be read at all (removed, unreadable): the old rules stay active
      .catch((error: unknown) => logger.error({ event: 'rules.reload_failed', err: error }, 'rules reload failed'))
      .finally(() => (running -= 1));
  };

  const debounce = trailingDebounce(reloadIfChanged, options.debounceMs ?? 150, options.maxWaitMs ?? 1000);
  const folders =
    options.fsEvents === false
      ? undefined
      : watchFolders(
          dir,
          () => {
            if (closed) return;
            events += 1;
            debounce.trigger();
          },
          logger,
        );

  const scanIntervalMs = options.scanIntervalMs ?? 1000;
  const scan =
    scanIntervalMs > 0
      ? startRulesScan({
          dir,
          intervalMs: scanIntervalMs,
          logger,
          known: () => reloader.lastDigest(),
          eventCount: () => events,
          idle: () => !debounce.pending() && running === 0,
          onMissed: reloadIfChanged,
          afterScan: () => folders?.resync(),
        })
      : undefined;

  return {
    reload: async () => (await reloader.reload()).ok,
    close() {
      closed = true;
      debounce.cancel();
      folders?.close();
      scan?.stop();
    },
  };
}
