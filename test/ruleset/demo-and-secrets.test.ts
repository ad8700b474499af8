import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import type { RuleFile } from '../../src/ruleset/rule-file.js';
import { BASIC_RULES } from '../support/test-app.js';
import { ROOT } from '../support/cli-process.js';

const dialer: RuleFile = { path: 'dialer.yaml', text: await readFile(`${BASIC_RULES}/dialer.yaml`, 'utf8') };
const ENV = { CRM_TOKEN: 't0ken', HOOK_SECRET: 's3cret' };

const connect = (header: string, extra = '') => ({
  path: 'connects/crm.yaml',
  text: `version: 1\n${extra}url: https://crm.example.com/lookup\nmethod: POST\nheaders:\n  ${header}\nadaptor:\n  - { field: phone, mappedTo: phone_number }\n`,
});
const source = (secret: string, extra = '') => ({
  path: 'sources/form.yaml',
  text: `version: 1\n${extra}target: { templateId: 1, campaignId: 10, allocationId: 100 }\nsignature:\n  scheme: hmac-sha256\n  secrets: [${JSON.stringify(secret)}]\neventId: $.id\nfields:\n  phone: $.phone\naction: insert\n`,
});
const table = (extra = '') => ({
  path: 'duplicate-check.yaml',
  text: `version: 1\n${extra}enabled: true\nconnect: crm\nappliesTo: [noojee]\nrows: []\nnoMatch: { createLead: true, success: true }\nonError: { createLead: true, success: true }\n`,
});

function errorsOf(files: RuleFile[], env: Record<string, string> = ENV) {
  const result = compileRuleSet([dialer, ...files], env);
  return result.ok ? [] : result.errors;
}

describe('secrets in rule files come from the environment', () => {
  it.each([
    ['Authorization: "Bearer abc123"', 'headers.Authorization'],
    ['X-Api-Key: abc123', 'headers.X-Api-Key'],
    ['X-Auth-Token: abc123', 'headers.X-Auth-Token'],
    ['Client-Secret: abc123', 'headers.Client-Secret'],
  ])('a literal credential header is a load error: %s', (header, path) => {
    expect(errorsOf([connect(header)])).toEqual([
      { file: 'connects/crm.yaml', path, message: 'a secret must come from the environment: write ${env:NAME} (a literal secret is allowed only in a file marked demo: true)' },
    ]);
  });

  it('a credential header from the environment loads, and other headers may be literal', () => {
    expect(errorsOf([connect('Authorization: "Bearer ${env:CRM_TOKEN}"')])).toEqual([]);
    expect(errorsOf([connect('Accept-Language: en-AU')])).toEqual([]);
  });

  it('a literal webhook secret is a load error; one from the environment loads', () => {
    expect(errorsOf([source('demo-webhook-secret')])).toEqual([
      { file: 'sources/form.yaml', path: 'signature.secrets[0]', message: expect.stringContaining('a secret must come from the environment') },
    ]);
    expect(errorsOf([source('${env:HOOK_SECRET}')])).toEqual([]);
  });

  it('a file marked demo: true may hold literal secrets', () => {
    expect(errorsOf([connect('Authorization: "Bearer abc123"', 'demo: true\n'), source('demo-webhook-secret', 'demo: true\n')])).toEqual([]);
  });

  it('demo must be a boolean', () => {
    expect(errorsOf([connect('Accept: x', 'demo: yes please\n')])).toEqual([{ file: 'connects/crm.yaml', path: 'demo', message: 'must be true or false' }]);
  });
});

describe('demo files', () => {
  const demoConnect = connect('Authorization: "Bearer abc123"', 'demo: true\n');

  it('load while the demo is on and are listed as such', () => {
    const result = compileRuleSet([dialer, demoConnect, table()], { LEADGATE_DEMO: '1' });
    expect(result.ok && result.rules.demoFiles).toEqual({ loaded: ['connects/crm.yaml'], skipped: [] });
    expect(result.ok && result.rules.connects.has('crm')).toBe(true);
  });

  it.each(['0', 'false', 'off'])('are left out with LEADGATE_DEMO=%s', (flag) => {
    const result = compileRuleSet([dialer, demoConnect], { LEADGATE_DEMO: flag });
    expect(result.ok && result.rules.connects.size).toBe(0);
    expect(result.ok && result.rules.demoFiles).toEqual({ loaded: [], skipped: ['connects/crm.yaml'] });
    expect(result.ok && result.rules.files.map((f) => f.path)).toEqual(['dialer.yaml']);
  });

  it('a file that needs a demo file fails with the demo off, saying why', () => {
    expect(errorsOf([demoConnect, table()], { LEADGATE_DEMO: '0' })).toEqual([
      {
        file: 'duplicate-check.yaml',
        path: 'connect',
        message: 'names no connect: expected connects/crm.yaml (connects/crm.yaml is marked demo: true and is loaded only while LEADGATE_DEMO is on)',
      },
    ]);
  });

  it('the shipped rules: the whole demo with the demo on; the dialer alone, and no literal secret, with it off', async () => {
    const files = await readRulesDir(join(ROOT, 'rules'));
    const on = compileRuleSet(files, {});
    expect(on.ok && [...on.rules.demoFiles.loaded].sort()).toEqual(['connects/demo-crm.yaml', 'destinations/demo-dialer.yaml', 'duplicate-check.yaml', 'sources/demo-form.yaml']);
    const off = compileRuleSet(files, { LEADGATE_DEMO: '0' });
    expect(off.ok).toBe(true);
    if (!off.ok) return;
    expect(off.rules.duplicateCheck).toBeUndefined();
    expect(off.rules.sources.size).toBe(0);
    expect(off.rules.destinations.size).toBe(0);
    expect(off.rules.files.map((f) => f.path)).toEqual(['dialer.yaml']);
  });
});
