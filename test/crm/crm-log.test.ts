import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCrmClient, type CrmClientDeps } from '../../src/crm/call-crm.js';
import type { CompiledConnect } from '../../src/crm/compile-connect.js';
import type { UndiciTransport } from '../../src/crm/undici-transport.js';
import { createLogger } from '../../src/entry/logger.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { crmPerTest } from '../support/crm-per-test.js';
import { connectFrom } from './connect-fixture.js';

/**
 * The CRM client's log lines, read back from a real pino logger writing to a stream, with a real
 * loopback CRM: circuit changes at their levels, failed calls at warn and rate-limited, no secret.
 */

const LEAD = { phone: '+61383208134' };
const SECRET = 'crm-secret-5e7a1c';
const WARN = 40;
const INFO = 30;

const loopback = crmPerTest();
let crm: FakeCrm;
let transport: UndiciTransport;
let skew: number;
let lines: string[];

beforeEach(() => {
  ({ crm, transport } = loopback);
  skew = 0;
  lines = [];
});

function acme(fields: Record<string, unknown> = {}): CompiledConnect {
  return connectFrom(
    {
      url: `${crm.url}/lookup?token=\${env:CRM_SECRET}`,
      headers: { Authorization: 'Bearer ${env:CRM_SECRET}' },
      allowPrivateNetwork: true,
      timeoutMs: 2000,
      retries: 0,
      adaptor: [{ field: 'phone', mappedTo: 'phone_number' }],
      circuit: { failureThreshold: 3, openMs: 1000 },
      ...fields,
    },
    { CRM_SECRET: SECRET },
  );
}

/** A client logging through a real pino logger into `lines`; `skew` moves its clock without waiting. */
function client(deps: Partial<CrmClientDeps> = {}) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return createCrmClient({
    transport,
    now: () => Date.now() + skew,
    sleep: async () => undefined,
    logger: createLogger('debug', stream),
    ...deps,
  });
}

/** The lines of crm.* events, as [level, event, fields]. */
function crmLines(): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.event).startsWith('crm.'));
}

describe('circuit log lines', () => {
  it('warns when the circuit opens and when a probe closes it, naming the connect; half-open at info', async () => {
    const c = client();
    const connect = acme();
    crm.respond({ status: 503, json: { error: 'down' } });
    for (let i = 0; i < 3; i++) await c.call(connect, LEAD);
    expect(c.circuitState('acme-crm')).toBe('open');
    const opened = crmLines().filter((l) => l.event === 'crm.circuit_opened');
    expect(opened).toEqual([
      expect.objectContaining({
        level: WARN,
        event: 'crm.circuit_opened',
        connect: 'acme-crm',
        failures: 3,
        openMs: 1000,
        lastFailure: { reason: 'status', status: 503, latencyMs: expect.any(Number), attempts: 1, detail: 'CRM answered HTTP 503' },
        msg: 'circuit of connect acme-crm opened after 3 failed calls in a row: no calls for 1000 ms, then one probe',
      }),
    ]);

    skew += 1000;
    crm.respond({ json: { customer: null } });
    expect(await c.call(connect, LEAD)).toMatchObject({ ok: true });
    expect(c.circuitState('acme-crm')).toBe('closed');
    // the first failure was logged; the next two were counted (same interval)
    expect(crmLines().map((l) => [l.level, l.event, l.connect])).toEqual([
      [WARN, 'crm.call_failed', 'acme-crm'],
      [WARN, 'crm.circuit_opened', 'acme-crm'],
      [INFO, 'crm.circuit_half_open', 'acme-crm'],
      [WARN, 'crm.circuit_closed', 'acme-crm'],
    ]);
    const closed = crmLines()[3]!;
    expect(closed).toMatchObject({ openForMs: expect.any(Number), msg: 'circuit of connect acme-crm closed: the probe call succeeded' });
    expect(closed.openForMs as number).toBeGreaterThanOrEqual(1000);
  });

  it('logs a failed probe as a re-opening at info: the opening warn stands until the circuit closes', async () => {
    const c = client();
    const connect = acme();
    crm.respond({ kind: 'reset' });
    for (let i = 0; i < 3; i++) await c.call(connect, LEAD);
    skew += 1000;
    await c.call(connect, LEAD);
    expect(c.circuitState('acme-crm')).toBe('open');
    const circuit = crmLines().filter((l) => String(l.event).startsWith('crm.circuit_'));
    expect(circuit.map((l) => [l.level, l.event])).toEqual([
      [WARN, 'crm.circuit_opened'],
      [INFO, 'crm.circuit_half_open'],
      [INFO, 'crm.circuit_reopened'],
    ]);
    expect(circuit[2]).toMatchObject({ connect: 'acme-crm', openMs: 1000, lastFailure: { reason: 'network', attempts: 1 } });
  });
});

