import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/admin/routes.js';
import { createApiKeyRegistry } from '../../src/http/api-keys.js';
import { createAdminStore } from '../../src/store/admin-store.js';
import { admin, createAdminTestApp } from '../support/admin.js';
import { ADMIN_TOKEN, API_KEY, createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ t, close } = await createAdminTestApp());
});
afterAll(() => close());

let phone = 412_100_000;
const insert = async (app: TestApp['app'], apiKey: string) => (await postNoojee(app, 'insertLeadFast', { phone: `0${(phone += 1)}` }, { apiKey })).body.code;
const convoso = async (app: TestApp['app'], token: string) => {
  const res = await app.request('/v1/leads/insert', { method: 'POST', body: new URLSearchParams({ auth_token: token, list_id: '100', phone_number: String((phone += 1)), phone_code: '61' }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('POST /admin/api-keys and DELETE /admin/api-keys/{id}', () => {
  it('creates a key shown once and stored hashed, usable by both dialects, refused at once when revoked', async () => {
    const created = await admin(t.app, 'POST', '/admin/api-keys', { body: { label: 'vendor A' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.json).toEqual({ id: '1', key: expect.stringMatching(/^lg_[A-Za-z0-9_-]{43}$/) });
    const key = created.json.key as string;

    const rows = await t.backend.runner.query<Record<string, unknown>>('select id::text, key_hash, prefix, label, revoked_at from api_keys');
    expect(rows).toEqual([{ id: '1', key_hash: sha(key), prefix: key.slice(0, 7), label: 'vendor A', revoked_at: null }]);
    expect(JSON.stringify(await t.backend.runner.query('select * from api_keys union all select null, null, null, null, null, null'))).not.toContain(key.slice(7));

    expect(await insert(t.app, key)).toBe(0);
    expect(await convoso(t.app, key)).toEqual({ status: 200, body: { success: true, data: { lead_id: expect.any(String) } } });
    const listed = await admin(t.app, 'GET', '/admin/api-keys');
    expect(listed.json).toEqual({ keys: [{ id: '1', prefix: key.slice(0, 7), label: 'vendor A', createdAt: expect.any(String), revokedAt: null }] });

    const revoked = await admin(t.app, 'DELETE', '/admin/api-keys/1');
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ id: '1', revoked: true });
    expect(await insert(t.app, key)).toBe(401);
    expect(await convoso(t.app, key)).toEqual({ status: 403, body: { success: false, code: 403, text: 'Forbidden' } });
    expect(await insert(t.app, API_KEY)).toBe(0);

    const again = await admin(t.app, 'DELETE', '/admin/api-keys/1');
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: 'no live API key with id 1' });
    expect(((await admin(t.app, 'GET', '/admin/api-keys')).json.keys as Array<{ revokedAt: unknown }>)[0]!.revokedAt).toEqual(expect.stringMatching(/^\d{4}-/));
  });

  it('accepts an empty body, and refuses bad bodies and ids', async () => {
    const bare = await admin(t.app, 'POST', '/admin/api-keys');
    expect(bare.status).toBe(201);
    expect(bare.json).toEqual({ id: '2', key: expect.any(String) });
    const extra = await admin(t.app, 'POST', '/admin/api-keys', { body: { label: 'x', scopes: ['all'] } });
    expect(extra.status).toBe(400);
    expect(extra.json).toEqual({ error: 'invalid body: Unrecognized key: "scopes"' });
    for (const id of ['abc', '0', '1.5', '99999999999999999999']) {
      const res = await admin(t.app, 'DELETE', `/admin/api-keys/${id}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'invalid key id: id: expected a key id' });
    }
    expect((await admin(t.app, 'DELETE', '/admin/api-keys/77')).status).toBe(404);
  });

  it('audits creation and revocation, never the key', async () => {
    const created = await admin(t.app, 'POST', '/admin/api-keys', { body: { label: 'audited' } });
    const id = created.json.id as string;
    await admin(t.app, 'DELETE', `/admin/api-keys/${id}`);
    const audit = await admin(t.app, 'GET', '/admin/audit?limit=2');
    const entry = (action: string, detail: Record<string, unknown> | null) => ({
      id: expect.any(String),
      actor: adminActor(ADMIN_TOKEN),
      action,
      target: id,
      beforeSha256: null,
      afterSha256: null,
      detail,
      requestId: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(audit.json.entries).toEqual([entry('DELETE /admin/api-keys/{id}', null), entry('POST /admin/api-keys', { label: 'audited' })]);
    expect(audit.text).not.toContain(created.json.key as string);
  });

  it('is shared by processes over one database: another app accepts a key created here, and refuses it once revoked there', async () => {
    const other = await createTestApp({ backend: t.backend });
    const created = await admin(t.app, 'POST', '/admin/api-keys', { body: { label: 'shared' } });
    const key = created.json.key as string;
    expect(await insert(other.app, key)).toBe(0);
    await admin(other.app, 'DELETE', `/admin/api-keys/${created.json.id as string}`);
    expect(await insert(other.app, key)).toBe(401);
  });
});

describe('the API key cache', () => {
  it('asks the store once per key per TTL, and forgets a key revoked elsewhere when the TTL runs out', async () => {
    const store = createAdminStore(t.backend.runner);
    let lookups = 0;
    const counted = { ...store, findApiKey: (hash: string) => ((lookups += 1), store.findApiKey(hash)) };
    let now = 1_000_000;
    const here = createApiKeyRegistry({ store: counted, bootstrap: () => false, ttlMs: 30_000, now: () => now });
    const elsewhere = createApiKeyRegistry({ store, bootstrap: () => false });
    const audit = { actor: 'test', action: 'test', target: 'test' };
    const { id, key } = await elsewhere.create('cache', () => audit);

    expect(await here.isApiKey(key)).toBe(true);
    for (let i = 0; i < 5; i += 1) expect(here.isApiKey(key)).toBe(true);
    expect(lookups).toBe(1);
    expect(await here.isApiKey('lg_unknown')).toBe(false);
    expect(here.isApiKey('lg_unknown')).toBe(false);
    expect(lookups).toBe(2);

    await elsewhere.revoke(id, audit);
    expect(here.isApiKey(key)).toBe(true);
    now += 30_001;
    expect(await here.isApiKey(key)).toBe(false);
    expect(lookups).toBe(3);
    expect(here.isApiKey(undefined)).toBe(false);
    expect(here.isApiKey('')).toBe(false);
  });

  it('refuses a key revoked here at once, even while a lookup of it is still running', async () => {
    const store = createAdminStore(t.backend.runner);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = { ...store, findApiKey: async (hash: string) => (await gate, store.findApiKey(hash)) };
    const registry = createApiKeyRegistry({ store: slow, bootstrap: () => false });
    const audit = { actor: 'test', action: 'test', target: 'test' };
    const { id, key } = await createApiKeyRegistry({ store, bootstrap: () => false }).create('race', () => audit);
    const pending = registry.isApiKey(key);
    await registry.revoke(id, audit);
    release();
    expect(await pending).toBe(false);
    expect(registry.isApiKey(key)).toBe(false);
  });
});

describe('a stored-key lookup while the store is down', () => {
  it('is answered as the store outage it is (207, Retry-After), not as a bad key', async () => {
    const down = await createTestApp();
    await down.backend.close();
    const noojee = await postNoojee(down.app, 'insertLeadFast', { phone: '0412100999' }, { apiKey: 'lg_not-cached' });
    expect(noojee.status).toBe(503);
    expect(noojee.headers.get('retry-after')).toBe('5');
    expect(noojee.body).toMatchObject({ code: 207 });
    const res = await down.app.request('/v1/leads/insert', { method: 'POST', body: new URLSearchParams({ auth_token: 'lg_not-cached', list_id: '100', phone_number: '412100998', phone_code: '61' }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ success: false, code: 6907 });
    // a bootstrap key needs no store to be recognised
    expect((await postNoojee(down.app, 'insertLeadFast', { phone: '0412100997' }, { apiKey: API_KEY })).body).toMatchObject({ code: 207 });
  });
});
