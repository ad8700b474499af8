import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { digestOfFiles } from '../../src/ruleset/rules-digest.js';
import { startRulesScan } from '../../src/ruleset/rules-scan.js';
import { memoryLog } from '../support/test-app.js';
import { dialerNamed, removeTempDirs, renameReplace, rulesFolder } from './watch/folders.js';
import { waitFor } from './watch/watching.js';

afterEach(removeTempDirs);

/** the scan over `dir`, with a stand-in for the watcher around it that reloads what it is told of */
async function scanOver(dir: string) {
  const log = memoryLog();
  const state = { known: digestOfFiles(await readRulesDir(dir)), busy: false, reloading: false, missed: 0, scans: 0 };
  const scan = startRulesScan({
    dir,
    intervalMs: 10,
    logger: log.logger,
    known: () => state.known,
    eventCount: () => 0,
    idle: () => !state.busy && !state.reloading,
    onMissed: () => {
      state.missed += 1;
      state.reloading = true;
      void readRulesDir(dir).then((files) => {
        state.known = digestOfFiles(files);
        state.reloading = false;
      });
    },
    afterScan: () => (state.scans += 1),
  });
  const events = () => log.lines.map((l) => (JSON.parse(l) as { event: string }).event);
  /** lets `n` more scans run */
  const scans = (n: number) => {
    const until = state.scans + n;
    return waitFor(`${n} more scans`, () => state.scans >= until);
  };
  return { state, scan, events, scans };
}

describe('the periodic scan', () => {
  it('stays quiet while the folder is unchanged, and reports each change once', async () => {
    const dir = await rulesFolder();
    const { state, scan, events, scans } = await scanOver(dir);
    try {
      await scans(5);
      expect(state.missed).toBe(0);
      expect(events()).toEqual([]);

      await renameReplace(join(dir, 'dialer.yaml'), dialerNamed(1));
      await waitFor('the change reported', () => state.missed === 1);
      await scans(5);
      expect(state.missed).toBe(1);
      expect(events()).toEqual(['rules.change_detected_by_scan']);
    } finally {
      scan.stop();
    }
  });

  it('leaves a change to the events while a reload is pending or running', async () => {
    const dir = await rulesFolder();
    const { state, scan, events, scans } = await scanOver(dir);
    try {
      state.busy = true;
      await renameReplace(join(dir, 'dialer.yaml'), dialerNamed(2));
      await scans(5);
      expect(state.missed).toBe(0);
      // the events' reload never came: then it is a miss
      state.busy = false;
      await waitFor('the change reported', () => state.missed === 1);
      expect(events()).toEqual(['rules.change_detected_by_scan']);
    } finally {
      scan.stop();
    }
  });

  it('logs a folder it cannot read once, not at every scan', async () => {
    const dir = await rulesFolder();
    const { state, scan, events, scans } = await scanOver(dir);
    try {
      await rm(dir, { recursive: true });
      await scans(5);
      expect(events()).toEqual(['rules.scan_failed']);
      expect(state.missed).toBe(0);
    } finally {
      scan.stop();
    }
  });
});
