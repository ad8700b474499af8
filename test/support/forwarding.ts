import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC_RULES } from './test-app.js';

/** A rules folder: the basic fixture's dialer.yaml plus these `destinations/<name>.yaml` files. */
export async function rulesWithDestinations(destinations: Record<string, string>): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-forward-'));
  await copyFile(join(BASIC_RULES, 'dialer.yaml'), join(dir, 'dialer.yaml'));
  await mkdir(join(dir, 'destinations'));
  for (const [name, text] of Object.entries(destinations)) await writeFile(join(dir, 'destinations', `${name}.yaml`), text);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it holds; fails with `what` after `ms`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A destination file for the tests: the fake's URL, the demo campaign's route, fast retries;
 * `settings` adds or replaces top-level keys (values as YAML text, e.g. `{ mode: 'sync' }`).
 * Kind http: `credentials` are its headers, and the answer is read as `{"status":"ok","id":…}`
 * unless `settings.http` says otherwise.
 */
export function destinationYaml(kind: string, url: string, credentials: Record<string, string>, settings: Record<string, string> = {}): string {
  const to = kind === 'noojee' ? '{ templateId: 1, campaignId: 10, allocationId: 100 }' : kind === 'http' ? '{}' : '{ listId: 5 }';
  const top: Record<string, string> = {
    timeoutMs: '2000',
    retry: '{ firstDelayMs: 50, maxDelayMs: 200, maxAttempts: 20 }',
    ...(kind === 'http' ? { http: '{ success: { key: "$.status", value: ok }, leadId: "$.id" }' } : {}),
    ...settings,
  };
  const entries = Object.entries(credentials);
  const credentialLines =
    kind !== 'http'
      ? entries.map(([k, v]) => `  ${k}: "${v}"`)
      : entries.length === 0
        ? ['  headers: {}']
        : ['  headers:', ...entries.map(([k, v]) => `    ${k}: "${v}"`)];
  return [
    'version: 1',
    `kind: ${kind}`,
    `url: ${url}`,
    'credentials:',
    ...credentialLines,
    'allowPrivateNetwork: true',
    'routes:',
    '  - match: { campaignId: 10 }',
    `    to: ${to}`,
    ...Object.entries(top).map(([k, v]) => `${k}: ${v}`),
    '',
  ].join('\n');
}
