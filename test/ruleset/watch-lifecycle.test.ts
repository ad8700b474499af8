import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BASIC_RULES } from '../support/test-app.js';
import { DIALER, dialerNamed, removeTempDirs, renameReplace, rulesFolder, tempDir, truncateWrite } from './watch/folders.js';
import { inotifyWatches, isActive, startWatching, type Watching } from './watch/watching.js';

const run = promisify(execFile);
const running: Watching[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) w.watcher.close();
  await removeTempDirs();
});
async function start(...args: Parameters<typeof startWatching>): Promise<Watching> {
  const w = await startWatching(...args);
  running.push(w);
  return w;
}

describe('rules watcher lifecycle', () => {
  it('catches, by the scan, an edit made after the rules were loaded and before watching began', async () => {
    const dir = await rulesFolder();
    const w = await start(dir, {}, async () => truncateWrite(join(dir, 'dialer.yaml'), dialerNamed('before watching')));
    await w.active('dialer.yaml', dialerNamed('before watching'));
    expect(w.count('rules.change_detected_by_scan')).toBe(1);
  });

  it('close() stops the events, the scan and a pending reload, and removes every watch', async () => {
    const dir = await rulesFolder();
    const path = join(dir, 'dialer.yaml');
    const watchesBefore = await inotifyWatches();
    // quick to react on every path, were it still running
    const closed = await start(dir, { debounceMs: 50, scanIntervalMs: 50 });
    if (watchesBefore !== null) expect(await inotifyWatches()).toBeGreaterThan(watchesBefore);
    // a second watcher, left open and slower, tells when the closed one would long have reacted
    const witness = await start(dir, { fsEvents: false });
    // replaced whole, not written in place: a 50 ms scan that fell inside an in-place write read
    // the emptied file and reloaded (and failed) before close() was even called
    await renameReplace(path, dialerNamed('pending at close'));
    closed.watcher.close();
    if (watchesBefore !== null) expect(await inotifyWatches()).toBe(watchesBefore);
    await witness.active('dialer.yaml', dialerNamed('pending at close'));
    await renameReplace(path, dialerNamed('after close'));
    await witness.active('dialer.yaml', dialerNamed('after close'));

    expect(closed.lines()).toEqual([]);
    expect(closed.holder.version).toBe(1);
    expect(isActive(closed.holder, 'dialer.yaml', DIALER)).toBe(true);
  });

  it('never keeps the process alive: node exits with a watcher left open and a reload pending', async () => {
    const dir = await tempDir();
    await cp(BASIC_RULES, dir, { recursive: true });
    const script = fileURLToPath(new URL('./watch/watch-and-return.ts', import.meta.url));
    // a process held open is killed at the timeout, and the call then fails
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, dir, DIALER], { timeout: 20_000, killSignal: 'SIGKILL' });
    expect(stdout).toContain('watching, with a reload pending');
  });
});
