import type { Logger } from 'pino';
import { readRulesDir } from './read-rules-dir.js';
import { digestOfFiles } from './rules-digest.js';

export interface RulesScanDeps {
  dir: string;
  intervalMs: number;
  logger: Logger;
  /** the digest of the folder as the last reload read it */
  known(): string;
  /** moves on every file-system event */
  eventCount(): number;
  /** no reload is waiting for its debounce or running */
  idle(): boolean;
  /** the folder differs from what was last loaded and no event is dealing with it */
  onMissed(): void;
  /**
   * run after every scan (the watcher re-lists its folders there, which heals watches lost to a
   * replaced folder); after, so that the scan has judged the events before this can add one
   */
  afterScan?(): void;
}

/**
 * The backstop behind the file-system events: every `intervalMs`, the folder is read exactly as
 * the loader reads it and its digest compared with the last reload's. A difference that no event
 * is already handling is a missed event: logged as `rules.change_detected_by_scan`, so misses are
 * visible, and reloaded. An unchanged folder costs one read of a few small files and nothing else.
 * The timer is unref'd and re-armed only after a scan finishes, so scans never overlap.
 */
export function startRulesScan(deps: RulesScanDeps): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing: string | undefined;

  async function check(): Promise<void> {
    const events = deps.eventCount();
    let digest: string;
    try {
      digest = digestOfFiles(await readRulesDir(deps.dir));
      failing = undefined;
    } catch (error) {
      // A folder that cannot be read is logged once, not every interval. Judged by the error's
      // code: a folder being removed fails first on a file inside it, then on itself (both ENOENT).
      const reason = (error as { code?: unknown }).code ?? String(error);
      if (String(reason) !== failing) deps.logger.warn({ event: 'rules.scan_failed', err: error }, 'the rules folder could not be read for the periodic check');
      failing = String(reason);
      return;
    }
    if (digest === deps.known()) return;
    // An event for this very change may be ready in the same turn of the event loop as the last
    // read; one macrotask later it has run, and the change is the events' to handle, not a miss.
    await new Promise((resolve) => setImmediate(resolve));
    if (stopped || digest === deps.known() || deps.eventCount() !== events || !deps.idle()) return;
    deps.logger.warn({ event: 'rules.change_detected_by_scan', digest }, 'rules folder changed without a file-system event; reloading');
    deps.onMissed();
  }

  async function scan(): Promise<void> {
    try {
      await check();
    } finally {
      if (!stopped) deps.afterScan?.();
    }
  }

  const arm = () => {
    timer = setTimeout(() => {
      scan()
        .catch((error: unknown) => deps.logger.error({ event: 'rules.scan_failed', err: error }, 'periodic rules check failed'))
        .finally(() => {
          if (!stopped) arm();
        });
    }, deps.intervalMs);
    timer.unref();
  };
  arm();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