describe('failed-call lines', () => {
  it('warns about a failed call with the connect, the reason, the status and the latency', async () => {
    const c = client();
    crm.respond({ status: 500, json: {}, delayMs: 30 });
    await c.call(acme(), LEAD);
    expect(crmLines()).toEqual([
      expect.objectContaining({
        level: WARN,
        event: 'crm.call_failed',
        connect: 'acme-crm',
        reason: 'status',
        status: 500,
        attempts: 1,
        detail: 'CRM answered HTTP 500',
        msg: 'CRM call of connect acme-crm failed: status',
      }),
    ]);
    expect(crmLines()[0]!.latencyMs as number).toBeGreaterThanOrEqual(25);
  });

  it.each([
    ['a timeout', { json: {}, delayMs: 500 }, { timeoutMs: 100 }, 'timeout'],
    ['a network error', { kind: 'reset' as const }, {}, 'network'],
    ['an answer that is not JSON', { text: 'oops' }, {}, 'invalid-json'],
    ['an oversized answer', { json: { big: 'x'.repeat(5000) } }, { maxResponseBytes: 1000 }, 'too-large'],
  ])('warns about %s', async (_name, reply, fields, reason) => {
    const c = client();
    crm.respond(reply);
    await c.call(acme(fields), LEAD);
    expect(crmLines().map((l) => [l.level, l.event, l.connect, l.reason])).toEqual([[WARN, 'crm.call_failed', 'acme-crm', reason]]);
  });

  it('logs a storm of failures once per interval per connect, with the count of those it did not log', async () => {
    const c = client({ failureLogIntervalMs: 10_000 });
    const connect = acme({ circuit: { failureThreshold: 1000, openMs: 1000 }, maxConcurrency: 8 });
    crm.respond({ status: 503 });
    await Promise.all(Array.from({ length: 200 }, () => c.call(connect, LEAD)));
    expect(crmLines().map((l) => l.event)).toEqual(['crm.call_failed']);

    skew += 10_000;
    crm.reset();
    crm.respond([{ kind: 'reset' }, { status: 503 }]);
    await c.call(connect, LEAD);
    await c.call(connect, LEAD);
    expect(crmLines().map((l) => l.event)).toEqual(['crm.call_failed', 'crm.call_failed']);
    expect(crmLines()[1]).toMatchObject({ reason: 'network', notLogged: { failures: 199, byReason: { status: 199 }, sinceMs: expect.any(Number) } });
    expect((crmLines()[1]!.notLogged as { sinceMs: number }).sinceMs).toBeGreaterThanOrEqual(10_000);

    // a success after the interval writes the summary of what was counted since, and the next failure is logged at once
    skew += 10_000;
    crm.respond({ json: {} });
    await c.call(connect, LEAD);
    expect(crmLines().at(-1)).toMatchObject({ level: WARN, event: 'crm.call_failures', connect: 'acme-crm', failures: 1, byReason: { status: 1 } });
    crm.respond({ status: 502 });
    await c.call(connect, LEAD);
    expect(crmLines().map((l) => l.event)).toEqual(['crm.call_failed', 'crm.call_failed', 'crm.call_failures', 'crm.call_failed']);
    expect(crmLines().at(-1)).toMatchObject({ status: 502 });
    expect(crmLines().at(-1)!.notLogged).toBeUndefined();
  });

  it('keeps one count per connect', async () => {
    const c = client();
    crm.respond({ status: 500 });
    await c.call(acme(), LEAD);
    await c.call(acme(), LEAD);
    await c.call({ ...acme(), name: 'other-crm' }, LEAD);
    expect(crmLines().map((l) => [l.event, l.connect])).toEqual([
      ['crm.call_failed', 'acme-crm'],
      ['crm.call_failed', 'other-crm'],
    ]);
  });

  it('does not start a line for calls an open circuit refused, but counts them into the next one', async () => {
    const c = client({ failureLogIntervalMs: 10_000 });
    const connect = acme();
    crm.respond({ status: 503 });
    for (let i = 0; i < 3; i++) await c.call(connect, LEAD);
    for (let i = 0; i < 5; i++) expect(await c.call(connect, LEAD)).toMatchObject({ reason: 'circuit-open' });
    expect(crmLines().map((l) => l.event)).toEqual(['crm.call_failed', 'crm.circuit_opened']);
    skew += 10_000;
    await c.call(connect, LEAD); // the probe fails
    expect(crmLines().find((l) => l.event === 'crm.call_failed' && l.notLogged !== undefined)).toMatchObject({
      notLogged: { failures: 7, byReason: { status: 2, 'circuit-open': 5 } },
    });
  });

  it('never logs a secret of the connect (URL, headers, or the CRM echoing it)', async () => {
    const c = client({ failureLogIntervalMs: 0 });
    crm.respond([{ text: `<html>token ${SECRET} refused</html>` }, { status: 401, text: SECRET }, { kind: 'reset' }]);
    for (let i = 0; i < 3; i++) await c.call(acme(), LEAD);
    expect(crmLines().map((l) => l.reason)).toEqual(['invalid-json', 'status', 'network']);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(crm.requests[0]!.url).toContain(SECRET); // it was sent, so there was something to leak
  });
});
