import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC_RULES, createTestApp, type TestApp } from './test-app.js';

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

/** Things a test opened, closed after it in reverse order (`afterEach(opened.closeAll)`). */
export function openedThings() {
  const open: Array<() => Promise<void>> = [];
  return {
    add(close: () => Promise<void>) {
      open.push(close);
    },
    async closeAll() {
      for (const close of open.splice(0).reverse()) await close();
    },
  };
}

/** The real app over a fresh store, its rules holding one destination file; the worker polls every 20 ms once started. */
export async function appWithDestination(opened: ReturnType<typeof openedThings>, name: string, yaml: string, env: Record<string, string>): Promise<TestApp> {
  const rules = await rulesWithDestinations({ [name]: yaml });
  opened.add(() => rules.remove());
  const t = await createTestApp({ rulesDir: rules.dir, env, deliveryPollMs: 20 });
  opened.add(() => t.close());
  return t;
}

export interface DeliveryRow {
  id: string;
  lead_id: string | null;
  event: string;
  state: string;
  attempt_count: number;
  dialer_lead_id: string | null;
  last_outcome: string | null;
  uncertain: boolean;
}

/** Every delivery (DNC fan-out rows left out), oldest first. */
export const deliveryRows = (t: TestApp) =>
  t.backend.runner.query<DeliveryRow>(
    `select id::text, lead_id::text, event, state, attempt_count, dialer_lead_id, last_outcome, uncertain from deliveries where state <> 'fanout' order by id`,
  );

/** Exactly `n` deliveries, all in `state`. */
export async function allInState(t: TestApp, n: number, state = 'delivered'): Promise<boolean> {
  const rows = await deliveryRows(t);
  return rows.length === n && rows.every((r) => r.state === state);
}
