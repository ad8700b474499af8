import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/admin/routes.js';
import { admin, createAdminTestApp } from '../support/admin.js';
import { CRM_TOKEN, crmConnect } from '../support/crm-rules.js';
import { ADMIN_TOKEN, BASIC_RULES, postNoojee, type TestApp } from '../support/test-app.js';

const PBX_KEY = 'pbx-key-6610';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ORIGINAL = await readFile(join(BASIC_RULES, 'dialer.yaml'), 'utf8');
const WITH_CAMPAIGN_12 = `${ORIGINAL.trimEnd()}\n  - { id: 12, name: Added, templateId: 1, allocations: [{ id: 120, name: added }, { id: 121, name: a15-2 }] }\n`;
const BAD_COUNTRY = ORIGINAL.replace('country: AU', 'country: QQ');
const BAD_COUNTRY_ERRORS = [{ file: 'dialer.yaml', path: 'templates[0].country', message: "unknown region code 'QQ'" }];

let t: TestApp;
let rulesDir: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ t, rulesDir, close } = await createAdminTestApp({ env: { CRM_TOKEN, PBX_KEY } }));
});
afterAll(() => close());
beforeEach(async () => {
  // every test starts from the fixture's dialer.yaml, loaded
  await writeFile(join(rulesDir, 'dialer.yaml'), ORIGINAL);
  await rm(join(rulesDir, 'connects'), { recursive: true, force: true });
  await rm(join(rulesDir, 'destinations'), { recursive: true, force: true });
  await t.admin.editor!.put('dialer.yaml', ORIGINAL, { kind: 'ifMatch', etags: '*' });
});

const put = (path: string, text: string, headers: Record<string, string> = {}) => admin(t.app, 'PUT', `/admin/rules/${path}`, { body: text, headers: { 'content-type': 'application/yaml', ...headers } });
const onDisk = () => readFile(join(rulesDir, 'dialer.yaml'), 'utf8');

describe('GET /admin/rules', () => {
  it('lists every rule file with its sha256 ETag', async () => {
    const res = await admin(t.app, 'GET', '/admin/rules');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ files: [{ path: 'dialer.yaml', etag: sha(ORIGINAL) }] });
  });

  it('answers one file as raw text with its ETag, and 404 for a missing one', async () => {
    const res = await admin(t.app, 'GET', '/admin/rules/dialer.yaml');
    expect(res.status).toBe(200);
    expect(res.text).toBe(ORIGINAL);
    expect(res.headers.get('etag')).toBe(`"${sha(ORIGINAL)}"`);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    const missing = await admin(t.app, 'GET', '/admin/rules/connects/none.yaml');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'no such rule file: connects/none.yaml' });
  });
});

