import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, BASIC_RULES, createTestApp, type TestApp, type TestAppOptions } from './test-app.js';

export interface AdminCall {
  body?: string | object;
  headers?: Record<string, string>;
  /** null sends no Authorization header */
  token?: string | null;
}

/** One admin API request; `body` objects are sent as JSON. */
export async function admin(app: TestApp['app'], method: string, path: string, call: AdminCall = {}) {
  const headers: Record<string, string> = { ...call.headers };
  const token = call.token === undefined ? ADMIN_TOKEN : call.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (typeof call.body === 'string') body = call.body;
  else if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await app.request(path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
}

/** A temp copy of a rules folder, so a test may write to it. */
export async function copyRules(from = BASIC_RULES): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-admin-rules-'));
  await cp(from, dir, { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The app over a fresh database and a writable copy of the basic rules. */
export async function createAdminTestApp(options: Omit<TestAppOptions, 'rulesDir'> & { from?: string } = {}) {
  const rules = await copyRules(options.from);
  const t = await createTestApp({ ...options, rulesDir: rules.dir });
  return {
    t,
    rulesDir: rules.dir,
    async close() {
      await t.close();
      await rules.remove();
    },
  };
}
