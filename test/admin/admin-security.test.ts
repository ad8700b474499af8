import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createAdminTestApp } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let off: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  const made = await createAdminTestApp();
  t = made.t;
  off = await createTestApp({ backend: t.backend, rulesDir: made.rulesDir, adminToken: null });
  close = made.close;
});
afterAll(() => close());

/** every admin route, with a body that would be accepted */
const ROUTES: Array<[string, string, (string | object)?]> = [
  ['GET', '/admin/rules'],
  ['GET', '/admin/rules/dialer.yaml'],
  ['PUT', '/admin/rules/dialer.yaml', 'version: 1\n'],
  ['POST', '/admin/rules/validate/dialer.yaml', 'version: 1\n'],
  ['POST', '/admin/rules/test', { lead: {}, crmResponse: {} }],
  ['GET', '/admin/decisions'],
  ['POST', '/admin/dnc', { phone: '0383208134', reason: 'asked' }],
  ['DELETE', '/admin/dnc?phone=0383208134'],
  ['GET', '/admin/api-keys'],
  ['POST', '/admin/api-keys', {}],
  ['DELETE', '/admin/api-keys/1'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/deliveries'],
  ['GET', '/admin/deliveries/1'],
  ['POST', '/admin/deliveries/1/retry'],
  ['POST', '/admin/deliveries/retry', { state: 'dead' }],
];

describe('the admin bearer token', () => {
  it.each(ROUTES)('%s %s answers 401 without the token and with a wrong one', async (method, path, body) => {
    for (const token of [null, 'wrong-token', '']) {
      const res = await admin(t.app, method, path, { body, token, headers: { 'if-match': '*' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="leadgate-admin"');
      expect(res.json).toEqual({ error: 'a valid admin bearer token is required' });
    }
    const basic = await t.app.request(path, { method, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);
  });

  it.each(ROUTES)('%s %s answers 403 when LEADGATE_ADMIN_TOKEN is unset, whatever is sent', async (method, path, body) => {
    for (const token of [null, 'anything']) {
      const res = await admin(off.app, method, path, { body, token });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ error: 'the admin API is disabled: set LEADGATE_ADMIN_TOKEN' });
    }
  });

  it('writes nothing and records nothing for a refused request', async () => {
    await admin(t.app, 'POST', '/admin/dnc', { body: { phone: '0383208134', reason: 'x' }, token: 'wrong' });
    await admin(off.app, 'POST', '/admin/api-keys', { body: {}, token: 'x' });
    expect(await t.backend.runner.query('select 1 from dnc union all select 1 from api_keys union all select 1 from audit_log')).toEqual([]);
  });

  it('serves the admin page without the token (it asks for it), and not when the admin API is off', async () => {
    const page = await t.app.request('/admin/ui');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(await page.text()).toContain('<title>leadgate admin</title>');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self'; /);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const disabled = await off.app.request('/admin/ui');
    expect(disabled.status).toBe(403);
    expect(await disabled.json()).toEqual({ error: 'the admin API is disabled: set LEADGATE_ADMIN_TOKEN' });
  });
});

describe('without a writable rules folder (Workers bundles its rules)', () => {
  it('answers 501 on the rule-file routes and keeps the rest', async () => {
    const bundled = await createTestApp({ backend: t.backend });
    for (const [method, path, body] of ROUTES.slice(0, 4)) {
      const res = await admin(bundled.app, method, path, { body, headers: { 'if-match': '*' } });
      expect(res.status).toBe(501);
      expect(res.json).toEqual({ error: 'rule files are not editable in this deployment: the rules are bundled at build time' });
    }
    expect((await admin(bundled.app, 'GET', '/admin/audit')).status).toBe(200);
  });
});
