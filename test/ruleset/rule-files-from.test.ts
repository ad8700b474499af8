import { describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { ruleFilesFrom } from '../../src/ruleset/rule-file.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';

/** The in-memory file list the Worker compiles is the one the Node folder reader produces. */
describe('ruleFilesFrom', () => {
  it('keeps only rule file names and sorts by path', () => {
    const files = ruleFilesFrom([
      ['sources/b.yaml', 'b'],
      ['README.md', 'x'],
      ['connects/a.yml', 'a'],
      ['dialer.yaml', 'd'],
      ['deep/er/c.yaml', 'c'],
      ['.hidden.yaml', 'h'],
    ]);
    expect(files.map((f) => f.path)).toEqual(['connects/a.yml', 'dialer.yaml', 'sources/b.yaml']);
  });

  it('gives the shipped rules folder the same files, and the same compiled set, as the folder reader', async () => {
    const fromDisk = await readRulesDir(new URL('../../rules', import.meta.url).pathname);
    const inMemory = ruleFilesFrom(fromDisk.map((f) => [f.path, f.text] as const).reverse());
    expect(inMemory).toEqual(fromDisk);
    const [memory, disk] = [compileRuleSet(inMemory), compileRuleSet(fromDisk)];
    if (!memory.ok || !disk.ok) throw new Error('the shipped rules must load');
    expect(memory.rules.files).toEqual(disk.rules.files);
  });
});
