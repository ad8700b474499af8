import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ demo: true });
});
afterAll(async () => {
  await t.close();
});

describe('POST /demo/crm/lookup', () => {
  it.each([
    ['a phone ending in 1', JSON.stringify({ phone_number: '+61412345671' }), 200, { customer: { id: 'C-1001', status: 'active' } }],
    ['a mobile ending in 9', JSON.stringify({ mobile_number: 61412345679 }), 503, { error: 'maintenance' }],
    ['a null body', 'null', 200, { customer: null }],
    ['no JSON', 'phone=1', 200, { customer: null }],
  ])('answers %s as its schema reads it', async (_name, body, status, answer) => {
    const res = await t.app.request('/demo/crm/lookup', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(answer);
  });
});
