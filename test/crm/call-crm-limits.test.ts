import { beforeEach, describe, expect, it } from 'vitest';
import { createCrmClient, type CrmClientDeps } from '../../src/crm/call-crm.js';
import { compileConnect, type CompiledConnect } from '../../src/crm/compile-connect.js';
import type { UndiciTransport } from '../../src/crm/undici-transport.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { crmPerTest } from '../support/crm-per-test.js';
import { connectFrom } from './connect-fixture.js';

const LEAD = { phone: '+61383208134' };

const loopback = crmPerTest();
let crm: FakeCrm;
let transport: UndiciTransport;
let skew: number;

beforeEach(() => {
  ({ crm, transport } = loopback);
  skew = 0;
});

function acme(fields: Record<string, unknown> = {}): CompiledConnect {
  return connectFrom({
    url: `${crm.url}/lookup`,
    allowPrivateNetwork: true,
    timeoutMs: 2000,
    retries: 0,
    adaptor: [{ field: 'phone', mappedTo: 'phone_number' }],
    circuit: { failureThreshold: 3, openMs: 1000 },
    ...fields,
  });
}

/** `skew` moves the client's clock forward without waiting. */
function client(deps: Partial<CrmClientDeps> = {}) {
  return createCrmClient({
    transport,
    now: () => Date.now() + skew,
    sleep: async () => undefined,
    idempotencyKey: () => 'key-1',
    ...deps,
  });
}

describe('circuit breaker', () => {
  it('opens after failureThreshold consecutive failures and then answers at once without calling', async () => {
    const c = client();
    const connect = acme();
    crm.respond({ status: 500 });
    for (let i = 0; i < 3; i++) {
      expect(c.circuitState('acme-crm')).toBe('closed');
      expect(await c.call(connect, LEAD)).toMatchObject({ ok: false, reason: 'status', status: 500 });
    }
    expect(c.circuitState('acme-crm')).toBe('open');
    const outcome = await c.call(connect, LEAD);
    expect(outcome).toEqual({
      ok: false,
      reason: 'circuit-open',
      latencyMs: 0,
      attempts: 0,
      request: {
        method: 'POST',
        url: `${crm.url}/lookup`,
        headers: { 'User-Agent': 'leadgate', Accept: 'application/json', 'Content-Type': 'application/json', 'Idempotency-Key': 'key-1' },
        body: '{"phone_number":"+61383208134"}',
      },
      detail: 'circuit of connect acme-crm is open',
    });
    expect(crm.requests).toHaveLength(3);
  });

  it('lets exactly one probe through when half-open; its success closes the circuit', async () => {
    const c = client();
    const connect = acme();
    crm.respond({ status: 503 });
    for (let i = 0; i < 3; i++) await c.call(connect, LEAD);
    skew += 1000;
    expect(c.circuitState('acme-crm')).toBe('half-open');
    crm.reset();
    crm.respond({ json: { ok: 1 }, delayMs: 100 });
    const [probe, other] = await Promise.all([c.call(connect, LEAD), c.call(connect, LEAD)]);
    expect(probe).toMatchObject({ ok: true, attempts: 1 });
    expect(other).toMatchObject({ ok: false, reason: 'circuit-open', attempts: 0 });
    expect(crm.requests).toHaveLength(1);
    expect(c.circuitState('acme-crm')).toBe('closed');
    expect(await c.call(connect, LEAD)).toMatchObject({ ok: true });
  });

  it('re-opens for another openMs when the probe fails', async () => {
    const c = client();
    const connect = acme();
    crm.respond({ kind: 'reset' });
    for (let i = 0; i < 3; i++) await c.call(connect, LEAD);
    skew += 1000;
    expect(await c.call(connect, LEAD)).toMatchObject({ ok: false, reason: 'network' });
    expect(c.circuitState('acme-crm')).toBe('open');
    skew += 800;
    expect(await c.call(connect, LEAD)).toMatchObject({ ok: false, reason: 'circuit-open' });
    expect(crm.requests).toHaveLength(4);
    skew += 200;
    expect(c.circuitState('acme-crm')).toBe('half-open');
  });

  it('counts only consecutive failures', async () => {
    const c = client();
    const connect = acme();
    crm.respond([{ status: 500 }, { status: 500 }, { json: {} }, { status: 500 }, { status: 500 }, { json: {} }]);
    for (let i = 0; i < 5; i++) await c.call(connect, LEAD);
    expect(c.circuitState('acme-crm')).toBe('closed');
  });

  it('counts timeouts, garbage and oversized answers as failures but not other 4xx', async () => {
    const c = client();
    crm.respond({ status: 404 });
    for (let i = 0; i < 4; i++) await c.call(acme(), LEAD);
    expect(c.circuitState('acme-crm')).toBe('closed');
    crm.reset();
    crm.respond([{ text: 'not json' }, { json: { big: 'x'.repeat(5000) } }, { json: {}, delayMs: 1000 }]);
    const reasons = [];
    for (const timeoutMs of [2000, 2000, 100]) {
      const outcome = await c.call(acme({ maxResponseBytes: 1000, timeoutMs }), LEAD);
      reasons.push(outcome.ok ? 'ok' : outcome.reason);
    }
    expect(reasons).toEqual(['invalid-json', 'too-large', 'timeout']);
    expect(c.circuitState('acme-crm')).toBe('open');
  });

  it('does not count a call whose deadline passed while it waited for a slot: it never reached the CRM', async () => {
    const c = client();
    const connect = acme({ maxConcurrency: 1, circuit: { failureThreshold: 1, openMs: 1000 } });
    // while the first call holds the only slot, the clock jumps past the second call's deadline
    crm.setHandler((_request, index) => {
      if (index === 0) skew += 10_000;
      return { json: {}, delayMs: 100 };
    });
    const [first, second] = await Promise.all([c.call(connect, LEAD), c.call(connect, LEAD)]);
    expect(first).toMatchObject({ ok: true });
    expect(second).toMatchObject({ ok: false, reason: 'timeout', attempts: 0, detail: 'the 2000 ms deadline passed before the CRM was asked (waiting for a slot)' });
    expect(crm.requests).toHaveLength(1);
    expect(c.circuitState('acme-crm')).toBe('closed');
  });

  it('keeps one circuit per connect', async () => {
    const c = client();
    crm.respond({ status: 500 });
    for (let i = 0; i < 3; i++) await c.call(acme(), LEAD);
    const other = compileConnect({ version: 1, url: `${crm.url}/other`, allowPrivateNetwork: true }, 'connects/other-crm.yaml', {});
    if (!other.ok) throw new Error('other connect failed to load');
    crm.respond({ json: {} });
    expect(await c.call(other.connect, LEAD)).toMatchObject({ ok: true });
    expect([c.circuitState('acme-crm'), c.circuitState('other-crm'), c.circuitState('never-called')]).toEqual(['open', 'closed', 'closed']);
  });
});

