import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesWithDedupe } from '../../support/dedupe-rules.js';
import { API_KEY, createTestApp, type TestApp } from '../../support/test-app.js';

/**
 * A Convoso insert without check_dup de-duplicates as the template says: by its keys only. A
 * template keyed on email alone must not have a phone check forced on it by the dialect.
 */
let t: TestApp;
let dir: string;
beforeAll(async () => {
  dir = await rulesWithDedupe(`dedupe: { scope: campaign, on: [email] }`);
  t = await createTestApp({ rulesDir: dir });
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

const insert = async (fields: Record<string, string>) => {
  const res = await t.app.request('/v1/leads/insert', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ auth_token: API_KEY, list_id: '100', phone_code: '61', ...fields }).toString(),
  });
  return (await res.json()) as { success: boolean; code?: number; matched_on?: string };
};

describe('/v1/leads/insert on a template keyed on email only', () => {
  it('without check_dup: the same phone with another email is a new lead; the same email is 6009 matched_on email', async () => {
    expect(await insert({ phone_number: '0412700001', email: 'a@example.com' })).toMatchObject({ success: true });
    expect(await insert({ phone_number: '0412700001', email: 'b@example.com' })).toMatchObject({ success: true });
    expect(await insert({ phone_number: '0412700002', email: 'A@example.com' })).toMatchObject({ success: false, code: 6009, matched_on: 'email' });
  });

  it('with check_dup the request chooses a phone check', async () => {
    expect(await insert({ phone_number: '0412700003', email: 'c@example.com' })).toMatchObject({ success: true });
    expect(await insert({ phone_number: '0412700003', email: 'd@example.com', check_dup: '3' })).toMatchObject({ success: false, code: 6009 });
  });
});
