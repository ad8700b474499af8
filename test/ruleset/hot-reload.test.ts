import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { startNodeServer } from '../../src/entry/node.js';
import { RuleLoadError } from '../../src/ruleset/rule-error.js';
import { watchRules } from '../../src/ruleset/watch-rules.js';
import { BASIC_RULES, createTestApp, memoryLog, postNoojee } from '../support/test-app.js';

const run = promisify(execFile);
const dirs: string[] = [];
async function copyOfBasicRules(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-rules-'));
  dirs.push(dir);
  await cp(BASIC_RULES, dir, { recursive: true });
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function eventually(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('rules hot reload', () => {
  it('swaps in a good edit without restart and keeps the old set on a bad one', async () => {
    const dir = await copyOfBasicRules();
    const t = await createTestApp({ rulesDir: dir });
    const log = memoryLog();
    const reloader = watchRules(dir, t.rules, log.logger, { debounceMs: 20 });
    try {
      const tryCampaign12 = () => postNoojee(t.app, 'insertLeadFast', { phone: '0416000001' }, { fCampaignId: 12, fAllocationId: 120 });
      expect((await tryCampaign12()).body.code).toBe(117);

      const original = await readFile(join(dir, 'dialer.yaml'), 'utf8');
      const withCampaign12 = `${original}  - { id: 12, name: Solar December, templateId: 1, allocations: [{ id: 120, name: dec }, { id: 121, name: a15-2 }] }\n`;
      await writeFile(join(dir, 'dialer.yaml'), withCampaign12);
      await eventually(async () => (await tryCampaign12()).body.code === 0);

      const version = t.rules.version;
      await writeFile(join(dir, 'dialer.yaml'), withCampaign12.replace('country: AU', 'country: Oz'));
      await eventually(async () => log.lines.some((l) => l.includes('rules.reload_failed')));
      expect(t.rules.version).toBe(version);
      const failure = JSON.parse(log.lines.find((l) => l.includes('rules.reload_failed'))!) as { errors: unknown[] };
      expect(failure.errors).toContainEqual({ file: 'dialer.yaml', path: 'templates[0].country', message: 'must be a two-letter region code such as AU or US' });
      // still served by the previous rules
      expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0416000002' }, { fCampaignId: 12, fAllocationId: 120 })).body.code).toBe(0);
    } finally {
      reloader.close();
      await t.close();
    }
  });
});

describe('a bad rules folder at start', () => {
  it('stops the server before it listens, naming file and path', async () => {
    const dir = await copyOfBasicRules();
    await writeFile(join(dir, 'dialer.yaml'), (await readFile(join(dir, 'dialer.yaml'), 'utf8')).replace('Australia/Perth', 'Mars/Base'));
    const env = parseEnv({ RULES_DIR: dir, LEADGATE_DATA_DIR: join(dir, 'data'), PORT: '0', LOG_LEVEL: 'silent' });
    const started = startNodeServer(env);
    await expect(started).rejects.toBeInstanceOf(RuleLoadError);
    await expect(started).rejects.toThrow("dialer.yaml at contactHours[1].timeZone: unknown IANA time zone 'Mars/Base'");
  });

  it('makes `leadgate rules check` exit 1 with every error', async () => {
    const dir = await copyOfBasicRules();
    await writeFile(join(dir, 'dialer.yaml'), (await readFile(join(dir, 'dialer.yaml'), 'utf8')).replace('templateId: 1\n', 'templateId: 9\n'));
    const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    const failed = await run('npx', ['tsx', cli, 'rules', 'check', dir]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('dialer.yaml at campaigns[0].templateId: names no template: 9');
    const ok = await run('npx', ['tsx', cli, 'rules', 'check', BASIC_RULES]);
    expect(ok.stdout).toContain('1 file(s) OK');
  });
});
