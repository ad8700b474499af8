/**
 * Property tests of the admin writes the endpoint table cannot drive (PUT, DELETE): whatever the
 * path, preconditions and body, the answer is a documented status with a JSON error, nothing
 * outside the rules folder changes, and the rules on disk are always a set that loads and is the
 * one active. A new seed every run, printed by fast-check on failure and replayed with LEADGATE_FUZZ_SEED (test/support/property-runs.ts).
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { runs, send } from '../fuzz/fuzz-kit.js';
import { hostileString, rawQueryValue } from '../fuzz/generators.js';
import { ADMIN_TOKEN, BASIC_RULES, createTestApp, type TestApp } from '../support/test-app.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ORIGINAL = await readFile(join(BASIC_RULES, 'dialer.yaml'), 'utf8');
const SENTINEL = 'version: 1\n# outside the rules folder: must never change\n';

let parent: string;
let rulesDir: string;
let t: TestApp;
beforeAll(async () => {
  // the rules folder sits beside files a traversal would aim at
  parent = await mkdtemp(join(tmpdir(), 'leadgate-admin-fuzz-'));
  rulesDir = join(parent, 'rules');
  await cp(BASIC_RULES, rulesDir, { recursive: true });
  await writeFile(join(parent, 'dialer.yaml'), SENTINEL);
  await mkdir(join(parent, 'connects'));
  await writeFile(join(parent, 'connects', 'x.yaml'), SENTINEL);
  t = await createTestApp({ rulesDir });
});
afterAll(async () => {
  await t.close();
  await rm(parent, { recursive: true, force: true });
});

const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
const expectError = (answer: { json: unknown; headers: Headers }) => {
  expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(answer.json).toMatchObject({ error: expect.stringMatching(/\S/) });
  // 412 names the current ETag, 422 the errors, the app's 404 the path
  for (const key of Object.keys(answer.json as object)) expect(['error', 'errors', 'etag', 'path']).toContain(key);
};

describe('PUT /admin/rules/{path}', () => {
  const segment = fc.oneof(
    fc.constantFrom('dialer.yaml', 'x.yaml', 'connects', 'sources', 'new.json', '..', '.', '%2e%2e', '%2E%2E%2F', '..%2f', '%2f', '%5c', '%00', '%252e', '%zz', 'C:', '~', '.x.yaml', 'a.txt'),
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))),
  );
  const path = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('dialer.yaml', 'connects/x.yaml', 'sources/x.yaml', 'notes.yaml') },
    { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')) },
  );
  const ifMatch = fc.oneof(
    { weight: 3, arbitrary: fc.constant('current') },
    { weight: 3, arbitrary: fc.constantFrom(undefined, '*', 'W/current', 'stale', '"a", current', '', 'junk"') },
  );
  const ifNoneMatch = fc.option(fc.constantFrom('*', 'current', 'x'), { nil: undefined });
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(ORIGINAL, `${ORIGINAL}# edited\n`) },
    fc.constant(ORIGINAL.replace('country: AU', 'country: QQ')),
    fc.constant('version: 1\n'),
    hostileString,
  );

  it('answers a documented status, never writes outside the folder, and keeps disk and active rules a set that loads', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(path, ifMatch, ifNoneMatch, body, async (p, match, noneMatch, text) => {
        const url = `/admin/rules/${p}`;
        try {
          new Request(new URL(url, 'http://localhost'));
        } catch {
          return;
        }
        const current = sha(await readFile(join(rulesDir, 'dialer.yaml'), 'utf8'));
        const resolve = (v: string) => v.replace('current', `"${current}"`);
        const headers: Record<string, string> = { ...AUTH, 'content-type': 'text/plain' };
        if (match !== undefined) headers['if-match'] = resolve(match);
        if (noneMatch !== undefined) headers['if-none-match'] = resolve(noneMatch);
        const answer = await send(t.app, { method: 'PUT', url, headers, body: text });
        seen.add(answer.status);
        expect([200, 201, 400, 404, 409, 412, 413, 422, 428], `${answer.status} ${answer.text.slice(0, 200)}`).toContain(answer.status);
        if (answer.status === 200 || answer.status === 201) expect(answer.json).toEqual({ path: expect.any(String), etag: sha(text) });
        else expectError(answer);

        expect(await readFile(join(parent, 'dialer.yaml'), 'utf8')).toBe(SENTINEL);
        expect(await readFile(join(parent, 'connects', 'x.yaml'), 'utf8')).toBe(SENTINEL);
        const onDisk = await readRulesDir(rulesDir);
        const loaded = compileRuleSet(onDisk);
        expect(loaded.ok, JSON.stringify(loaded.ok ? [] : loaded.errors)).toBe(true);
        expect(t.rules.current().files).toEqual(onDisk.map((f) => ({ path: f.path, etag: sha(f.text) })));
      }),
      {
        ...runs(150),
        // With a new seed every run, the interesting answers are made sure of, not left to chance.
        examples: [
          ['dialer.yaml', undefined, undefined, ORIGINAL],
          ['dialer.yaml', 'current', undefined, `${ORIGINAL}# edited\n`],
          ['dialer.yaml', 'stale', undefined, ORIGINAL],
          ['dialer.yaml', 'current', undefined, ORIGINAL.replace('country: AU', 'country: QQ')],
          ['dialer.yaml', 'current', '*', ORIGINAL],
        ],
      },
    );
    // every kind of answer was reached, not only refusals of the path
    expect([...seen].sort()).toEqual(expect.arrayContaining([200, 400, 412, 422, 428]));
  }, 120_000);
});

describe('DELETE /admin/dnc and /admin/api-keys/{id}', () => {
  it('answer a documented status with a JSON body, whatever the query or id', async () => {
    const id = fc.oneof(fc.constantFrom('1', '0', '-1', '1e3', '99999999999999999999', '%00', '..', '%2e%2e'), hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))));
    await fc.assert(
      fc.asyncProperty(fc.option(rawQueryValue, { nil: undefined }), fc.option(rawQueryValue, { nil: undefined }), id, async (phone, campaign, keyId) => {
        const query = [phone === undefined ? '' : `phone=${phone}`, campaign === undefined ? '' : `campaignId=${campaign}`].filter(Boolean).join('&');
        for (const url of [`/admin/dnc${query ? `?${query}` : ''}`, `/admin/api-keys/${keyId}`]) {
          try {
            new Request(new URL(url, 'http://localhost'));
          } catch {
            continue;
          }
          const answer = await send(t.app, { method: 'DELETE', url, headers: AUTH });
          expect([200, 400, 404, 422], `${url} ${answer.status} ${answer.text.slice(0, 200)}`).toContain(answer.status);
          expect(answer.json).toEqual(expect.any(Object));
          if (answer.status !== 200) expectError(answer);
        }
      }),
      runs(80),
    );
  }, 120_000);
});