describe('PUT /admin/rules/{path}', () => {
  it('writes, reloads (a new campaign is accepted at once) and answers the new ETag', async () => {
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0412000120' }, { fCampaignId: 12, fAllocationId: 120 })).body.code).toBe(117);
    const version = t.rules.version;
    const res = await put('dialer.yaml', WITH_CAMPAIGN_12, { 'if-match': `"${sha(ORIGINAL)}"` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ path: 'dialer.yaml', etag: sha(WITH_CAMPAIGN_12) });
    expect(res.headers.get('etag')).toBe(`"${sha(WITH_CAMPAIGN_12)}"`);
    expect(await onDisk()).toBe(WITH_CAMPAIGN_12);
    expect(t.rules.version).toBe(version + 1);
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0412000120' }, { fCampaignId: 12, fAllocationId: 120 })).body).toMatchObject({ code: 0 });
  });

  it('answers 428 without If-Match and writes nothing', async () => {
    const res = await put('dialer.yaml', WITH_CAMPAIGN_12);
    expect(res.status).toBe(428);
    expect(res.json).toEqual({ error: "If-Match is required: the file's ETag (from GET), or If-None-Match: * to create a new file" });
    expect(await onDisk()).toBe(ORIGINAL);
  });

  it('answers 412 with the current ETag when the file changed since it was read', async () => {
    const res = await put('dialer.yaml', WITH_CAMPAIGN_12, { 'if-match': `"${sha('an older version')}"` });
    expect(res.status).toBe(412);
    expect(res.json).toEqual({ error: 'the file changed since it was read', etag: sha(ORIGINAL) });
    expect(await onDisk()).toBe(ORIGINAL);
  });

  it('answers 422 with every error when the set would not load, leaving the file and the active rules alone', async () => {
    const before = t.rules.current();
    const broken = BAD_COUNTRY.replace('dedupe: campaign', 'dedupe: sometimes');
    const res = await put('dialer.yaml', broken, { 'if-match': sha(ORIGINAL) });
    expect(res.status).toBe(422);
    expect(res.json).toEqual({
      error: 'the rules folder would not load with this file; nothing was written',
      errors: [{ file: 'dialer.yaml', path: 'templates[0].dedupe', message: 'Invalid option: expected one of "allocation"|"campaign"|"global"|"none"' }],
    });
    const second = await put('dialer.yaml', BAD_COUNTRY, { 'if-match': sha(ORIGINAL) });
    expect(second.json).toEqual({ error: 'the rules folder would not load with this file; nothing was written', errors: BAD_COUNTRY_ERRORS });
    expect(await onDisk()).toBe(ORIGINAL);
    expect(t.rules.current()).toBe(before);
    const yamlError = await put('dialer.yaml', 'version: 1\ntemplates: [', { 'if-match': sha(ORIGINAL) });
    expect(yamlError.status).toBe(422);
    expect((yamlError.json.errors as Array<{ file: string }>)[0]).toMatchObject({ file: 'dialer.yaml', path: expect.stringMatching(/^line \d+, column \d+$/) });
  });

  it('answers 422 to deeply nested text, as often as it is sent (the YAML composer would overflow its stack)', async () => {
    for (const text of ['['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(1000) + '1' + '}'.repeat(1000), '['.repeat(5000)]) {
      for (let i = 0; i < 3; i += 1) {
        const res = await put('dialer.yaml', text, { 'if-match': sha(ORIGINAL) });
        expect(res.status).toBe(422);
        expect(res.json).toEqual({
          error: 'the rules folder would not load with this file; nothing was written',
          errors: [{ file: 'dialer.yaml', path: '', message: 'collections are nested more than 64 levels deep' }],
        });
      }
    }
    expect(await onDisk()).toBe(ORIGINAL);
  });

  it('lets exactly one of two PUTs carrying the same ETag win', async () => {
    const other = WITH_CAMPAIGN_12.replace('name: Added', 'name: Other');
    const [a, b] = await Promise.all([
      put('dialer.yaml', WITH_CAMPAIGN_12, { 'if-match': sha(ORIGINAL) }),
      put('dialer.yaml', other, { 'if-match': sha(ORIGINAL) }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const winner = a.status === 200 ? WITH_CAMPAIGN_12 : other;
    expect([a, b].find((r) => r.status === 412)!.json).toEqual({ error: 'the file changed since it was read', etag: sha(winner) });
    expect(await onDisk()).toBe(winner);
  });

  it('creates a file (and its folder) with If-None-Match: *, once', async () => {
    const connect = stringify(crmConnect('http://127.0.0.1:9'));
    const res = await put('connects/crm.yaml', connect, { 'if-none-match': '*' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ path: 'connects/crm.yaml', etag: sha(connect) });
    expect(t.rules.current().connects.has('crm')).toBe(true);
    const again = await put('connects/crm.yaml', connect, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.json).toEqual({ error: 'the file already exists', etag: sha(connect) });
    const star = await put('connects/other.yaml', connect, { 'if-match': '*' });
    expect(star.status).toBe(412);
    expect(star.json).toEqual({ error: 'the file does not exist (create it with If-None-Match: *)', etag: null });
  });

  it('refuses both preconditions at once, and an If-None-Match other than *', async () => {
    const both = await put('dialer.yaml', ORIGINAL, { 'if-match': sha(ORIGINAL), 'if-none-match': '*' });
    expect(both.status).toBe(400);
    expect(both.json).toEqual({ error: 'send either If-Match or If-None-Match, not both' });
    const etag = await put('dialer.yaml', ORIGINAL, { 'if-none-match': `"${sha(ORIGINAL)}"` });
    expect(etag.status).toBe(400);
    expect(etag.json).toEqual({ error: 'invalid precondition: if-none-match: Invalid input: expected "*"' });
  });

  it('answers 413 for a file over the body limit', async () => {
    const res = await put('dialer.yaml', `# ${'x'.repeat(1024 * 1024)}\n${ORIGINAL}`, { 'if-match': sha(ORIGINAL) });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'the file is too large' });
  });
});

describe('PUT /admin/rules/destinations/{name}.yaml', () => {
  const destination = (overrides: Record<string, unknown> = {}) =>
    stringify({
      version: 1,
      kind: 'noojee',
      url: 'https://pbx.example.com',
      credentials: { apiKey: '${env:PBX_KEY}' },
      routes: [{ match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }],
      ...overrides,
    });

  it('creates a destination, then edits it: each write is active at once', async () => {
    const first = destination();
    const created = await put('destinations/pbx.yaml', first, { 'if-none-match': '*' });
    expect([created.status, created.json]).toEqual([201, { path: 'destinations/pbx.yaml', etag: sha(first) }]);
    expect(t.rules.current().destinations.get('pbx')).toMatchObject({ kind: 'noojee', credentials: { apiKey: PBX_KEY }, maxConcurrency: 2 });

    const second = destination({ maxConcurrency: 4 });
    const edited = await put('destinations/pbx.yaml', second, { 'if-match': sha(first) });
    expect([edited.status, edited.json]).toEqual([200, { path: 'destinations/pbx.yaml', etag: sha(second) }]);
    expect(await readFile(join(rulesDir, 'destinations/pbx.yaml'), 'utf8')).toBe(second);
    expect(t.rules.current().destinations.get('pbx')?.maxConcurrency).toBe(4);
  });

  it('answers 422 with the precise errors of a bad destination, writing nothing', async () => {
    const before = t.rules.current();
    const res = await put(
      'destinations/pbx.yaml',
      destination({ credentials: { apiKey: 'literal' }, forward: ['insert', 'dnc'], routes: [{ match: { campaignId: 99 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }] }),
      { 'if-none-match': '*' },
    );
    expect(res.status).toBe(422);
    expect(res.json).toEqual({
      error: 'the rules folder would not load with this file; nothing was written',
      errors: [
        { file: 'destinations/pbx.yaml', path: 'forward[1]', message: 'Noojee has no DNC API: a noojee destination cannot forward dnc' },
      ],
    });
    const second = await put('destinations/pbx.yaml', destination({ credentials: { apiKey: 'literal' }, routes: [{ match: { campaignId: 99 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }] }), {
      'if-none-match': '*',
    });
    expect(second.json).toEqual({
      error: 'the rules folder would not load with this file; nothing was written',
      errors: [
        {
          file: 'destinations/pbx.yaml',
          path: 'credentials.apiKey',
          message: 'a secret must come from the environment: write ${env:NAME} (a literal secret is allowed only in a file marked demo: true)',
        },
        { file: 'destinations/pbx.yaml', path: 'routes[0].match.campaignId', message: 'campaign 99 does not exist in dialer.yaml: this route would never match' },
      ],
    });
    expect((await admin(t.app, 'GET', '/admin/rules/destinations/pbx.yaml')).status).toBe(404);
    expect(t.rules.current()).toBe(before);
  });
});

describe('POST /admin/rules/validate/{path}', () => {
  it('answers the errors a PUT would, and writes nothing either way', async () => {
    const bad = await admin(t.app, 'POST', '/admin/rules/validate/dialer.yaml', { body: BAD_COUNTRY });
    expect(bad.status).toBe(422);
    expect(bad.json).toEqual({ error: 'the rules folder would not load with this file', errors: BAD_COUNTRY_ERRORS });
    const good = await admin(t.app, 'POST', '/admin/rules/validate/dialer.yaml', { body: WITH_CAMPAIGN_12 });
    expect(good.status).toBe(200);
    expect(good.json).toEqual({ path: 'dialer.yaml', valid: true, etag: sha(WITH_CAMPAIGN_12) });
    expect(await onDisk()).toBe(ORIGINAL);
    expect(t.rules.current().dialer.campaigns.has(12)).toBe(false);
  });
});

describe('paths are confined to the rules folder', () => {
  const INVALID = 'invalid rule file path: ';
  it.each([
    ['..%2fdialer.yaml', 'the path may not leave the rules folder'],
    ['%2e%2e%2fdialer.yaml', 'the path may not leave the rules folder'],
    ['connects%2f..%2f..%2foutside.yaml', 'the path may not leave the rules folder'],
    ['..%5cdialer.yaml', 'the path may not leave the rules folder'],
    ['%2fetc%2fleadgate.yaml', 'the path must be relative to the rules folder'],
    ['%5cetc%5cleadgate.yaml', 'the path must be relative to the rules folder'],
    ['C:%5cleadgate.yaml', 'the path must be relative to the rules folder'],
    ['%252e%252e%252fdialer.yaml', 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)'],
    ['notes.txt', 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)'],
    ['a/b/c.yaml', 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)'],
    ['.hidden.yaml', 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)'],
    ['dialer.yaml%00.txt', 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)'],
    ['%E2%82', 'the path is not valid percent-encoding'],
  ])('refuses %s on GET, PUT and validate', async (path, message) => {
    for (const res of [
      await admin(t.app, 'GET', `/admin/rules/${path}`),
      await put(path, ORIGINAL, { 'if-match': '*' }),
      await admin(t.app, 'POST', `/admin/rules/validate/${path}`, { body: ORIGINAL }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: INVALID + message });
    }
    expect(await onDisk()).toBe(ORIGINAL);
  });

  it('never reaches a file outside through dot segments the URL resolves itself', async () => {
    // `/admin/rules/../dialer.yaml` is `/admin/dialer.yaml` by the time it is routed: no route
    for (const path of ['/admin/rules/../dialer.yaml', '/admin/rules/%2e%2e/dialer.yaml']) {
      const res = await admin(t.app, 'PUT', path, { body: 'x', headers: { 'if-match': '*' } });
      expect(res.status).toBe(404);
    }
    expect(await onDisk()).toBe(ORIGINAL);
  });

  it('refuses symbolic links, to files and to folders, instead of following them', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'leadgate-outside-'));
    try {
      await writeFile(join(outside, 'secret.yaml'), 'version: 1\n');
      await symlink(join(outside, 'secret.yaml'), join(rulesDir, 'linked.yaml'));
      await symlink(outside, join(rulesDir, 'sources'));
      expect((await admin(t.app, 'GET', '/admin/rules')).json).toEqual({ files: [{ path: 'dialer.yaml', etag: sha(ORIGINAL) }] });
      const read = await admin(t.app, 'GET', '/admin/rules/linked.yaml');
      expect(read.status).toBe(400);
      expect(read.json).toEqual({ error: 'invalid rule file path: linked.yaml is a symbolic link; links are not edited through the admin API' });
      const write = await put('linked.yaml', 'version: 1\n', { 'if-match': '*' });
      expect(write.json).toEqual({ error: 'invalid rule file path: linked.yaml is a symbolic link; links are not edited through the admin API' });
      const inFolder = await put('sources/secret.yaml', 'version: 1\n', { 'if-match': '*' });
      expect(inFolder.status).toBe(400);
      expect(inFolder.json).toEqual({ error: 'invalid rule file path: sources is a symbolic link; links are not edited through the admin API' });
      expect(await readFile(join(outside, 'secret.yaml'), 'utf8')).toBe('version: 1\n');
    } finally {
      await rm(join(rulesDir, 'linked.yaml'), { force: true });
      await rm(join(rulesDir, 'sources'), { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('audit of rule writes', () => {
  it('keeps a write that succeeded when the audit store is down, and logs the entry instead', async () => {
    const other = await createAdminTestApp();
    try {
      await other.t.backend.close();
      const res = await admin(other.t.app, 'PUT', '/admin/rules/dialer.yaml', { body: WITH_CAMPAIGN_12, headers: { 'if-match': sha(ORIGINAL) } });
      expect(res.status).toBe(200);
      expect(await readFile(join(other.rulesDir, 'dialer.yaml'), 'utf8')).toBe(WITH_CAMPAIGN_12);
      const logged = other.t.logLines.map((l) => JSON.parse(l) as { event?: string; audit?: unknown }).find((l) => l.event === 'admin.audit_failed');
      expect(logged?.audit).toMatchObject({ action: 'PUT /admin/rules/{path}', target: 'dialer.yaml', beforeSha256: sha(ORIGINAL), afterSha256: sha(WITH_CAMPAIGN_12) });
    } finally {
      await other.close().catch(() => undefined);
    }
  });

  it('records who, what and the before/after digests', async () => {
    const res = await put('dialer.yaml', WITH_CAMPAIGN_12, { 'if-match': sha(ORIGINAL) });
    expect(res.status).toBe(200);
    const audit = await admin(t.app, 'GET', '/admin/audit?limit=1');
    expect(audit.json).toEqual({
      offset: 0,
      limit: 1,
      total: expect.any(Number),
      entries: [
        {
          id: expect.any(String),
          actor: adminActor(ADMIN_TOKEN),
          action: 'PUT /admin/rules/{path}',
          target: 'dialer.yaml',
          beforeSha256: sha(ORIGINAL),
          afterSha256: sha(WITH_CAMPAIGN_12),
          detail: null,
          requestId: expect.any(String),
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ],
    });
  });
});

describe('what a rule file may be', () => {
  it('names every repeated key, in file order, and checks a 50,000-key mapping in reasonable time', async () => {
    const dup = await admin(t.app, 'POST', '/admin/rules/validate/dialer.yaml', { body: `${ORIGINAL}templates: []\nversion: 1\n` });
    expect(dup.json).toEqual({
      error: 'the rules folder would not load with this file',
      errors: [
        { file: 'dialer.yaml', path: `line ${ORIGINAL.split('\n').length}, column 1`, message: "Map keys must be unique: 'templates' is given twice" },
        { file: 'dialer.yaml', path: `line ${ORIGINAL.split('\n').length + 1}, column 1`, message: "Map keys must be unique: 'version' is given twice" },
      ],
    });
    const keys = Array.from({ length: 50_000 }, (_, i) => `"k${i}": ${i}`).join(', ');
    const started = performance.now();
    const wide = await admin(t.app, 'POST', '/admin/rules/validate/dialer.yaml', { body: `${ORIGINAL}extra: {${keys}}\n` });
    expect(wide.status).toBe(422);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
