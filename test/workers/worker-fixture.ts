import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOOK_ENV, writeHookSources } from '../cases/hooks-cases.js';
import type { PostNoojee } from '../cases/noojee-insert-cases.js';
import { CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { API_KEY, noojeeUrl } from '../support/test-app.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';
import { startWranglerDev, withPassword, type WranglerDev } from './wrangler.js';

/**
 * Why the workerd tests need a server: the Worker reaches PostgreSQL only through its Hyperdrive
 * binding, and wrangler dev's local Hyperdrive is a TCP connection string (PGlite has none).
 */
export const SKIP_REASON = SERVER_URL
  ? undefined
  : 'skipped: set TEST_DATABASE_URL (a server PostgreSQL); the Worker reaches the store only through Hyperdrive, whose local mode needs a connection string';

/** An HTTP client for a Noojee endpoint of an app listening at `baseUrl` (workerd or Node). */
export function httpNoojee(baseUrl: string): PostNoojee {
  return async (endpoint, body, query = {}) => {
    const response = await fetch(`${baseUrl}${noojeeUrl(endpoint, query)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
  };
}

/** The secrets the fixture's rules name, as Worker bindings and as the Node app's environment. */
export const FIXTURE_SECRETS = { ...HOOK_ENV, CRM_TOKEN };

export interface WorkerFixture {
  crm: FakeCrm;
  rulesDir: string;
  /** the Worker's database (a fresh clone of the migrated template), for assertions */
  backend: TestBackend;
  dev: WranglerDev;
  post: PostNoojee;
  close(): Promise<void>;
}

/**
 * The Worker on workerd (wrangler dev) over a fresh database, with the rules of the Node CRM
 * tests (a loopback fake CRM, allowPrivateNetwork: true), the webhook sources of the Node hooks
 * tests, and a webhook disposition for the cron-driven outbox pass. `close()` always stops wrangler, even after a failed start.
 */
export async function startWorkerFixture(): Promise<WorkerFixture> {
  const crm = await startFakeCrm();
  const rulesDir = await rulesWithCrm(crm.url);
  const dialer = await readFile(join(rulesDir, 'dialer.yaml'), 'utf8');
  await writeFile(join(rulesDir, 'dialer.yaml'), dialer.replace('      - { code: busy }\n', '      - { code: busy }\n      - { code: Notify, actions: [{ webhook: crm }] }\n'));
  await writeHookSources(rulesDir);
  let backend: TestBackend | undefined;
  let dev: WranglerDev | undefined;
  const close = async () => {
    await dev?.stop();
    await backend?.close();
    await crm.close();
    await rm(rulesDir, { recursive: true, force: true });
  };
  try {
    backend = await openTestBackend();
    dev = await startWranglerDev({
      rulesDir,
      databaseUrl: withPassword(backend.url!),
      vars: { ...FIXTURE_SECRETS, LEADGATE_API_KEYS: API_KEY, LEADGATE_DEMO: '0', LOG_LEVEL: 'warn', LEADGATE_MAX_BATCH: '100', LEADGATE_MAX_BODY_BYTES: String(1024 * 1024) },
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { crm, rulesDir, backend, dev, post: httpNoojee(dev.url), close };
}
