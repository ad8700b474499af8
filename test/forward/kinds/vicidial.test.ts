import { describe, expect, it } from 'vitest';
import { dialerKind } from '../../../src/forward/kinds/dialer-kind.js';
import type { AttemptOutcome, ClaimedDelivery } from '../../../src/forward/ports.js';
import { answerOf, destinationOf, dncOf, formObject, insertOf, leadFixture, SECRETS, updateOf } from './kind-fixtures.js';

const vicidial = dialerKind('vicidial');
const destination = destinationOf('vicidial', { adaptor: [{ field: 'firstName', mappedTo: 'first_name' }, { field: 'surname', mappedTo: 'last_name' }] });
const URL_ = 'https://vici.example.com/vicidial/non_agent_api.php';
const AUTH = { source: SECRETS.vicidialSource, user: SECRETS.vicidialUser, pass: SECRETS.vicidialPass };
const US_LEAD = leadFixture({
  externalId: null,
  fields: { phone: '727-555-1111', firstName: 'Bob', surname: 'Wilson' },
  phones: ['+17275551111'],
  phoneFields: ['phone'],
  country: 'US',
});

/** Text answers exactly as NON-AGENT_API.txt shows them (one line, newline-terminated). */
const text = (line: string, status = 200) => answerOf(status, `${line}\n`);

describe('vicidial requests', () => {
  it('adds a lead: national phone_number and phone_code, vendor_lead_code as the stable key, DUPLIST, the route\'s list and campaign', () => {
    const request = vicidial.request(destination, [insertOf('vicidial')]);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(URL_);
    expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(formObject(request.body)).toEqual({
      ...AUTH,
      phone: '383208134',
      mobile: '412345678',
      first_name: 'Ann',
      last_name: 'Smith',
      phone_number: '383208134',
      phone_code: '61',
      alt_phone: '412345678',
      vendor_lead_code: 'A-1',
      list_id: '999',
      campaign_id: 'TESTCAMP',
      duplicate_check: 'DUPLIST',
      custom_fields: 'Y',
      function: 'add_lead',
    });
  });

  it('keys a lead without an external id as lg-<leadId>, and always sends DUPLIST', () => {
    const form = formObject(vicidial.request(destination, [insertOf('vicidial', { lead: US_LEAD })]).body);
    expect(form).toMatchObject({ vendor_lead_code: 'lg-42', duplicate_check: 'DUPLIST', phone_number: '7275551111', phone_code: '1' });
    expect(form).not.toHaveProperty('alt_phone');
  });

  it('updates by the dialer\'s lead_id; the disposition is VICIdial\'s status', () => {
    const delivery = updateOf('vicidial', { dialerLeadId: '193715', update: { fields: { surname: 'Jones' }, disposition: 'SALE' } });
    expect(formObject(vicidial.request(destination, [delivery]).body)).toEqual({
      ...AUTH,
      last_name: 'Jones',
      status: 'SALE',
      lead_id: '193715',
      custom_fields: 'Y',
      function: 'update_lead',
    });
  });

  it('updates by vendor_lead_code when the insert left no lead id, and a changed first phone with update_phone_number', () => {
    const delivery = updateOf('vicidial', { lead: US_LEAD, update: { fields: { phone: '727 555 2222' }, status: 'CALLBK' } });
    expect(formObject(vicidial.request(destination, [delivery]).body)).toEqual({
      ...AUTH,
      phone: '7275552222',
      phone_number: '7275552222',
      phone_code: '1',
      update_phone_number: 'Y',
      status: 'CALLBK',
      search_method: 'VENDOR_LEAD_CODE',
      vendor_lead_code: 'lg-42',
      custom_fields: 'Y',
      function: 'update_lead',
    });
  });

  it('adds DNC numbers: to the route\'s campaign for a campaign\'s entry, else SYSTEM_INTERNAL', () => {
    expect(formObject(vicidial.request(destination, [dncOf('vicidial')]).body)).toEqual({
      ...AUTH,
      function: 'add_dnc_phone',
      phone_number: '383208134',
      campaign_id: 'SYSTEM_INTERNAL',
    });
    const scoped = dncOf('vicidial', { dnc: { e164: '+17275551212', campaignId: 10, reason: null } });
    expect(formObject(vicidial.request(destination, [scoped]).body)).toMatchObject({ phone_number: '7275551212', campaign_id: 'TESTCAMP' });
  });

  it('records the request with user, pass and source redacted', () => {
    const redacted = vicidial.redact(destination, vicidial.request(destination, [insertOf('vicidial')]));
    expect(redacted.body).toMatchObject({ user: '[REDACTED]', pass: '[REDACTED]', source: '[REDACTED]', function: 'add_lead', vendor_lead_code: 'A-1' });
  });
});

