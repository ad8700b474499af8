import { beforeEach, describe, expect, it } from 'vitest';
import { createCrmClient, type CrmClientDeps } from '../../src/crm/call-crm.js';
import type { UndiciTransport } from '../../src/crm/undici-transport.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { crmPerTest } from '../support/crm-per-test.js';
import { connectFrom } from './connect-fixture.js';

const TOKEN = 'tok-9f8e7d';
const LEAD = { phone: '+61383208134' };

const loopback = crmPerTest();
let crm: FakeCrm;
let transport: UndiciTransport;
let sleeps: number[];

beforeEach(() => {
  ({ crm, transport } = loopback);
  sleeps = [];
});

function acme(fields: Record<string, unknown> = {}) {
  return connectFrom(
    {
      url: `${crm.url}/lookup`,
      allowPrivateNetwork: true,
      headers: { Authorization: 'Bearer ${env:ACME_TOKEN}' },
      timeoutMs: 2000,
      retries: 1,
      adaptor: [{ field: 'phone', mappedTo: 'phone_number' }],
      ...fields,
    },
    { ACME_TOKEN: TOKEN },
  );
}

/** Backoff pauses are recorded, not slept; the jitter is fixed at half the ceiling. */
function client(deps: Partial<CrmClientDeps> = {}) {
  return createCrmClient({
    transport,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    idempotencyKey: () => 'key-1',
    ...deps,
  });
}

const REDACTED_REQUEST = () => ({
  method: 'POST',
  url: `${crm.url}/lookup`,
  headers: {
    Authorization: '[REDACTED]',
    'User-Agent': 'leadgate',
    Accept: 'application/json',
    'Content-Type': 'application/json',
    'Idempotency-Key': 'key-1',
  },
  body: '{"phone_number":"+61383208134"}',
});