describe('maxConcurrency', () => {
  it('keeps at most maxConcurrency requests in flight; the others wait their turn in order', async () => {
    crm.respond({ json: {}, delayMs: 80 });
    const c = client();
    const connect = acme({ maxConcurrency: 2, timeoutMs: 1000 });
    const outcomes = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => c.call(connect, { phone: `+6138320813${i}` })));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, true]);
    expect(crm.maxInFlight).toBe(2);
    const sent = crm.requests.map((r) => (JSON.parse(r.body) as { phone_number: string }).phone_number.slice(-1));
    expect([sent.slice(0, 2).sort(), sent.slice(2, 4).sort(), sent.slice(4).sort()]).toEqual([
      ['0', '1'],
      ['2', '3'],
      ['4', '5'],
    ]);
  });

  it('fails a call that cannot get a slot before its deadline as a timeout, without calling', async () => {
    crm.respond({ json: {}, delayMs: 300 });
    const c = client();
    const slow = c.call(acme({ maxConcurrency: 1, timeoutMs: 1000 }), LEAD);
    const starved = await c.call(acme({ maxConcurrency: 1, timeoutMs: 100 }), LEAD);
    expect(starved).toMatchObject({
      ok: false,
      reason: 'timeout',
      attempts: 0,
      detail: 'no free slot (maxConcurrency 1) within the 100 ms deadline',
    });
    expect(starved.latencyMs).toBeGreaterThanOrEqual(95);
    expect(crm.requests).toHaveLength(1);
    expect(await slow).toMatchObject({ ok: true });
    expect(c.circuitState('acme-crm')).toBe('closed');
  });
});