describe('vicidial answers (SPEC 10.2)', () => {
  const table: Array<[line: string, delivery: () => ClaimedDelivery, status: number, outcome: AttemptOutcome]> = [
    ['SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|6666|999|193715|-4', () => insertOf('vicidial'), 200, 'delivered'],
    ['ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551111|101|8765444', () => insertOf('vicidial'), 200, 'refused'],
    ['ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - 7275551111|101|8765444|101|PHONE', () => insertOf('vicidial'), 200, 'refused'],
    ['Internal Server Error', () => insertOf('vicidial'), 500, 'retry'],
    ['', () => insertOf('vicidial'), 503, 'retry'],
    ['ERROR: add_lead INVALID PHONE NUMBER LENGTH - 72755|6666', () => insertOf('vicidial'), 200, 'dead'],
    ['ERROR: add_lead NOT AN ALLOWED LIST ID - 7275551212|98762', () => insertOf('vicidial'), 200, 'dead'],
    ['ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM - 6666|0', () => insertOf('vicidial'), 200, 'dead'],
    ['ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION - 6666|add_lead', () => insertOf('vicidial'), 200, 'dead'],
    ['ERROR: NO FUNCTION SPECIFIED', () => insertOf('vicidial'), 200, 'dead'],
    ['SUCCESS: update_lead LEAD HAS BEEN UPDATED - 6666|193716', () => updateOf('vicidial', { dialerLeadId: '193716' }), 200, 'delivered'],
    ['ERROR: update_lead NO MATCHES FOUND IN THE SYSTEM - 6666|||', () => updateOf('vicidial'), 200, 'dead'],
    ['SUCCESS: add_dnc_phone DNC NUMBER HAS BEEN ADDED - 6666|7275551212|TESTCAMP', () => dncOf('vicidial'), 200, 'delivered'],
    ['ERROR: add_dnc_phone DNC NUMBER ALREADY EXISTS - 6666|7275551212', () => dncOf('vicidial'), 200, 'delivered'],
    ['ERROR: add_dnc_phone USER DOES NOT HAVE PERMISSION TO ADD DNC NUMBERS - 6666|0', () => dncOf('vicidial'), 200, 'dead'],
  ];

  it.each(table)('%s is read as the table says', (line, delivery, status, outcome) => {
    const answer = text(line, status);
    const [result] = vicidial.read(destination, [delivery()], answer);
    expect(result).toMatchObject({ outcome, status, answer: answer.body });
  });

  it('takes the lead id from the SUCCESS line in the document\'s order (phone|user|list|lead_id|gmt)', () => {
    const [result] = vicidial.read(destination, [insertOf('vicidial')], text('SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|6666|999|193715|-4'));
    expect(result).toMatchObject({ dialerLeadId: '193715', dialerCode: 'add_lead LEAD HAS BEEN ADDED' });
  });

  it('and in the order non_agent_api.php echoes (phone|list|lead_id|gmt|user), NOTICE lines following', () => {
    const answer = answerOf(200, 'SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|999|193716|-4|6666\nNOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO CUSTOM FIELDS DEFINED FOR THIS LIST - 7275551111|1234|101\n');
    expect(vicidial.read(destination, [insertOf('vicidial')], answer)[0]!.dialerLeadId).toBe('193716');
  });

  it('gives no lead id when the SUCCESS line does not show the list sent', () => {
    const [result] = vicidial.read(destination, [insertOf('vicidial')], text('SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|6666|101|193715|-4'));
    expect(result).toMatchObject({ outcome: 'delivered', dialerLeadId: null });
  });

  it('counts a duplicate as delivered after an unknown outcome, with the lead already there', () => {
    const answer = text('ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551111|999|8765444');
    const [result] = vicidial.read(destination, [insertOf('vicidial', { uncertain: true, attemptCount: 2 })], answer);
    expect(result).toMatchObject({ outcome: 'delivered', dialerLeadId: '8765444' });
    expect(vicidial.read(destination, [insertOf('vicidial')], answer)[0]).toMatchObject({ outcome: 'refused', dialerCode: 'add_lead DUPLICATE PHONE NUMBER IN LIST' });
  });

  it('reads an answer with neither SUCCESS nor ERROR as dead (NOTICE only, a login page)', () => {
    expect(vicidial.read(destination, [updateOf('vicidial')], text('NOTICE: update_lead NO MATCHES FOUND IN THE SYSTEM - 6666|4567|897654327|7275551212'))[0]!.outcome).toBe('dead');
    expect(vicidial.read(destination, [insertOf('vicidial')], answerOf(200, '<html><body>Login</body></html>'))[0]!.outcome).toBe('dead');
    expect(vicidial.read(destination, [insertOf('vicidial')], answerOf(401, 'Unauthorized'))[0]!.outcome).toBe('dead');
  });

  it('takes Retry-After from a 5xx', () => {
    const answer = answerOf(503, 'maintenance', { 'Retry-After': '600' });
    expect(vicidial.read(destination, [insertOf('vicidial')], answer)[0]!.retryAfterMs).toBe(600_000);
  });
});