describe('CRM client against a loopback CRM', () => {
  it('sends the mapped request and returns the parsed answer', async () => {
    crm.respond({ json: { customer: { status: 'active' } } });
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toEqual({
      ok: true,
      status: 200,
      answer: { customer: { status: 'active' } },
      latencyMs: expect.any(Number),
      attempts: 1,
      request: REDACTED_REQUEST(),
      rawAnswer: '{"customer":{"status":"active"}}',
    });
    expect(crm.requests).toHaveLength(1);
    const [received] = crm.requests;
    expect([received?.method, received?.url, received?.body]).toEqual(['POST', '/lookup', '{"phone_number":"+61383208134"}']);
    expect(received?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': 'key-1',
      'user-agent': 'leadgate',
    });
  });

  it('wraps a text answer as {body}', async () => {
    crm.respond({ text: 'customer: active' });
    const outcome = await client().call(acme({ response: 'text' }), LEAD);
    expect(outcome).toMatchObject({ ok: true, status: 200, answer: { body: 'customer: active' }, rawAnswer: 'customer: active' });
  });

  it('cuts rawAnswer to 4 KiB but parses the whole answer', async () => {
    const long = 'x'.repeat(5000);
    crm.respond({ json: { long } });
    const outcome = await client().call(acme(), LEAD);
    expect(outcome.ok && outcome.answer).toEqual({ long });
    expect(outcome.ok && outcome.rawAnswer).toBe(`{"long":"${'x'.repeat(4096 - 9)}`);
  });

  it.each([500, 502, 503, 408, 429])('retries HTTP %i with jittered backoff, same idempotency key', async (status) => {
    crm.respond([{ status, text: 'busy' }, { json: { ok: 1 } }]);
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toMatchObject({ ok: true, status: 200, attempts: 2, answer: { ok: 1 } });
    expect(sleeps).toEqual([50]);
    expect(crm.requests.map((r) => r.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
  });

  it('gives up after the configured retries with the last status', async () => {
    crm.respond({ status: 503, text: 'down for maintenance' });
    const outcome = await client().call(acme({ retries: 3 }), LEAD);
    expect(outcome).toEqual({
      ok: false,
      reason: 'status',
      status: 503,
      latencyMs: expect.any(Number),
      attempts: 4,
      request: REDACTED_REQUEST(),
      detail: 'CRM answered HTTP 503',
      rawAnswer: 'down for maintenance',
    });
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it.each([400, 401, 404, 422])('never retries HTTP %i', async (status) => {
    crm.respond({ status, json: { error: 'no' } });
    const outcome = await client().call(acme({ retries: 3 }), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'status', status, attempts: 1, rawAnswer: '{"error":"no"}' });
    expect(crm.requests).toHaveLength(1);
  });

  it('waits as long as Retry-After says when that fits the deadline', async () => {
    crm.respond([{ status: 429, retryAfter: 1 }, { json: {} }]);
    const outcome = await client().call(acme({ timeoutMs: 1000 }), LEAD);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([1000]);
  });

  it.each([['seconds', () => 5], ['HTTP date', () => new Date(Date.now() + 60_000).toUTCString()]])(
    'does not retry when Retry-After (%s) ends past the deadline',
    async (_form, retryAfter) => {
      crm.respond({ status: 503, retryAfter: retryAfter() });
      const outcome = await client().call(acme({ timeoutMs: 300 }), LEAD);
      expect(outcome).toMatchObject({ ok: false, reason: 'status', status: 503, attempts: 1 });
      expect(sleeps).toEqual([]);
      expect(outcome.latencyMs).toBeLessThan(700);
    },
  );

  it('retries a reset connection', async () => {
    crm.respond([{ kind: 'reset' }, { json: { ok: 1 } }]);
    expect(await client().call(acme(), LEAD)).toMatchObject({ ok: true, attempts: 2, answer: { ok: 1 } });
  });

  it('reports a connection reset on every attempt as a network failure', async () => {
    crm.respond({ kind: 'reset' });
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'network', attempts: 2, detail: 'read ECONNRESET' });
    expect(crm.requests).toHaveLength(2);
  });

  it('times out an attempt that answers too late', async () => {
    crm.respond({ json: {}, delayMs: 1000 });
    const outcome = await client().call(acme({ timeoutMs: 100, retries: 1 }), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout', attempts: 2, detail: 'no answer within 100 ms' });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(195);
    expect(outcome.latencyMs).toBeLessThan(900);
  });

  it('retries an attempt that timed out', async () => {
    crm.respond([{ json: { late: true }, delayMs: 1000 }, { json: { ok: 1 } }]);
    const outcome = await client().call(acme({ timeoutMs: 200, retries: 1 }), LEAD);
    expect(outcome).toMatchObject({ ok: true, attempts: 2, answer: { ok: 1 } });
    expect(sleeps).toEqual([50]);
  });

  it('ends a call to a CRM that accepts and never answers within the deadline', async () => {
    crm.respond({ kind: 'hang' });
    const connect = acme({ timeoutMs: 150, retries: 1 });
    const outcome = await createCrmClient({ transport }).call(connect, LEAD);
    expect(connect.deadlineMs).toBe(400);
    // the second attempt gets what is left of the deadline after a random pause
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'timeout',
      attempts: 2,
      detail: expect.stringMatching(/^no answer (within 150 ms|before the 400 ms deadline)$/),
    });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(300);
    expect(outcome.latencyMs).toBeLessThan(400 + 250);
  });

  it('fails with invalid-json, and redacts secrets from detail and rawAnswer', async () => {
    crm.respond({ text: `<html>${TOKEN}` });
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toEqual({
      ok: false,
      reason: 'invalid-json',
      status: 200,
      latencyMs: expect.any(Number),
      attempts: 1,
      request: REDACTED_REQUEST(),
      detail: `answer is not JSON: Unexpected token '<', "<html>[REDACTED]" is not valid JSON`,
      rawAnswer: '<html>[REDACTED]',
    });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('stops reading a 50 MB answer at maxResponseBytes', async () => {
    crm.respond({ kind: 'stream', totalBytes: 50 * 1024 * 1024 });
    const started = Date.now();
    const outcome = await client().call(acme(), LEAD);
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'too-large',
      attempts: 1,
      detail: 'answer is larger than maxResponseBytes (262144)',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(crm.streamedBytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses an answer whose Content-Length is over the cap', async () => {
    crm.respond({ text: 'x'.repeat(2000) });
    const outcome = await client().call(acme({ maxResponseBytes: 1000 }), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'too-large', attempts: 1, detail: 'answer is larger than maxResponseBytes (1000)' });
  });

  it('refuses a lead value that would make a dot path segment, without calling', async () => {
    const outcome = await client().call(acme({ url: `${crm.url}/leads/{id}` }), { id: '..' });
    expect(outcome).toEqual({
      ok: false,
      reason: 'refused-address',
      latencyMs: expect.any(Number),
      attempts: 0,
      request: { method: 'POST', url: `${crm.url}/leads/{id}`, headers: { Authorization: '[REDACTED]' } },
      detail: 'lead field id would make a "." or ".." path segment',
    });
    expect(crm.requests).toHaveLength(0);
  });

  it('sends no Idempotency-Key on GET', async () => {
    await client().call(acme({ method: 'GET' }), LEAD);
    expect(crm.requests[0]?.url).toBe('/lookup?phone_number=%2B61383208134');
    expect(crm.requests[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('treats an unexpected transport error as a network failure', async () => {
    const broken = client({ transport: { send: () => Promise.reject(new TypeError(`boom ${TOKEN}`)) } });
    const outcome = await broken.call(acme({ retries: 0 }), LEAD);
    expect(outcome).toMatchObject({ ok: false, reason: 'network', attempts: 1, detail: 'boom [REDACTED]' });
  });
});
