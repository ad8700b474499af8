import { describe, expect, it } from 'vitest';
import { dialerKind } from '../../../src/forward/kinds/dialer-kind.js';
import type { AttemptOutcome } from '../../../src/forward/ports.js';
import { answerOf, destinationOf, dncOf, insertOf, leadFixture, RECEIVED_AT, SECRETS, updateOf } from './kind-fixtures.js';

const http = dialerKind('http');
const destination = destinationOf('http', { adaptor: [{ field: 'firstName', mappedTo: 'name.first' }, { field: 'phone', mappedTo: 'phone,contact.phone' }] });

describe('http requests', () => {
  it('POSTs the insert as JSON to the URL with the destination\'s headers and an idempotency key per delivery', () => {
    const delivery = insertOf('http', { lead: leadFixture({ status: 'NEW', callbackAt: new Date('2026-03-01T23:30:00Z') }) });
    const request = http.request(destination, [delivery]);
    expect(request).toMatchObject({ method: 'POST', url: 'https://hooks.example.com/leads' });
    expect(request.headers).toEqual({
      Authorization: SECRETS.httpBearer,
      'X-Feed': SECRETS.httpEnvValue,
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': 'leadgate',
      'Idempotency-Key': `leadgate-delivery-${delivery.id}`,
    });
    expect(JSON.parse(request.body!)).toEqual({
      event: 'insert',
      leadId: '42',
      externalId: 'A-1',
      to: {},
      lead: {
        phone: '+61383208134',
        contact: { phone: '+61383208134' },
        mobile: '+61412345678',
        name: { first: 'Ann' },
        surname: 'Smith',
      },
      phones: ['+61383208134', '+61412345678'],
      status: 'NEW',
      priority: 10,
      callbackAt: '2026-03-01T23:30:00.000Z',
    });
  });

  it('sends an update with the changed fields and the dialer\'s lead id', () => {
    const delivery = updateOf('http', { dialerLeadId: 'x-9', update: { fields: { surname: 'Jones' }, disposition: 'SALE', allocationId: 101 } });
    expect(JSON.parse(http.request(destination, [delivery]).body!)).toEqual({
      event: 'update',
      leadId: '42',
      externalId: 'A-1',
      dialerLeadId: 'x-9',
      to: {},
      lead: { surname: 'Jones' },
      disposition: 'SALE',
      allocationId: 101,
    });
  });

  it('sends a DNC addition', () => {
    expect(JSON.parse(http.request(destination, [dncOf('http')]).body!)).toEqual({
      event: 'dnc',
      to: {},
      dnc: { phone: '+61383208134', campaignId: 0, reason: 'caller asked' },
    });
  });

  it('keeps a field named __proto__ a plain name', () => {
    const lead = leadFixture({ fields: { ['__proto__']: 'x', surname: 'Smith' } });
    const body = JSON.parse(http.request(destinationOf('http'), [insertOf('http', { lead })]).body!) as { lead: Record<string, unknown> };
    expect(Object.keys(body.lead)).toEqual(['__proto__', 'surname']);
  });
});

describe('http answers (SPEC 10.2)', () => {
  const table: Array<[status: number, body: string | object, outcome: AttemptOutcome]> = [
    [200, { status: 'ok', id: 'd-77' }, 'delivered'],
    [201, { status: 'ok', id: 78 }, 'delivered'],
    [200, { status: 'rejected', reason: 'duplicate' }, 'refused'],
    [200, 'accepted', 'refused'],
    [409, { error: 'conflict' }, 'refused'],
    [422, { error: 'unprocessable' }, 'refused'],
    [408, '', 'retry'],
    [429, '', 'retry'],
    [500, '', 'retry'],
    [503, 'maintenance', 'retry'],
    [400, { error: 'bad request' }, 'dead'],
    [401, '', 'dead'],
    [403, '', 'dead'],
    [404, 'not found', 'dead'],
    [302, '', 'dead'],
  ];

  it.each(table)('HTTP %i %j is %s', (status, body, outcome) => {
    const answer = answerOf(status, body);
    const [result] = http.read(destination, [insertOf('http')], answer);
    expect(result).toMatchObject({ outcome, status, answer: answer.body });
  });

  it('takes the dialer\'s lead id where the destination says it is', () => {
    expect(http.read(destination, [insertOf('http')], answerOf(200, { status: 'ok', id: 'd-77' }))[0]!.dialerLeadId).toBe('d-77');
  });

  it('reads a text answer as {"body": text}', () => {
    const reading = { succeeded: (a: unknown) => (a as { body?: string }).body === 'OK', leadId: () => null };
    const plain = destinationOf('http', { http: reading });
    expect(http.read(plain, [insertOf('http')], answerOf(200, 'OK'))[0]!.outcome).toBe('delivered');
  });

  it('counts any 2xx as delivered when the destination gives no success rule', () => {
    const { http: _none, ...noRule } = destinationOf('http');
    expect(http.read(noRule, [insertOf('http')], answerOf(204, ''))[0]).toMatchObject({ outcome: 'delivered', dialerLeadId: null });
  });

  it('takes Retry-After in seconds or as an HTTP date', () => {
    expect(http.read(destination, [insertOf('http')], answerOf(429, '', { 'Retry-After': '3' }))[0]!.retryAfterMs).toBe(3000);
    const date = answerOf(503, '', { 'Retry-After': new Date(RECEIVED_AT + 60_000).toUTCString() });
    expect(http.read(destination, [insertOf('http')], date)[0]!.retryAfterMs).toBe(60_000);
    expect(http.read(destination, [insertOf('http')], answerOf(503, '', { 'Retry-After': ['bogus'] }))[0]!.retryAfterMs).toBeUndefined();
  });
});
