import { describe, expect, it } from 'vitest';
import { dialerKind, UnsendableDeliveryError } from '../../../src/forward/kinds/dialer-kind.js';
import type { AttemptOutcome, ClaimedDelivery } from '../../../src/forward/ports.js';
import { answerOf, destinationOf, dncOf, formObject, insertOf, leadFixture, RECEIVED_AT, SECRETS, updateOf } from './kind-fixtures.js';

const convoso = dialerKind('convoso');
const destination = destinationOf('convoso', { adaptor: [{ field: 'firstName', mappedTo: 'first_name' }, { field: 'surname', mappedTo: 'last_name' }] });
const US_LEAD = leadFixture({
  externalId: null,
  status: 'NEW',
  fields: { phone: '(201) 555-0123', firstName: 'Ann', surname: 'Smith', hopper: '1' },
  phones: ['+12015550123'],
  phoneFields: ['phone'],
  country: 'US',
  timeZone: 'America/New_York',
});

/** Answers as SPEC 4 shows Convoso's: HTTP 200 {"success":true,"data":{…}} or {"success":false,"code":N,"text":…}. */
const failure = (code: number, text: string, status = 200) => answerOf(status, { success: false, code, text });

describe('convoso requests', () => {
  it('inserts through /v1/leads/insert with a form: auth_token, list_id, national phone_number and phone_code, mapped fields', () => {
    const request = convoso.request(destination, [insertOf('convoso', { lead: US_LEAD })]);
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://api.convoso.example/v1/leads/insert');
    expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(formObject(request.body)).toEqual({
      phone: '2015550123',
      first_name: 'Ann',
      last_name: 'Smith',
      hopper: '1',
      phone_number: '2015550123',
      phone_code: '1',
      list_id: '5001',
      status: 'NEW',
      auth_token: SECRETS.convosoToken,
    });
  });

  it('a field the adaptor maps to phone_number gets the number in Convoso\'s form', () => {
    const mapped = destinationOf('convoso', { adaptor: [{ field: 'phone', mappedTo: 'phone_number' }] });
    const form = formObject(convoso.request(mapped, [insertOf('convoso')]).body);
    expect(form).toMatchObject({ phone_number: '383208134', phone_code: '61', mobile: '412345678' });
    expect(form).not.toHaveProperty('phone');
  });

  it('updates through /v1/leads/update by the dialer\'s lead id; the disposition is Convoso\'s status', () => {
    const delivery = updateOf('convoso', {
      lead: US_LEAD,
      dialerLeadId: '778',
      update: { fields: { surname: 'Jones', phone: '201-555-0199' }, disposition: 'SALE' },
    });
    const request = convoso.request(destination, [delivery]);
    expect(request.url).toBe('https://api.convoso.example/v1/leads/update');
    expect(formObject(request.body)).toEqual({
      last_name: 'Jones',
      phone: '2015550199',
      phone_number: '2015550199',
      phone_code: '1',
      status: 'SALE',
      lead_id: '778',
      auth_token: SECRETS.convosoToken,
    });
  });

  it('cannot update without the dialer\'s lead id', () => {
    expect(() => convoso.request(destination, [updateOf('convoso', { dialerLeadId: null })])).toThrow(UnsendableDeliveryError);
  });

  it('adds DNC numbers through /v1/dnc/insert: global ("0") unless the entry is a campaign\'s and the route names the dialer\'s campaign', () => {
    const global = convoso.request(destination, [dncOf('convoso')]);
    expect(global.url).toBe('https://api.convoso.example/v1/dnc/insert');
    expect(formObject(global.body)).toEqual({
      phone_number: '383208134',
      phone_code: '61',
      campaign_id: '0',
      reason: 'caller asked',
      auth_token: SECRETS.convosoToken,
    });
    const scoped = dncOf('convoso', { to: { listId: 5001, campaignId: 88 }, dnc: { e164: '+12015550123', campaignId: 10, reason: null } });
    expect(formObject(convoso.request(destination, [scoped]).body)).toEqual({
      phone_number: '2015550123',
      phone_code: '1',
      campaign_id: '88',
      auth_token: SECRETS.convosoToken,
    });
    const unknownCampaign = dncOf('convoso', { dnc: { e164: '+12015550123', campaignId: 10, reason: null } });
    expect(formObject(convoso.request(destination, [unknownCampaign]).body).campaign_id).toBe('0');
  });

  it('keeps auth_token out of the URL and out of the recorded request', () => {
    const request = convoso.request(destination, [insertOf('convoso')]);
    expect(request.url).not.toContain('auth_token');
    const redacted = convoso.redact(destination, request);
    expect(redacted.body).toMatchObject({ auth_token: '[REDACTED]', list_id: '5001' });
  });
});

