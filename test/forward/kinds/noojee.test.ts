import { describe, expect, it } from 'vitest';
import { dialerKind, UnsendableDeliveryError } from '../../../src/forward/kinds/dialer-kind.js';
import type { AttemptOutcome } from '../../../src/forward/ports.js';
import { answerOf, destinationOf, dncOf, insertOf, leadFixture, RECEIVED_AT, SECRETS, updateOf } from './kind-fixtures.js';

const noojee = dialerKind('noojee');
const destination = destinationOf('noojee');
const BASE = 'https://pbx.example.com/servicemanager/rest/CampaignAPI';
const QUERY = `fTemplateId=3&fCampaignId=7&fAllocationId=21&apiKey=${encodeURIComponent(SECRETS.noojeeApiKey).replace(/%20/g, '+')}`;

/** An answer as seeds 001–003 and SPEC 2 show it: {"code","message","description"}, HTTP status per code. */
function noojeeAnswer(code: number, message: string, status: number, extra: object = {}) {
  return answerOf(status, { code, message, description: `${message} (test)`, ...extra });
}

describe('noojee requests', () => {
  it('sends one insert to insertLeadFast: mapped fields, national phones, the stable key, priority and callback in the lead\'s zone', () => {
    const delivery = insertOf('noojee', { lead: leadFixture({ priority: 5, callbackAt: new Date('2026-03-01T23:30:00Z') }) });
    const request = noojee.request(destination, [delivery]);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${BASE}/insertLeadFast?${QUERY}`);
    expect(new URL(request.url).searchParams.get('apiKey')).toBe(SECRETS.noojeeApiKey);
    expect(request.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(request.body!)).toEqual({
      phone: '0383208134',
      mobile: '0412345678',
      first_name: 'Ann',
      surname: 'Smith',
      njExternalLeadId: 'A-1',
      njPriority: 5,
      njCallBackDate: '2026/03/02 10:30',
    });
  });

  it('keys a lead without an external id as lg-<leadId>, and writes a foreign number in E.164', () => {
    const lead = leadFixture({ externalId: null, fields: { phone: '+44 20 7946 0958' }, phones: ['+442079460958'], phoneFields: ['phone'] });
    const body = JSON.parse(noojee.request(destination, [insertOf('noojee', { lead })]).body!) as Record<string, unknown>;
    expect(body.njExternalLeadId).toBe('lg-42');
    expect(body.phone).toBe('+442079460958');
  });

  it('finds the phone fields by their numbers when the lead does not name them', () => {
    const { phoneFields: _omit, country: _country, ...rest } = leadFixture();
    const body = JSON.parse(noojee.request(destination, [insertOf('noojee', { lead: rest })]).body!) as Record<string, unknown>;
    expect(body).toMatchObject({ phone: '0383208134', mobile: '0412345678', surname: 'Smith' });
  });

  it('sends several inserts as one insertLeadsFast array, one lead per delivery in order', () => {
    const deliveries = ['A-1', 'A-2', 'A-3'].map((externalId) => insertOf('noojee', { lead: leadFixture({ externalId }) }));
    const request = noojee.request(destination, deliveries);
    expect(request.url).toBe(`${BASE}/insertLeadsFast?${QUERY}`);
    const body = JSON.parse(request.body!) as Array<Record<string, unknown>>;
    expect(body.map((lead) => lead.njExternalLeadId)).toEqual(['A-1', 'A-2', 'A-3']);
  });

  it('batches only inserts, up to the destination batch', () => {
    expect(noojee.batchSize(destinationOf('noojee', { batch: 50 }), 'insert')).toBe(50);
    expect(noojee.batchSize(destination, 'update')).toBe(1);
    expect(() => noojee.request(destination, [updateOf('noojee'), updateOf('noojee')])).toThrow(/at most 1/);
  });

  it('refuses to mix routes in one call', () => {
    const other = insertOf('noojee', { to: { templateId: 3, campaignId: 7, allocationId: 22 } });
    expect(() => noojee.request(destination, [insertOf('noojee'), other])).toThrow(/share/);
  });

  it('sends an update to updateLeadFast by njExternalLeadId, unchanged phones as <No Change>', () => {
    const delivery = updateOf('noojee', {
      update: { fields: { surname: 'Jones', mobile: '0412 999 888' }, disposition: 'Call Back', callbackAt: '2026/12/24 10:30:00', priority: 3 },
    });
    const request = noojee.request(destination, [delivery]);
    expect(request.url).toBe(`${BASE}/updateLeadFast?${QUERY}`);
    expect(JSON.parse(request.body!)).toEqual({
      surname: 'Jones',
      mobile: '0412999888',
      phone: '<No Change>',
      njExternalLeadId: 'A-1',
      njDisposition: 'Call Back',
      njCallBackDate: '2026/12/24 10:30',
      njPriority: 3,
    });
  });

  it('keeps the disposition with <No Change> when the update sets none, and writes an instant callback in the lead\'s zone', () => {
    const delivery = updateOf('noojee', { update: { fields: { firstName: 'Anne' }, callbackAt: '2026-07-01T00:15:00Z' } });
    expect(JSON.parse(noojee.request(destination, [delivery]).body!)).toEqual({
      first_name: 'Anne',
      phone: '<No Change>',
      mobile: '<No Change>',
      njExternalLeadId: 'A-1',
      njDisposition: '<No Change>',
      njCallBackDate: '2026/07/01 10:15',
    });
  });

  it('has no DNC call', () => {
    expect(() => noojee.request(destination, [dncOf('noojee')])).toThrow(UnsendableDeliveryError);
  });

  it('redacts the apiKey from the recorded URL', () => {
    const redacted = noojee.redact(destination, noojee.request(destination, [insertOf('noojee')]));
    expect(redacted.url).toBe(`${BASE}/insertLeadFast?fTemplateId=3&fCampaignId=7&fAllocationId=21&apiKey=%5BREDACTED%5D`);
    expect(redacted.body).toMatchObject({ njExternalLeadId: 'A-1', phone: '0383208134' });
  });
});

describe('noojee answers (SPEC 10.2)', () => {
  const table: Array<[code: number, message: string, status: number, outcome: AttemptOutcome]> = [
    [0, 'OK', 200, 'delivered'],
    [104, 'DNC', 400, 'refused'],
    [105, 'DUPLICATE', 400, 'refused'],
    [109, 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS', 400, 'retry'],
    [103, 'EXCEPTION', 500, 'retry'],
    [101, 'COULDNT_FIND_THE_LEAD', 400, 'dead'],
    [102, 'NO_PHONE_FIELDS', 400, 'dead'],
    [106, 'INVALID_DISPOSTION', 400, 'dead'],
    [107, 'DISPOSTION_ISNT_SET_AND_NOCHANGE_SPECIFIED', 400, 'dead'],
    [108, 'IMPORT_BUT_NOCHANGE_SPECIFIED', 400, 'dead'],
    [110, 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT', 400, 'dead'],
    [111, 'INVALID_TIMEZONE_SPECIFIED', 400, 'dead'],
    [114, 'INVALID_CALLBACK_DATE_FORMAT', 400, 'dead'],
    [115, 'ALLOCATION_ID_REQUIRED', 400, 'dead'],
    [116, 'TEMPLATE_ID_REQUIRED', 400, 'dead'],
    [117, 'CAMPAIGN_ID_REQUIRED', 400, 'dead'],
    [401, 'UNAUTHORIZED', 401, 'dead'],
  ];

  it.each(table)('code %i %s (HTTP %i) is %s', (code, message, status, outcome) => {
    const delivery = code === 110 || code === 106 || code === 107 || code === 101 ? updateOf('noojee') : insertOf('noojee');
    const answer = noojeeAnswer(code, message, status, code === 0 ? { leadId: '9001' } : {});
    const [result] = noojee.read(destination, [delivery], answer);
    expect(result).toMatchObject({ outcome, status, answer: answer.body });
    if (code === 0) expect(result!.dialerLeadId).toBe('9001');
    else expect(result!.dialerCode).toBe(code);
  });

  it('retries any HTTP 5xx, whatever the body', () => {
    const [result] = noojee.read(destination, [insertOf('noojee')], answerOf(502, '<html>Bad Gateway</html>'));
    expect(result!.outcome).toBe('retry');
  });

  it('counts 110 as dead even on a retry: a retry would overwrite a person\'s edit', () => {
    const delivery = updateOf('noojee', { attemptCount: 3, uncertain: true });
    expect(noojee.read(destination, [delivery], noojeeAnswer(110, 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT', 400))[0]!.outcome).toBe('dead');
  });

  it('counts 112 as delivered after an unknown outcome, and as refused without one', () => {
    const answer = noojeeAnswer(112, 'DUPLICATE_EXTERNAL_ID', 400);
    expect(noojee.read(destination, [insertOf('noojee', { uncertain: true, attemptCount: 1 })], answer)[0]).toMatchObject({ outcome: 'delivered', dialerLeadId: null });
    expect(noojee.read(destination, [insertOf('noojee')], answer)[0]).toMatchObject({ outcome: 'refused', dialerCode: 112 });
  });

  it('reads an answer it cannot parse as dead, or as retry on 5xx', () => {
    expect(noojee.read(destination, [insertOf('noojee')], answerOf(200, 'OK'))[0]!.outcome).toBe('dead');
    expect(noojee.read(destination, [insertOf('noojee')], answerOf(200, { message: 'OK' }))[0]!.outcome).toBe('dead');
    expect(noojee.read(destination, [insertOf('noojee')], answerOf(503, 'down for maintenance'))[0]!.outcome).toBe('retry');
  });

  it('takes Retry-After in seconds or as an HTTP date', () => {
    const inSeconds = noojeeAnswer(109, 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS', 400);
    inSeconds.headers = { 'Retry-After': '30' };
    expect(noojee.read(destination, [insertOf('noojee')], inSeconds)[0]!.retryAfterMs).toBe(30_000);
    const asDate = noojeeAnswer(103, 'EXCEPTION', 500);
    asDate.headers = { 'retry-after': new Date(RECEIVED_AT + 90_000).toUTCString() };
    expect(noojee.read(destination, [insertOf('noojee')], asDate)[0]!.retryAfterMs).toBe(90_000);
  });

  it('keeps at most 2,000 characters of an answer', () => {
    const answer = noojeeAnswer(105, 'DUPLICATE', 400, { padding: 'x'.repeat(5000) });
    expect(noojee.read(destination, [insertOf('noojee')], answer)[0]!.answer).toBe(answer.body.slice(0, 2000));
  });
});

describe('noojee batch answers (insertLeadsFast)', () => {
  const deliveries = () => [insertOf('noojee'), insertOf('noojee'), insertOf('noojee', { uncertain: true }), insertOf('noojee')];

  it('maps each per-lead result to its delivery by index', () => {
    const results = [
      { index: 0, code: 0, message: 'OK', leadId: '501' },
      { index: 1, code: 105, message: 'DUPLICATE', description: 'There is already a lead with this phone number' },
      { index: 2, code: 112, message: 'DUPLICATE_EXTERNAL_ID', description: 'The value passed via njExternalLeadId already exists in the Campaign.' },
      { index: 3, code: 104, message: 'DNC', description: "The lead's phone numbers are on the DNC list" },
    ];
    // Listed out of order: the index, not the position, says whose result it is.
    const answer = answerOf(200, { code: 0, message: 'OK', results: [results[3], results[0], results[2], results[1]], counts: { 0: 1, 104: 1, 105: 1, 112: 1 } });
    const read = noojee.read(destination, deliveries(), answer);
    expect(read.map((r) => r.outcome)).toEqual(['delivered', 'refused', 'delivered', 'refused']);
    expect(read[0]).toMatchObject({ dialerLeadId: '501', answer: JSON.stringify(results[0]) });
    expect(read[1]).toMatchObject({ dialerCode: 105, answer: JSON.stringify(results[1]) });
    expect(read[3]).toMatchObject({ dialerCode: 104 });
  });

  it('gives a request-level failure to every lead', () => {
    const answer = noojeeAnswer(116, 'TEMPLATE_ID_REQUIRED', 400);
    expect(noojee.read(destination, deliveries(), answer).map((r) => [r.outcome, r.dialerCode])).toEqual(Array(4).fill(['dead', 116]));
    const busy = noojeeAnswer(109, 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS', 400);
    expect(noojee.read(destination, deliveries(), busy).map((r) => r.outcome)).toEqual(Array(4).fill('retry'));
  });

  it('reads a lead with no result of its own as unreadable', () => {
    const answer = answerOf(200, { code: 0, message: 'OK', results: [{ index: 0, code: 0, message: 'OK', leadId: '1' }] });
    expect(noojee.read(destination, deliveries().slice(0, 2), answer).map((r) => r.outcome)).toEqual(['delivered', 'dead']);
    expect(noojee.read(destination, deliveries().slice(0, 2), answerOf(200, { code: 0, message: 'OK' })).map((r) => r.outcome)).toEqual(['dead', 'dead']);
  });
});
