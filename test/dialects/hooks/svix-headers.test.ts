import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accepted, contact, HOOK_ENV, NEW_SECRET, OLD_SECRET, writeHookSources } from '../../cases/hooks-cases.js';
import { BASIC_RULES, createTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
let rulesDir: string;
beforeAll(async () => {
  rulesDir = await mkdtemp(join(tmpdir(), 'leadgate-svix-'));
  await cp(BASIC_RULES, rulesDir, { recursive: true });
  await writeHookSources(rulesDir);
  t = await createTestApp({ rulesDir, env: HOOK_ENV });
});
afterAll(async () => {
  await t.close();
  await rm(rulesDir, { recursive: true, force: true });
});

/** Headers as Svix sends them, signed by the Standard Webhooks reference library itself. */
function svixHeaders(id: string, body: string, secret = NEW_SECRET, at = new Date()) {
  const signature = new Webhook(secret).sign(id, at, body);
  return { 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signature, 'content-type': 'application/json' };
}

async function deliver(body: string, headers: Record<string, string>) {
  const res = await t.app.request('/hooks/crm', { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('standard-webhooks sources take the svix-* header names', () => {
  it('accepts an event signed by the standardwebhooks library under svix-id / svix-timestamp / svix-signature', async () => {
    const body = contact('S-1', '0412 800 301');
    expect(await deliver(body, svixHeaders('msg_svix_1', body))).toEqual({ status: 200, body: accepted('crm', 'msg_svix_1') });
    // the svix-id is the event id: a redelivery changes nothing
    expect(await deliver(body, svixHeaders('msg_svix_1', body))).toEqual({ status: 200, body: accepted('crm', 'msg_svix_1') });
    expect(await t.backend.runner.query("select count(*)::int as n from leads where external_id = 'S-1'")).toEqual([{ n: 1 }]);
  });

  it('accepts the previous secret during rotation, and the library verifies what leadgate verifies', async () => {
    const body = contact('S-2', '0412 800 302');
    const headers = svixHeaders('msg_svix_2', body, OLD_SECRET);
    // the same signature under the unbranded names verifies with the library: only the names differ
    const unbranded = { 'webhook-id': headers['svix-id'], 'webhook-timestamp': headers['svix-timestamp'], 'webhook-signature': headers['svix-signature'] };
    expect(() => new Webhook(OLD_SECRET).verify(body, unbranded)).not.toThrow();
    expect((await deliver(body, headers)).status).toBe(200);
  });

  it.each([
    ['a signature over another body', (body: string) => svixHeaders('msg_svix_3', `${body} `), 'signature rejected: no signature matches'],
    ['a timestamp outside the window', (body: string) => svixHeaders('msg_svix_4', body, NEW_SECRET, new Date(Date.now() - 3_600_000)), 'signature rejected: timestamp outside the ±300 s window'],
    ['no svix-signature', (body: string) => ({ ...svixHeaders('msg_svix_5', body), 'svix-signature': '' }), 'signature rejected: missing webhook-id or webhook-signature header'],
  ])('refuses %s with 401', async (_name, headers, error) => {
    const body = contact('S-X', '0412 800 399');
    expect(await deliver(body, headers(body))).toEqual({ status: 401, body: { error } });
  });
});
