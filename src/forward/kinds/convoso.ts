/*
 * Convoso's lead API (SPEC 4): /v1/leads/insert, /v1/leads/update, /v1/dnc/insert, and
 * /v1/leads/search for the look-up after an unknown outcome. Sent as POST with a form body, one
 * of the forms Convoso's clients use, so that auth_token never appears in a URL.
 */
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DialerRequest } from '../ports.js';
import { codeOf, idOf, isRecord, isServerTrouble, parseJson, resultOf, unreadable } from './answer-reading.js';
import { changedPrimaryPhone, phonePresenter, splitE164 } from './dialer-phones.js';
import { UnsendableDeliveryError, type DialerAnswer, type DialerKind, type LookupReading } from './kind-types.js';
import { formBody, leadOf, mapFields, oneCall, setParam, type Params } from './lead-values.js';
import { redactDialerRequest } from './redact-request.js';

/** Enough to see our lead among others with the same phone in the list. */
const LOOKUP_LIMIT = 100;

export const convosoKind: DialerKind = {
  batchSize: () => 1,
  request,
  redact: (destination, request) => redactDialerRequest(destination, request, ['auth_token']),
  read,
  lookup: { request: lookupRequest, read: lookupRead },
};

function request(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[]): DialerRequest {
  const { event } = oneCall(deliveries, 1);
  const delivery = deliveries[0]!;
  if (event === 'insert') return call(destination, '/v1/leads/insert', insertParams(destination, delivery));
  if (event === 'update') return call(destination, '/v1/leads/update', updateParams(destination, delivery));
  return call(destination, '/v1/dnc/insert', dncParams(delivery));
}

function call(destination: CompiledDestination, path: string, params: Params): DialerRequest {
  setParam(params, 'auth_token', destination.credentials.authToken ?? '');
  return {
    method: 'POST',
    url: `${destination.url}${path}`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': 'leadgate' },
    body: formBody(params),
  };
}

/** The lead's fields (Convoso parameters the caller gave pass on, SPEC 4), its first phone, the route's list. */
function insertParams(destination: CompiledDestination, delivery: ClaimedDelivery): Params {
  const lead = leadOf(delivery);
  const params = mapFields(destination.adaptor, lead.fields, phonePresenter(lead, 'national-digits'));
  const phone = splitE164(lead.phones[0] ?? '');
  setParam(params, 'phone_number', phone.national);
  setParam(params, 'phone_code', phone.code || undefined);
  setParam(params, 'list_id', delivery.to.listId);
  if (lead.status !== null) setParam(params, 'status', lead.status);
  return params;
}

function updateParams(destination: CompiledDestination, delivery: ClaimedDelivery): Params {
  const lead = leadOf(delivery);
  if (delivery.dialerLeadId === null) {
    throw new UnsendableDeliveryError('a Convoso update needs the dialer\'s lead id, and the insert did not leave one');
  }
  const update = delivery.update ?? { fields: {} };
  const params = mapFields(destination.adaptor, update.fields, phonePresenter(lead, 'national-digits'));
  const phone = changedPrimaryPhone(lead, update.fields);
  if (phone) {
    setParam(params, 'phone_number', phone.national);
    setParam(params, 'phone_code', phone.code);
  }
  // Convoso's status is the lead's disposition as its agents set it.
  const status = update.disposition ?? update.status;
  if (status !== undefined && status !== null) setParam(params, 'status', status);
  setParam(params, 'lead_id', delivery.dialerLeadId);
  return params;
}

/**
 * campaign_id: the dialer's campaign when the entry is a campaign's and the route names the
 * dialer's campaign (`to.campaignId`); otherwise "0", global. A campaign entry whose dialer
 * campaign is not known is widened to global: calling a DNC number is the mistake to avoid.
 */
function dncParams(delivery: ClaimedDelivery): Params {
  const dnc = delivery.dnc;
  if (!dnc) throw new UnsendableDeliveryError(`DNC delivery ${delivery.id} has no number`);
  const phone = splitE164(dnc.e164);
  const campaign = dnc.campaignId !== 0 && delivery.to.campaignId !== undefined ? delivery.to.campaignId : '0';
  const params: Params = [['phone_number', phone.national]];
  if (phone.code) params.push(['phone_code', phone.code]);
  params.push(['campaign_id', campaign]);
  if (dnc.reason) params.push(['reason', dnc.reason]);
  return params;
}

function read(_destination: CompiledDestination, deliveries: readonly ClaimedDelivery[], answer: DialerAnswer): AttemptResult[] {
  return deliveries.map((delivery) => readOne(delivery, answer));
}

/** SPEC 10.2's Convoso column. */
function readOne(delivery: ClaimedDelivery, answer: DialerAnswer): AttemptResult {
  if (answer.status === 429 || isServerTrouble(answer.status)) return resultOf('retry', answer);
  const body = parseJson(answer.body);
  if (!isRecord(body) || typeof body.success !== 'boolean') return resultOf(unreadable(answer), answer);
  if (body.success) {
    // A DNC insert answers {"success":true,"id":...}: that id is the DNC entry's, not a lead's.
    if (delivery.event === 'dnc') return resultOf('delivered', answer);
    const data = isRecord(body.data) ? body.data : {};
    return resultOf('delivered', answer, { dialerLeadId: idOf(data.lead_id) });
  }
  const code = codeOf(body.code);
  const dialerCode = code ?? (typeof body.code === 'string' ? body.code : undefined);
  if (code === 6009 || code === 6010) return resultOf('refused', answer, { dialerCode });
  // 6008 on /v1/dnc/insert is "The phone number already exists.": the number is on the list, which is what was asked.
  if (code === 6008 && delivery.event === 'dnc') return resultOf('delivered', answer, { dialerCode });
  return resultOf('dead', answer, { dialerCode });
}

/** /v1/leads/search by the phone and list the insert sends (SPEC 10.2 point 4). */
function lookupRequest(destination: CompiledDestination, delivery: ClaimedDelivery): DialerRequest {
  const sent = insertParams(destination, delivery);
  const pick = (name: string) => sent.find(([n]) => n === name)?.[1];
  return call(destination, '/v1/leads/search', [
    ['phone_number', pick('phone_number')],
    ['list_id', pick('list_id')],
    ['offset', 0],
    ['limit', LOOKUP_LIMIT],
  ]);
}

/** Found: the newest matching lead's id (search answers in ascending id order). */
function lookupRead(_destination: CompiledDestination, delivery: ClaimedDelivery, answer: DialerAnswer): LookupReading {
  const body = parseJson(answer.body);
  if (!isRecord(body) || body.success !== true || answer.status === 429 || isServerTrouble(answer.status)) return { failed: readOne(delivery, answer) };
  const data = isRecord(body.data) ? body.data : undefined;
  if (!data || !Array.isArray(data.entries)) return { failed: resultOf(unreadable(answer), answer) };
  const ids = data.entries.map((entry) => (isRecord(entry) ? idOf(entry.id) : null));
  if (ids.length === 0) return { found: false };
  const numeric = ids.filter((id): id is string => id !== null && /^\d+$/.test(id));
  const newest = numeric.length > 0 ? numeric.reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a)) : (ids.find((id) => id !== null) ?? null);
  return { found: true, dialerLeadId: newest };
}
