import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRulesReloader } from '../../src/ruleset/rules-reloader.js';
import { loadRules, memoryLog } from '../support/test-app.js';
import { dialerNamed, ENV, INVALID_DIALER, removeTempDirs, renameReplace, rulesFolder } from './watch/folders.js';

afterEach(removeTempDirs);

async function setUp() {
  const dir = await rulesFolder();
  const holder = await loadRules(dir, ENV);
  const log = memoryLog();
  const reloader = createRulesReloader(dir, holder, log.logger, { env: ENV });
  const events = () => log.lines.map((l) => (JSON.parse(l) as { event: string }).event);
  return { dir, holder, reloader, events };
}

describe('reloadIfChanged', () => {
  it('does nothing while the folder reads as it was loaded, and reloads a change once', async () => {
    const { dir, holder, reloader, events } = await setUp();
    expect(await reloader.reloadIfChanged()).toBeNull();
    expect(events()).toEqual([]);

    await renameReplace(join(dir, 'dialer.yaml'), dialerNamed(1));
    expect(await reloader.reloadIfChanged()).toEqual({ ok: true, version: 2 });
    expect(await reloader.reloadIfChanged()).toBeNull();
    expect(events()).toEqual(['rules.reloaded']);
    expect(holder.version).toBe(2);
  });

  it('skips what a forced reload (the admin API) already read', async () => {
    const { dir, reloader, events } = await setUp();
    await renameReplace(join(dir, 'dialer.yaml'), dialerNamed('admin'));
    expect(await reloader.reload()).toEqual({ ok: true, version: 2 });
    expect(await reloader.reloadIfChanged()).toBeNull();
    expect(events()).toEqual(['rules.reloaded']);
  });

  it('reports a rejected edit once, however often it is asked again', async () => {
    const { dir, holder, reloader, events } = await setUp();
    const before = reloader.lastDigest();
    await renameReplace(join(dir, 'dialer.yaml'), INVALID_DIALER);
    expect((await reloader.reloadIfChanged())?.ok).toBe(false);
    expect(reloader.lastDigest()).not.toBe(before);
    expect(await reloader.reloadIfChanged()).toBeNull();
    expect(events()).toEqual(['rules.reload_failed']);
    expect(holder.version).toBe(1);
  });
});
