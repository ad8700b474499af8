import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker, ROOT } from './wrangler.js';

/** A noojee destination routing the fixture's campaign 10 (SPEC 10.1) */
const destination = (apiKey: string) =>
  `version: 1\nkind: noojee\nurl: https://pbx.example.com\ncredentials: { apiKey: "${apiKey}" }\nroutes:\n  - { match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }\n`;

/**
 * The Worker as `wrangler deploy` would upload it (--dry-run --outdir): built through the rules
 * step, and free of the Node-only parts.
 */

let out: string;
let code: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'leadgate-worker-bundle-'));
  const built = await buildWorker(out);
  if (built.code !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${built.output}`);
  code = await readFile(join(out, 'worker.js'), 'utf8');
}, 120_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

/** Module ids as esbuild writes them into an unminified bundle: `// node_modules/undici/index.js` */
const bundledPackages = () => new Set([...code.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
const imports = () => new Set([...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!));

describe('the Worker bundle', () => {
  it('holds the app and its portable dependencies', () => {
    expect([...bundledPackages()]).toEqual(expect.arrayContaining(['hono', 'zod', 'postgres', 'yaml', 'jsonpath-plus', 'libphonenumber-js']));
  });

  it.each(['undici', '@electric-sql/pglite', 'pino', 'pino-std-serializers', 'sonic-boom', 'thread-stream', 'prom-client', '@hono/node-server'])(
    'contains nothing of %s',
    (pkg) => {
      expect(bundledPackages().has(pkg)).toBe(false);
      expect(code).not.toMatch(new RegExp(`node_modules/${pkg.replace('/', '\\/')}/`));
    },
  );

  it('imports no node:fs, worker threads or other Node-only module', () => {
    const nodeOnly = [...imports()].filter((m) => /^(node:)?(fs|fs\/promises|worker_threads|child_process|cluster|net|dns|http|https)$/.test(m));
    expect(nodeOnly).toEqual([]);
    expect(code).not.toMatch(/require\(["'](node:)?fs["']\)/);
    // the migrator reads drizzle/ from disk: migrations run before a deploy, never in the Worker
    expect(code).not.toContain('migrations folder not found');
  });

  it('carries the rules folder as it was at build time', async () => {
    const dialer = await readFile(join(ROOT, 'rules/dialer.yaml'), 'utf8');
    // esbuild writes a string in whichever quotes need the fewest escapes
    const escaped = dialer.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    const literals = [JSON.stringify(dialer), `'${escaped.replace(/'/g, "\\'")}'`, `\`${dialer.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``];
    expect(literals.some((literal) => code.includes(literal)), 'the bundle holds rules/dialer.yaml as a string literal').toBe(true);
  });

  it('leaves the demo files out: no demo destination, connect or source, and none of their literal secrets', () => {
    // The demo dialer's key is not looked for: the demo dialer itself (src/demo) is part of the app
    // and knows its own key; what must stay out is the demo destination file that uses it.
    for (const demo of ['destinations/demo-dialer.yaml', "the DIALER's ids", 'connects/demo-crm.yaml', 'sources/demo-form.yaml', 'demo-webhook-secret']) {
      expect(code, demo).not.toContain(demo);
    }
  });

  it('fits the size budget (under 1 MiB gzip); the figure is printed', () => {
    const raw = Buffer.byteLength(code);
    const gzip = gzipSync(code, { level: 9 }).byteLength;
    console.log(`Worker bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzip`);
    expect(gzip).toBeLessThan(1024 * 1024);
  });
});

describe('the rules step of the build', () => {
  it("fails the build with the loader's file, path and message", async () => {
    const bad = await mkdtemp(join(tmpdir(), 'leadgate-bad-rules-'));
    const failedOut = await mkdtemp(join(tmpdir(), 'leadgate-worker-bad-'));
    try {
      await cp(join(ROOT, 'test/fixtures/rules/basic'), bad, { recursive: true });
      const dialer = await readFile(join(bad, 'dialer.yaml'), 'utf8');
      await writeFile(join(bad, 'dialer.yaml'), dialer.replace('dedupe: campaign', 'dedupe: sometimes'));
      await writeFile(join(bad, 'duplicate-check.yaml'), 'version: 1\nenabled: true\nconnect: nowhere\nrows: []\n');
      await mkdir(join(bad, 'destinations'));
      await writeFile(join(bad, 'destinations/pbx.yaml'), destination('pbx-literal-key'));
      const built = await buildWorker(failedOut, { RULES_DIR: bad });
      expect(built.code).not.toBe(0);
      expect(built.output).toMatch(/dialer\.yaml at templates\[0\]\.dedupe: /);
      expect(built.output).toMatch(/duplicate-check\.yaml at (noMatch|onError): /);
      expect(built.output).toContain('destinations/pbx.yaml at credentials.apiKey: a secret must come from the environment');
      expect(built.output).toContain('the Worker was not built');
    } finally {
      await rm(bad, { recursive: true, force: true });
      await rm(failedOut, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the rules step of the build: destinations', () => {
  it('bundles a destination and leaves a demo destination out', async () => {
    const rules = await mkdtemp(join(tmpdir(), 'leadgate-destination-rules-'));
    const builtOut = await mkdtemp(join(tmpdir(), 'leadgate-worker-destinations-'));
    try {
      await cp(join(ROOT, 'test/fixtures/rules/basic'), rules, { recursive: true });
      await mkdir(join(rules, 'destinations'));
      await writeFile(join(rules, 'destinations/pbx.yaml'), destination('${env:PBX_KEY}'));
      await writeFile(join(rules, 'destinations/demo-pbx.yaml'), `demo: true\n${destination('demo-pbx-literal-key')}`);
      const built = await buildWorker(builtOut, { RULES_DIR: rules });
      expect(built.code, built.output).toBe(0);
      expect(built.output).toContain('bundled 2 rule file(s)');
      expect(built.output).toContain('left out 1 demo file(s): destinations/demo-pbx.yaml');
      const worker = await readFile(join(builtOut, 'worker.js'), 'utf8');
      expect(worker).toContain('destinations/pbx.yaml');
      expect(worker).not.toContain('destinations/demo-pbx.yaml');
      expect(worker).not.toContain('demo-pbx-literal-key');
    } finally {
      await rm(rules, { recursive: true, force: true });
      await rm(builtOut, { recursive: true, force: true });
    }
  }, 120_000);
});
