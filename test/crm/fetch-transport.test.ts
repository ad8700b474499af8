import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCrmClient } from '../../src/crm/call-crm.js';
import { createFetchTransport } from '../../src/crm/fetch-transport.js';
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

const LEAD = { phone: '+61383208134' };

function acme(fields: Record<string, unknown> = {}) {
  return connectFrom({
    url: `${crm.url}/lookup`,
    allowPrivateNetwork: true,
    timeoutMs: 2000,
    retries: 1,
    adaptor: [{ field: 'phone', mappedTo: 'phone_number' }],
    ...fields,
  });
}

function client() {
  return createCrmClient({ transport: createFetchTransport(), sleep: async () => undefined, idempotencyKey: () => 'key-1' });
}

describe('fetch transport', () => {
  it('sends the request and parses the answer', async () => {
    crm.respond({ json: { customer: { status: 'active' } } });
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toMatchObject({ ok: true, status: 200, attempts: 1, answer: { customer: { status: 'active' } } });
    expect(crm.requests).toMatchObject([
      { method: 'POST', url: '/lookup', body: '{"phone_number":"+61383208134"}', headers: { 'idempotency-key': 'key-1' } },
    ]);
  });

  it('retries a 503 and gives the status when it persists', async () => {
    crm.respond({ status: 503, text: 'down' });
    expect(await client().call(acme(), LEAD)).toMatchObject({ ok: false, reason: 'status', status: 503, attempts: 2, rawAnswer: 'down' });
  });

  it('stops reading a 50 MB answer at maxResponseBytes', async () => {
    crm.respond({ kind: 'stream', totalBytes: 50 * 1024 * 1024 });
    const started = Date.now();
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'too-large', detail: 'answer is larger than maxResponseBytes (262144)' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(crm.streamedBytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('times out a CRM that never answers', async () => {
    crm.respond({ kind: 'hang' });
    const outcome = await client().call(acme({ timeoutMs: 100, retries: 1 }), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout', attempts: 2, detail: 'no answer within 100 ms' });
  });

  it('reports a reset connection as a network failure', async () => {
    crm.respond({ kind: 'reset' });
    expect(await client().call(acme(), LEAD)).toMatchObject({ ok: false, reason: 'network', attempts: 2 });
  });

  it('does not follow redirects', async () => {
    crm.respond({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } });
    expect(await client().call(acme(), LEAD)).toMatchObject({ ok: false, reason: 'status', status: 302, attempts: 1 });
    expect(crm.requests).toHaveLength(1);
  });
});

describe('code the Worker bundles', () => {
  it.each([
    'fetch-transport.ts',
    'transport.ts',
    'call-crm.ts',
    'compile-connect.ts',
    'connect-schema.ts',
    'build-request.ts',
    'network-guard.ts',
    'date-format.ts',
    'backoff.ts',
    'circuit-breaker.ts',
    'concurrency-limiter.ts',
  ])('%s imports neither undici nor node:*', (file) => {
    const source = readFileSync(new URL(`../../src/crm/${file}`, import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((name) => name === 'undici' || name?.startsWith('node:'))).toEqual([]);
  });
});
