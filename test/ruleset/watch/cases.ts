import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { WatchRulesOptions } from '../../../src/ruleset/watch-rules.js';
import { appendInPlace, campaignLine, connectYaml, destinationYaml, DIALER, dialerNamed, duplicateCheck, INVALID_DIALER, removeTempDirs, renameReplace, rowLine, rulesFolder, SOURCE_YAML, tempDir, truncateWrite } from './folders.js';
import { isActive, startWatching, type Watching } from './watching.js';

export interface WatchMode {
  options: WatchRulesOptions;
  /**
   * `scan`: every change must be reported as found by the scan (events are off);
   * `events`: none may be (the scan is off, or must have found nothing the events had not)
   */
  detectedBy: 'events' | 'scan';
}

/**
 * Every case of the issue, run once per mode by the three `watch-*.test.ts` files: events alone,
 * the scan alone, and both as the server runs them. Each edit must be active within 2 s.
 */
export function defineWatchCases(mode: WatchMode): void {
  const running: Watching[] = [];
  afterEach(async () => {
    for (const w of running.splice(0)) w.watcher.close();
    await removeTempDirs();
  });

  let scansBefore = 0;
  async function start(dir: string): Promise<Watching> {
    const w = await startWatching(dir, mode.options);
    running.push(w);
    scansBefore = 0;
    return w;
  }
  /** after an edit was seen: was it the scan that found it, as the mode requires? */
  function foundAsTheModeSays(w: Watching): void {
    const scans = w.count('rules.change_detected_by_scan');
    if (mode.detectedBy === 'scan') expect(scans).toBeGreaterThan(scansBefore);
    else expect(scans).toBe(0);
    scansBefore = scans;
  }

  it('a file replaced by rename, twice', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    for (const n of [1, 2]) {
      const text = duplicateCheck(`replaced ${n}`);
      await renameReplace(join(dir, 'duplicate-check.yaml'), text);
      await w.active('duplicate-check.yaml', text);
      foundAsTheModeSays(w);
    }
  });

  it('appends and a truncating write in place, after a rename-replace of the same file', async () => {
    const dir = await rulesFolder();
    const path = join(dir, 'duplicate-check.yaml');
    const w = await start(dir);
    let text = duplicateCheck('replaced');
    await renameReplace(path, text);
    await w.active('duplicate-check.yaml', text);
    foundAsTheModeSays(w);

    await appendInPlace(path, rowLine(1));
    text += rowLine(1);
    await w.active('duplicate-check.yaml', text);
    expect(w.holder.current().duplicateCheck?.rows).toHaveLength(5);
    foundAsTheModeSays(w);

    text = duplicateCheck('truncated and written');
    await truncateWrite(path, text);
    await w.active('duplicate-check.yaml', text);
    foundAsTheModeSays(w);

    await appendInPlace(path, rowLine(2));
    text += rowLine(2);
    await w.active('duplicate-check.yaml', text);
    expect(w.holder.current().duplicateCheck?.rows).toHaveLength(5);
    foundAsTheModeSays(w);
  });

  it('a new file in a sub-folder, then its deletion', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    await writeFile(join(dir, 'connects/new.yaml'), connectYaml('new'));
    await w.active('connects/new.yaml', connectYaml('new'));
    expect([...w.holder.current().connects.keys()]).toEqual(['crm', 'new']);
    foundAsTheModeSays(w);

    await rm(join(dir, 'connects/new.yaml'));
    await w.absent('connects/new.yaml');
    expect([...w.holder.current().connects.keys()]).toEqual(['crm']);
    foundAsTheModeSays(w);
  });

  it('a sub-folder made after start: its file, and an edit in place inside it', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    await mkdir(join(dir, 'sources'));
    await writeFile(join(dir, 'sources/web.yaml'), SOURCE_YAML);
    await w.active('sources/web.yaml', SOURCE_YAML);
    expect(w.holder.current().sources.has('web')).toBe(true);
    foundAsTheModeSays(w);

    // only a watch on the new folder itself sees this one
    await appendInPlace(join(dir, 'sources/web.yaml'), '# reviewed\n');
    await w.active('sources/web.yaml', `${SOURCE_YAML}# reviewed\n`);
    foundAsTheModeSays(w);
  });

  it('a destination: a new destinations folder, an edit, and a bad edit that keeps the previous one', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    await mkdir(join(dir, 'destinations'));
    const path = join(dir, 'destinations/pbx.yaml');
    await writeFile(path, destinationYaml(2));
    await w.active('destinations/pbx.yaml', destinationYaml(2));
    expect(w.holder.current().destinations.get('pbx')?.maxConcurrency).toBe(2);
    foundAsTheModeSays(w);

    await renameReplace(path, destinationYaml(6));
    await w.active('destinations/pbx.yaml', destinationYaml(6));
    expect(w.holder.current().destinations.get('pbx')?.maxConcurrency).toBe(6);
    foundAsTheModeSays(w);

    await truncateWrite(path, `${destinationYaml(6)}forward: [insert, dnc]\n`);
    await w.until('the rejection logged', () => w.count('rules.reload_failed') === 1);
    const failure = w.lines().find((l) => l.event === 'rules.reload_failed')!;
    expect(failure.errors).toEqual([{ file: 'destinations/pbx.yaml', path: 'forward[1]', message: 'Noojee has no DNC API: a noojee destination cannot forward dnc' }]);
    expect(w.holder.current().destinations.get('pbx')?.maxConcurrency).toBe(6);
    foundAsTheModeSays(w);
  });

  it('a sub-folder replaced by renaming another over its name, then edited in place', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    const next = connectYaml('crm-v2');
    await mkdir(join(dir, 'connects.next'));
    await writeFile(join(dir, 'connects.next/crm.yaml'), next);
    await rename(join(dir, 'connects'), join(dir, 'connects.old'));
    await rename(join(dir, 'connects.next'), join(dir, 'connects'));
    await w.active('connects/crm.yaml', next);
    foundAsTheModeSays(w);

    await appendInPlace(join(dir, 'connects/crm.yaml'), '# edited in the new folder\n');
    await w.active('connects/crm.yaml', `${next}# edited in the new folder\n`);
    foundAsTheModeSays(w);
  });

  it('a Kubernetes ConfigMap volume: the whole folder swapped through the ..data link, twice', async () => {
    const dir = await tempDir('leadgate-configmap-');
    /** what the kubelet does: a new timestamped folder, `..data` re-pointed by rename, the old one removed */
    async function publish(version: string, files: Record<string, string>, previous?: string): Promise<void> {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(dir, version, path, '..'), { recursive: true });
        await writeFile(join(dir, version, path), text);
      }
      await symlink(version, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      if (previous) await rm(join(dir, previous), { recursive: true });
    }
    const files = { 'dialer.yaml': DIALER, 'duplicate-check.yaml': duplicateCheck(), 'connects/crm.yaml': connectYaml('crm') };
    await publish('..2026_12_04_a', files);
    await symlink('..data/dialer.yaml', join(dir, 'dialer.yaml'));
    await symlink('..data/duplicate-check.yaml', join(dir, 'duplicate-check.yaml'));
    await symlink('..data/connects', join(dir, 'connects'));
    const w = await start(dir);
    expect(w.holder.current().files.map((f) => f.path)).toEqual(['connects/crm.yaml', 'dialer.yaml', 'duplicate-check.yaml']);

    await publish('..2026_12_04_b', { ...files, 'dialer.yaml': dialerNamed('b') }, '..2026_12_04_a');
    await w.active('dialer.yaml', dialerNamed('b'));
    foundAsTheModeSays(w);

    await publish('..2026_12_04_c', { ...files, 'dialer.yaml': dialerNamed('c'), 'connects/extra.yaml': connectYaml('extra') }, '..2026_12_04_b');
    await w.active('dialer.yaml', dialerNamed('c'));
    await w.active('connects/extra.yaml', connectYaml('extra'));
    foundAsTheModeSays(w);
  });

  it('the rules folder itself is a link, re-pointed to another folder, which is then edited in place', async () => {
    const base = await tempDir('leadgate-linked-');
    const [v1, v2] = [await rulesFolder(), await rulesFolder()];
    await symlink(v1, join(base, 'rules'));
    const w = await start(join(base, 'rules'));
    await truncateWrite(join(v2, 'dialer.yaml'), dialerNamed('v2'));
    await symlink(v2, join(base, 'rules.next'));
    await rename(join(base, 'rules.next'), join(base, 'rules'));
    await w.active('dialer.yaml', dialerNamed('v2'));
    foundAsTheModeSays(w);

    await appendInPlace(join(v2, 'dialer.yaml'), campaignLine(77));
    await w.active('dialer.yaml', dialerNamed('v2') + campaignLine(77));
    expect(w.holder.current().dialer.campaigns.has(77)).toBe(true);
    foundAsTheModeSays(w);
  });

  it('a burst of 50 edits in 200 ms, some invalid, ending valid: the last is active after a few reloads', async () => {
    const dir = await rulesFolder();
    const path = join(dir, 'dialer.yaml');
    const w = await start(dir);
    const reloads = () => w.count('rules.reloaded') + w.count('rules.reload_failed');
    const started = performance.now();
    for (let i = 1; i <= 50; i++) {
      const text = i % 7 === 0 ? INVALID_DIALER : dialerNamed(i);
      // both ways editors save, mixed
      if (i % 2 === 0) await renameReplace(path, text);
      else await truncateWrite(path, text);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + i * 4 - performance.now())));
    }
    await w.active('dialer.yaml', dialerNamed(50));
    expect(reloads()).toBeGreaterThanOrEqual(1);
    expect(reloads()).toBeLessThanOrEqual(3);
    foundAsTheModeSays(w);
  });

  it('a file written to every 50 ms without pause is reloaded while the writes go on', async () => {
    const dir = await rulesFolder();
    const w = await start(dir);
    let writing = true;
    // Appends, each a whole campaign line: the file is valid at every moment. (A truncating write
    // has an empty moment, and a reload forced mid-stream may read it and be rightly rejected.)
    const writes = (async () => {
      for (let id = 600; writing; id++) {
        await appendInPlace(join(dir, 'dialer.yaml'), campaignLine(id));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      // the debounce alone would wait for a pause that never comes
      await w.until('a reload during the writes', () => w.holder.version > 1);
    } finally {
      writing = false;
      await writes;
    }
  });

  it('an invalid edit keeps the old set and is logged once; the next valid edit is taken', async () => {
    const dir = await rulesFolder();
    const path = join(dir, 'dialer.yaml');
    const w = await start(dir);
    const version = w.holder.version;
    await renameReplace(path, INVALID_DIALER);
    await w.until('the rejection logged', () => w.count('rules.reload_failed') === 1);
    const failure = w.lines().find((l) => l.event === 'rules.reload_failed')!;
    expect(failure.errors).toContainEqual({ file: 'dialer.yaml', path: 'templates[0].country', message: "unknown region code 'QQ'" });
    expect(w.holder.version).toBe(version);
    expect(isActive(w.holder, 'dialer.yaml', DIALER)).toBe(true);
    foundAsTheModeSays(w);

    // an editor's swap file changes no rule file: no second report of the same rejection
    await writeFile(join(dir, '.dialer.yaml.swp'), 'swap');
    if (mode.options.fsEvents !== false) await w.until('the swap file looked at', () => w.count('rules.unchanged') > 0);
    expect(w.count('rules.reload_failed')).toBe(1);
    const fixed = dialerNamed('fixed');
    await truncateWrite(path, fixed);
    await w.active('dialer.yaml', fixed);
    expect(w.count('rules.reload_failed')).toBe(1);
    expect(w.holder.version).toBe(version + 1);
    foundAsTheModeSays(w);
  });
}
