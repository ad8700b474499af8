import { describe, expect, it } from 'vitest';
import { dialerKind } from '../../../src/forward/kinds/dialer-kind.js';
import type { ClaimedDelivery, DestinationKind, DialerRequest } from '../../../src/forward/ports.js';
import { destinationOf, dncOf, insertOf, leadFixture, SECRETS, updateOf } from './kind-fixtures.js';

/** Every way a secret can show in a request: raw, URL-encoded, form-encoded, JSON-escaped. */
function formsOf(secret: string): string[] {
  return [secret, encodeURIComponent(secret), new URLSearchParams([['', secret]]).toString().slice(1), JSON.stringify(secret).slice(1, -1)];
}

/** A lead whose own fields echo the secrets: a destination's own must not reach its attempt record either. */
const echoingLead = leadFixture({ fields: { phone: '03 8320 8134', note: `see ${Object.values(SECRETS).join(' / ')}`, ref: SECRETS.vicidialPass } });
const echoingUpdate = { fields: { note: SECRETS.httpEnvValue, surname: SECRETS.convosoToken }, disposition: SECRETS.noojeeApiKey };

const CASES: Array<[DestinationKind, string, ClaimedDelivery]> = [
  ['noojee', 'insert', insertOf('noojee', { lead: echoingLead })],
  ['noojee', 'update', updateOf('noojee', { lead: echoingLead, update: echoingUpdate })],
  ['convoso', 'insert', insertOf('convoso', { lead: echoingLead })],
  ['convoso', 'update', updateOf('convoso', { lead: echoingLead, dialerLeadId: '5', update: echoingUpdate })],
  ['convoso', 'dnc', dncOf('convoso')],
  ['vicidial', 'insert', insertOf('vicidial', { lead: echoingLead })],
  ['vicidial', 'update', updateOf('vicidial', { lead: echoingLead, update: echoingUpdate })],
  ['vicidial', 'dnc', dncOf('vicidial')],
  ['http', 'insert', insertOf('http', { lead: echoingLead })],
  ['http', 'update', updateOf('http', { lead: echoingLead, update: echoingUpdate })],
  ['http', 'dnc', dncOf('http')],
];

describe('the recorded request', () => {
  it.each(CASES)('%s %s holds no credential, in any encoding', (kind, _event, delivery) => {
    const destination = destinationOf(kind);
    const request = dialerKind(kind).request(destination, [delivery]);
    const own = [...Object.values(destination.credentials), ...destination.secrets];
    // the real request does carry them (else the test proves nothing)
    const sent = JSON.stringify(request);
    for (const secret of own) expect(formsOf(secret).some((form) => sent.includes(form))).toBe(true);
    const recorded = JSON.stringify(dialerKind(kind).redact(destination, request));
    for (const form of own.flatMap(formsOf)) expect(recorded).not.toContain(form);
    expect(recorded).toContain('REDACTED');
  });

  it('the convoso look-up is redacted too', () => {
    const destination = destinationOf('convoso');
    const lookup = dialerKind('convoso').lookup!;
    const recorded = JSON.stringify(dialerKind('convoso').redact(destination, lookup.request(destination, insertOf('convoso'))));
    for (const form of formsOf(SECRETS.convosoToken)) expect(recorded).not.toContain(form);
  });

  it('keeps what is not secret readable: method, URL, headers, and the body as an object', () => {
    const destination = destinationOf('http');
    const request: DialerRequest = dialerKind('http').request(destination, [insertOf('http')]);
    const recorded = dialerKind('http').redact(destination, request);
    expect(recorded).toMatchObject({
      method: 'POST',
      url: 'https://hooks.example.com/leads',
      headers: { Authorization: '[REDACTED]', 'X-Feed': '[REDACTED]', 'Content-Type': 'application/json' },
      body: { event: 'insert', leadId: '42', lead: { first_name: 'Ann' } },
    });
  });
});

describe('dialerKind', () => {
  it('has a look-up for convoso only', () => {
    expect(dialerKind('convoso').lookup).toBeDefined();
    for (const kind of ['noojee', 'vicidial', 'http'] as const) expect(dialerKind(kind).lookup).toBeUndefined();
  });

  it('batches noojee inserts only', () => {
    const batched = (kind: DestinationKind) => dialerKind(kind).batchSize(destinationOf(kind, { batch: 25 }), 'insert');
    expect([batched('noojee'), batched('convoso'), batched('vicidial'), batched('http')]).toEqual([25, 1, 1, 1]);
  });
});
