import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { connectYaml, DIALER, duplicateCheck, ENV, removeTempDirs, rulesFolder, tempDir } from './watch/folders.js';

afterEach(removeTempDirs);

const paths = async (dir: string) => (await readRulesDir(dir)).map((f) => f.path);

describe('readRulesDir and symbolic links', () => {
  it('loads a Kubernetes ConfigMap volume: file and folder links through ..data, under their own names', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '..2026_12_04_a/connects'), { recursive: true });
    await writeFile(join(dir, '..2026_12_04_a/dialer.yaml'), DIALER);
    await writeFile(join(dir, '..2026_12_04_a/duplicate-check.yaml'), duplicateCheck());
    await writeFile(join(dir, '..2026_12_04_a/connects/crm.yaml'), connectYaml('crm'));
    await symlink('..2026_12_04_a', join(dir, '..data'));
    await symlink('..data/dialer.yaml', join(dir, 'dialer.yaml'));
    await symlink('..data/duplicate-check.yaml', join(dir, 'duplicate-check.yaml'));
    await symlink('..data/connects', join(dir, 'connects'));

    const files = await readRulesDir(dir);
    expect(files.map((f) => f.path)).toEqual(['connects/crm.yaml', 'dialer.yaml', 'duplicate-check.yaml']);
    expect(files.find((f) => f.path === 'dialer.yaml')?.text).toBe(DIALER);
    expect(compileRuleSet(files, ENV).ok).toBe(true);
  });

  it('ignores links that leave the folder, to files and to folders, and links that lead nowhere', async () => {
    const dir = await rulesFolder();
    const outside = await tempDir('leadgate-outside-');
    await mkdir(join(outside, 'elsewhere'));
    await writeFile(join(outside, 'secret.yaml'), 'version: 1\n');
    await writeFile(join(outside, 'elsewhere/other.yaml'), 'version: 1\n');
    await symlink(join(outside, 'secret.yaml'), join(dir, 'linked.yaml'));
    await symlink('../../secret.yaml', join(dir, 'connects/relative.yaml'));
    await symlink(join(outside, 'elsewhere'), join(dir, 'sources'));
    await symlink('missing.yaml', join(dir, 'dangling.yaml'));
    expect(await paths(dir)).toEqual(['connects/crm.yaml', 'dialer.yaml', 'duplicate-check.yaml']);
  });

  it('follows a link inside the folder, and a rules folder that is itself a link', async () => {
    const dir = await rulesFolder();
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared/crm-two.yaml'), connectYaml('two'));
    await symlink('../shared/crm-two.yaml', join(dir, 'connects/two.yaml'));
    const base = await tempDir();
    await symlink(dir, join(base, 'rules'));
    expect(await paths(join(base, 'rules'))).toEqual(['connects/crm.yaml', 'connects/two.yaml', 'dialer.yaml', 'duplicate-check.yaml', 'shared/crm-two.yaml']);
  });
});
