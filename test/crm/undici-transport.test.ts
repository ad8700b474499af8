import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCrmClient } from '../../src/crm/call-crm.js';
import { CrmTransportError } from '../../src/crm/transport.js';
import { createUndiciTransport, type ResolvedAddress } from '../../src/crm/undici-transport.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { connectFrom } from './connect-fixture.js';

let crm: FakeCrm;

// A fresh CRM per test: requests a previous test abandoned can never arrive in this one.
beforeEach(async () => {
  crm = await startFakeCrm();
});
afterEach(async () => {
  await crm.close();
});

/** A resolver that answers from a table and counts how often it was asked. */
function fakeDns(table: Record<string, ResolvedAddress[]>) {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (hostname: string) => {
      asked.push(hostname);
      const found = table[hostname];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    },
  };
}

const LEAD = { phone: '+61383208134' };

describe('undici transport: private-network guard at call time', () => {
  it.each([
    [[{ address: '127.0.0.1', family: 4 as const }], '127.0.0.1'],
    [[{ address: '93.184.216.34', family: 4 as const }, { address: '10.0.0.1', family: 4 as const }], '10.0.0.1'],
    [[{ address: '::ffff:169.254.169.254', family: 6 as const }], '::ffff:169.254.169.254'],
  ])('refuses a name when any address it resolves to is private (%j)', async (addresses, bad) => {
    const dns = fakeDns({ 'crm.acme.test': addresses });
    const transport = createUndiciTransport({ resolve: dns.resolve });
    const connect = connectFrom({ url: `http://crm.acme.test:${crm.port}/lookup`, timeoutMs: 500 });
    const outcome = await createCrmClient({ transport }).call(connect, LEAD);
    await transport.close();
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'refused-address',
      attempts: 1,
      detail: `crm.acme.test resolves to ${bad}, a private address`,
    });
    expect(crm.requests).toHaveLength(0);
  });

  it('connects to exactly the address the resolver returned (pinned), when private networks are allowed', async () => {
    const dns = fakeDns({ 'crm.acme.test': [{ address: '127.0.0.1', family: 4 }] });
    const transport = createUndiciTransport({ resolve: dns.resolve });
    const connect = connectFrom({ url: `http://crm.acme.test:${crm.port}/lookup`, allowPrivateNetwork: true });
    crm.respond({ json: { found: true } });
    const client = createCrmClient({ transport });
    const first = await client.call(connect, LEAD);
    const second = await client.call(connect, LEAD);
    await transport.close();
    expect([first.ok && first.answer, second.ok && second.answer]).toEqual([{ found: true }, { found: true }]);
    expect(crm.requests.map((r) => r.headers.host)).toEqual([`crm.acme.test:${crm.port}`, `crm.acme.test:${crm.port}`]);
    // the system resolver cannot know crm.acme.test: every socket used the injected answer
    expect([...new Set(dns.asked)]).toEqual(['crm.acme.test']);
  });

  it('reports a name that does not resolve as a network failure', async () => {
    const transport = createUndiciTransport({ resolve: fakeDns({}).resolve });
    const connect = connectFrom({ url: `http://nowhere.acme.test:${crm.port}/lookup`, retries: 0 });
    const outcome = await createCrmClient({ transport }).call(connect, LEAD);
    await transport.close();
    expect(outcome).toMatchObject({ ok: false, reason: 'network', attempts: 1, detail: 'getaddrinfo ENOTFOUND nowhere.acme.test' });
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '169.254.169.254'])(
    'refuses the private IP literal %s even if a request bypasses the load-time check',
    async (host) => {
      const transport = createUndiciTransport();
      const send = transport.send({
        url: `http://${host}:${crm.port}/x`,
        method: 'GET',
        headers: {},
        timeoutMs: 5_000,
        maxResponseBytes: 100,
      });
      await expect(send).rejects.toThrow(CrmTransportError);
      await expect(send).rejects.toMatchObject({ kind: 'refused-address' });
      await transport.close();
    },
  );
});

describe('undici transport: reading answers', () => {
  it('returns status, headers and body bytes', async () => {
    crm.respond({ status: 201, text: 'héllo', headers: { 'x-crm': 'yes' } });
    const transport = createUndiciTransport();
    const res = await transport.send({
      url: `${crm.url}/x?y=1`,
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'ping',
      timeoutMs: 5_000,
      maxResponseBytes: 100,
      allowPrivateNetwork: true,
    });
    await transport.close();
    expect([res.status, res.headers['x-crm'], new TextDecoder().decode(res.body)]).toEqual([201, 'yes', 'héllo']);
    expect(crm.requests).toMatchObject([{ method: 'POST', url: '/x?y=1', body: 'ping' }]);
  });

  it('honours the abort signal while waiting for an answer', async () => {
    crm.respond({ kind: 'hang' });
    const transport = createUndiciTransport();
    const controller = new AbortController();
    const send = transport.send({
      url: `${crm.url}/x`,
      method: 'GET',
      headers: {},
      timeoutMs: 5_000,
      signal: controller.signal,
      maxResponseBytes: 100,
      allowPrivateNetwork: true,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(send).rejects.toMatchObject({ kind: 'aborted' });
    await transport.close();
  });

  it('fails with timeout when no answer comes within timeoutMs, and the call ends there', async () => {
    crm.respond({ kind: 'hang' });
    const transport = createUndiciTransport();
    const started = performance.now();
    const send = transport.send({ url: `${crm.url}/x`, method: 'GET', headers: {}, timeoutMs: 100, maxResponseBytes: 100, allowPrivateNetwork: true });
    await expect(send).rejects.toMatchObject({ kind: 'timeout', message: 'no answer within 100 ms' });
    expect(performance.now() - started).toBeLessThan(2_000);
    await transport.close();
  });

  it('a body still trickling in at timeoutMs is a timeout too (the whole answer counts)', async () => {
    crm.respond({ kind: 'stream', totalBytes: 50 * 1024 * 1024, chunkDelayMs: 20 });
    const transport = createUndiciTransport();
    const send = transport.send({ url: `${crm.url}/x`, method: 'GET', headers: {}, timeoutMs: 200, maxResponseBytes: 100 * 1024 * 1024, allowPrivateNetwork: true });
    await expect(send).rejects.toMatchObject({ kind: 'timeout' });
    await transport.close();
  });

  it('stops reading a streamed body at the cap', async () => {
    crm.respond({ kind: 'stream', totalBytes: 50 * 1024 * 1024 });
    const transport = createUndiciTransport();
    const send = transport.send({
      url: `${crm.url}/x`,
      method: 'GET',
      headers: {},
      timeoutMs: 5_000,
      maxResponseBytes: 64 * 1024,
      allowPrivateNetwork: true,
    });
    await expect(send).rejects.toMatchObject({ kind: 'too-large', message: 'answer is larger than maxResponseBytes (65536)' });
    await transport.close();
  });
});
