import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRules } from '../support/admin.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

const TOKEN = 'node-entry-admin-token-31c7';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The real Node entry as its own process, with the demo off and no LEADGATE_API_KEYS: keys come
 * only from the admin API, rule edits go through the admin API while the folder is also watched.
 */
describe('leadgate serve with the admin API', () => {
  let rules: Awaited<ReturnType<typeof copyRules>>;
  let child: ReturnType<typeof spawn>;
  let lines: string[];
  let base: string;
  let dataDir: string;
  let database: TestBackend | undefined;

  beforeAll(async () => {
    rules = await copyRules();
    // outside the watched rules folder, and a database of its own, so reruns start clean
    dataDir = await mkdtemp(join(tmpdir(), 'leadgate-node-entry-'));
    database = SERVER_URL ? await openTestBackend() : undefined;
    const { LEADGATE_API_KEYS: _unset, ...inherited } = process.env;
    const env: Record<string, string | undefined> = {
      ...inherited,
      PORT: '0',
      RULES_DIR: rules.dir,
      LEADGATE_DEMO: '0',
      LEADGATE_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      ...(database ? { DATABASE_URL: database.url } : { LEADGATE_DATA_DIR: join(dataDir, 'data') }),
    };
    const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    lines = [];
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const entry = JSON.parse(line) as { event?: string; port?: number };
        if (entry.event === 'server.listening') resolve(entry.port!);
      });
    });
    base = `http://127.0.0.1:${port}`;
  }, 60_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rules?.remove();
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const adminCall = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/admin${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });

  it('accepts only keys created through the admin API, edits rules alongside the watcher, and logs neither token nor key', async () => {
    const insert = (apiKey: string, phone: string, campaign = 10, allocation = 100) =>
      fetch(`${base}/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=${apiKey}&fTemplateId=1&fCampaignId=${campaign}&fAllocationId=${allocation}`, {
        method: 'POST',
        body: JSON.stringify({ phone }),
      }).then(async (r) => ((await r.json()) as { code: number }).code);

    expect(await insert('demo', '0412300001')).toBe(401);
    const created = (await (await adminCall('POST', '/api-keys', '{"label":"e2e"}')).json()) as { id: string; key: string };
    expect(await insert(created.key, '0412300001')).toBe(0);

    const original = await readFile(join(rules.dir, 'dialer.yaml'), 'utf8');
    const edited = `${original.trimEnd()}\n  - { id: 12, name: Added, templateId: 1, allocations: [{ id: 120, name: added }, { id: 121, name: a15-2 }] }\n`;
    const put = await adminCall('PUT', '/rules/dialer.yaml', edited, { 'if-match': `"${sha(original)}"` });
    expect(put.status).toBe(200);
    expect(await insert(created.key, '0412300002', 12, 120)).toBe(0);
    // the watcher sees the same write and reloads the same folder: still the new rules afterwards
    await delay(600);
    expect(await insert(created.key, '0412300003', 12, 120)).toBe(0);

    expect((await adminCall('DELETE', `/api-keys/${created.id}`)).status).toBe(200);
    expect(await insert(created.key, '0412300004')).toBe(401);

    const log = lines.join('\n');
    expect(log).toContain('"event":"auth.stored_keys_only"');
    expect(log).toContain('"event":"admin.rules_written"');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(created.key);
    expect(log).not.toContain(created.key.slice(3));
  }, 60_000);
});
