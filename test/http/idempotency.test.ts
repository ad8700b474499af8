import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, createTestApp, noojeeUrl, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const post = async (endpoint: string, body: unknown, key: string | undefined, query = {}) => {
  const res = await t.app.request(noojeeUrl(endpoint, query), {
    method: 'POST',
    headers: key ? { 'idempotency-key': key } : {},
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
};
const leadsWithPhone = async (e164: string) =>
  (await t.backend.runner.query<{ n: number }>('select count(*)::int as n from leads where phones @> array[$1]::text[]', [e164]))[0]!.n;

describe('Idempotency-Key', () => {
  it('replays the first answer byte for byte, status included, without doing the work again', async () => {
    const first = await post('insertLeadFast', { phone: '0413 100 001' }, 'key-1');
    const again = await post('insertLeadFast', { phone: '0413 100 001' }, 'key-1');
    expect(first.status).toBe(200);
    expect(again).toEqual({ status: 200, text: first.text, replayed: 'true' });
    expect(await leadsWithPhone('+61413100001')).toBe(1);
    // without the key the same request is new work: a duplicate
    expect(JSON.parse((await post('insertLeadFast', { phone: '0413 100 001' }, undefined)).text).code).toBe(105);
  });

  it('replays error answers too, and batches', async () => {
    const batch = [{ phone: '0413 100 002' }, { phone: 'nope' }];
    const first = await post('insertLeadsFast', batch, 'key-2');
    expect(await post('insertLeadsFast', batch, 'key-2')).toEqual({ status: 200, text: first.text, replayed: 'true' });
    const bad = await post('insertLeadFast', { phone: 'nope' }, 'key-3');
    expect(await post('insertLeadFast', { phone: 'nope' }, 'key-3')).toEqual({ status: 400, text: bad.text, replayed: 'true' });
  });

  it('answers 208 (HTTP 422) for the same key with a different request', async () => {
    await post('insertLeadFast', { phone: '0413 100 003' }, 'key-4');
    const other = await post('insertLeadFast', { phone: '0413 100 004' }, 'key-4');
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text)).toEqual({ code: 208, message: 'IDEMPOTENCY_KEY_REUSED', description: 'this Idempotency-Key was already used with a different request' });
    expect(await leadsWithPhone('+61413100004')).toBe(0);
    // the same key on another endpoint is another request as well
    expect((await post('insertLeadsFast', { phone: '0413 100 003' }, 'key-4')).status).toBe(422);
  });

  it('creates one lead when two copies arrive at once', async () => {
    const copies = await Promise.all(Array.from({ length: 5 }, () => post('insertLeadFast', { phone: '0413 100 005' }, 'key-5')));
    expect(new Set(copies.map((c) => c.text)).size).toBe(1);
    expect(JSON.parse(copies[0]!.text).code).toBe(0);
    expect(copies.filter((c) => c.replayed === 'true')).toHaveLength(4);
    expect(await leadsWithPhone('+61413100005')).toBe(1);
  });

  it('keeps keys apart per API key and never keeps a refused request', async () => {
    expect((await post('insertLeadFast', { phone: '0413 100 006' }, 'key-6', { apiKey: 'wrong' })).status).toBe(401);
    const real = await post('insertLeadFast', { phone: '0413 100 006' }, 'key-6', { apiKey: API_KEY });
    expect(real.status).toBe(200);
    expect(real.replayed).toBeNull();
  });
});

describe('Idempotency-Key on the Convoso dialect', () => {
  const convoso = async (params: Record<string, string>, key: string) => {
    const res = await t.app.request('/v1/leads/insert', {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ auth_token: API_KEY, list_id: '100', phone_code: '61', ...params }).toString(),
    });
    return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
  };

  it('replays the first answer and refuses a reused key with 422', async () => {
    const first = await convoso({ phone_number: '413100101' }, 'cv-1');
    expect(JSON.parse(first.text)).toMatchObject({ success: true });
    expect(await convoso({ phone_number: '413100101' }, 'cv-1')).toEqual({ status: 200, text: first.text, replayed: 'true' });
    const reused = await convoso({ phone_number: '413100102' }, 'cv-1');
    expect(reused.status).toBe(422);
    expect(JSON.parse(reused.text)).toEqual({ success: false, code: 6908, text: 'This Idempotency-Key was already used with a different request' });
    expect(await leadsWithPhone('+61413100101')).toBe(1);
  });
});