describe('convoso answers (SPEC 10.2)', () => {
  const table: Array<[name: string, delivery: () => ClaimedDelivery, answer: ReturnType<typeof answerOf>, outcome: AttemptOutcome, code?: number]> = [
    ['success: true', () => insertOf('convoso'), answerOf(200, { success: true, data: { lead_id: '12345' } }), 'delivered'],
    ['6009 already exists', () => insertOf('convoso'), failure(6009, 'The phone number already exists'), 'refused', 6009],
    ['6010 on the DNC list', () => insertOf('convoso'), failure(6010, 'The phone number is on the DNC list'), 'refused', 6010],
    ['HTTP 429', () => insertOf('convoso'), answerOf(429, { success: false, code: 429, text: 'Too Many Requests' }), 'retry'],
    ['HTTP 500', () => insertOf('convoso'), answerOf(500, 'Internal Server Error'), 'retry'],
    ['HTTP 503', () => insertOf('convoso'), answerOf(503, ''), 'retry'],
    ['403 Forbidden', () => insertOf('convoso'), failure(403, 'Forbidden', 403), 'dead', 403],
    ['6001 no such lead', () => updateOf('convoso', { dialerLeadId: '1' }), failure(6001, 'No such Lead'), 'dead', 6001],
    ['6002 no such list', () => insertOf('convoso'), failure(6002, 'No such List'), 'dead', 6002],
    ['6007 phone and list required', () => insertOf('convoso'), failure(6007, 'The Lead requires a phone number and list id'), 'dead', 6007],
    ['6008 invalid phone', () => insertOf('convoso'), failure(6008, 'The phone number is invalid'), 'dead', 6008],
    ['6079 invalid email', () => insertOf('convoso'), failure(6079, 'Invalid email'), 'dead', 6079],
    ['any other code (6023)', () => insertOf('convoso'), failure(6023, 'Required fields are missed'), 'dead', 6023],
    ['a string code', () => insertOf('convoso'), answerOf(200, { success: false, code: '6009', text: 'The phone number already exists' }), 'refused', 6009],
  ];

  it.each(table)('%s is %s', (_name, delivery, answer, outcome, code) => {
    const [result] = convoso.read(destination, [delivery()], answer);
    expect(result).toMatchObject({ outcome, status: answer.status, answer: answer.body });
    if (code !== undefined) expect(result!.dialerCode).toBe(code);
  });

  it('takes the dialer\'s lead id from data.lead_id', () => {
    expect(convoso.read(destination, [insertOf('convoso')], answerOf(200, { success: true, data: { lead_id: '12345' } }))[0]!.dialerLeadId).toBe('12345');
    expect(convoso.read(destination, [insertOf('convoso')], answerOf(200, { success: true, data: { lead_id: 678 } }))[0]!.dialerLeadId).toBe('678');
  });

  it('counts a DNC insert as delivered, also when the number is already there (6008), and takes no lead id from it', () => {
    const added = convoso.read(destination, [dncOf('convoso')], answerOf(200, { success: true, id: '31' }))[0]!;
    expect(added).toMatchObject({ outcome: 'delivered' });
    expect(added.dialerLeadId).toBeUndefined();
    expect(convoso.read(destination, [dncOf('convoso')], failure(6008, 'The phone number already exists.'))[0]!.outcome).toBe('delivered');
    expect(convoso.read(destination, [dncOf('convoso')], failure(6006, 'Invalid Campaign ID'))[0]!.outcome).toBe('dead');
  });

  it('reads an answer without "success" as dead, or retry on 5xx', () => {
    expect(convoso.read(destination, [insertOf('convoso')], answerOf(200, '<html>login</html>'))[0]!.outcome).toBe('dead');
    expect(convoso.read(destination, [insertOf('convoso')], answerOf(404, { error: 'not found' }))[0]!.outcome).toBe('dead');
  });

  it('takes Retry-After in seconds or as an HTTP date', () => {
    const seconds = answerOf(429, '', { 'Retry-After': '120' });
    expect(convoso.read(destination, [insertOf('convoso')], seconds)[0]!.retryAfterMs).toBe(120_000);
    const date = answerOf(503, '', { 'Retry-After': new Date(RECEIVED_AT + 5_000).toUTCString() });
    expect(convoso.read(destination, [insertOf('convoso')], date)[0]!.retryAfterMs).toBe(5_000);
  });
});

describe('convoso look-up after an unknown outcome (SPEC 10.2 point 4)', () => {
  const lookup = convoso.lookup!;
  const delivery = insertOf('convoso', { lead: US_LEAD, uncertain: true, attemptCount: 1 });

  it('searches /v1/leads/search by the phone and list the insert sends', () => {
    const request = lookup.request(destination, delivery);
    expect(request.url).toBe('https://api.convoso.example/v1/leads/search');
    expect(formObject(request.body)).toEqual({
      phone_number: '2015550123',
      list_id: '5001',
      offset: '0',
      limit: '100',
      auth_token: SECRETS.convosoToken,
    });
  });

  it('counts a match as found, with the newest matching lead\'s id', () => {
    const answer = answerOf(200, {
      success: true,
      data: {
        offset: '0',
        limit: '100',
        total: '2',
        entries: [
          { id: '998', list_id: '5001', status: 'NEW', phone_number: '2015550123', phone_code: '1' },
          { id: '1004', list_id: '5001', status: 'NEW', phone_number: '2015550123', phone_code: '1' },
        ],
      },
    });
    expect(lookup.read(destination, delivery, answer)).toEqual({ found: true, dialerLeadId: '1004' });
  });

  it('says not found for no entries', () => {
    const answer = answerOf(200, { success: true, data: { offset: '0', limit: '100', total: '0', entries: [] } });
    expect(lookup.read(destination, delivery, answer)).toEqual({ found: false });
  });

  it('fails as the answer says: retry on 5xx and 429, dead on 403 or an unreadable answer', () => {
    expect(lookup.read(destination, delivery, answerOf(503, 'busy', { 'Retry-After': '7' }))).toMatchObject({ failed: { outcome: 'retry', retryAfterMs: 7000 } });
    expect(lookup.read(destination, delivery, answerOf(429, ''))).toMatchObject({ failed: { outcome: 'retry' } });
    expect(lookup.read(destination, delivery, failure(403, 'Forbidden', 403))).toMatchObject({ failed: { outcome: 'dead', dialerCode: 403 } });
    expect(lookup.read(destination, delivery, answerOf(200, { success: true, data: {} }))).toMatchObject({ failed: { outcome: 'dead' } });
  });
});
