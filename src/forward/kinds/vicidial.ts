/*
 * VICIdial's NON-AGENT API (docs/NON-AGENT_API.txt): add_lead, update_lead, add_dnc_phone on
 * /vicidial/non_agent_api.php. The document shows GET URLs; non_agent_api.php reads every
 * parameter from the query or a POST form alike, and the form keeps `pass` out of URLs and logs.
 * Answers are text lines: `SUCCESS: <function> <reason> - a|b|c`, `ERROR: …`, `NOTICE: …`.
 */
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DialerRequest } from '../ports.js';
import { isServerTrouble, resultOf, unreadable } from './answer-reading.js';
import { changedPrimaryPhone, phonePresenter, splitE164 } from './dialer-phones.js';
import { UnsendableDeliveryError, type DialerAnswer, type DialerKind } from './kind-types.js';
import { formBody, hasParam, leadOf, mapFields, oneCall, setParam, stableKey, type Params } from './lead-values.js';

/** NON-AGENT API: vendor_lead_code is 1-20 characters */
const VENDOR_LEAD_CODE_LENGTH = 20;
import { redactDialerRequest } from './redact-request.js';

const API = '/vicidial/non_agent_api.php';

export const vicidialKind: DialerKind = {
  batchSize: () => 1,
  request,
  redact: (destination, request) => redactDialerRequest(destination, request, ['user', 'pass', 'source']),
  read,
};

function request(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[]): DialerRequest {
  const { event } = oneCall(deliveries, 1);
  const delivery = deliveries[0]!;
  const params = event === 'insert' ? addLead(destination, delivery) : event === 'update' ? updateLead(destination, delivery) : addDncPhone(delivery);
  const { user, pass, source } = destination.credentials;
  const call: Params = [['source', source ?? 'leadgate'], ['user', user ?? ''], ['pass', pass ?? ''], ...params];
  return {
    method: 'POST',
    url: `${destination.url}${API}`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'leadgate' },
    body: formBody(call),
  };
}

/**
 * add_lead: the first phone as phone_number + phone_code, the second as alt_phone unless a field
 * maps there; vendor_lead_code is the stable key and DUPLIST makes the dialer recognise a re-send
 * (SPEC 10.2 point 4). custom_fields=Y lets unmapped fields land in the list's custom fields of
 * those names; the dialer only notes it when the list has none.
 */
function addLead(destination: CompiledDestination, delivery: ClaimedDelivery): Params {
  const lead = leadOf(delivery);
  const params = mapFields(destination.adaptor, lead.fields, phonePresenter(lead, 'national-digits'));
  const phone = splitE164(lead.phones[0] ?? '');
  setParam(params, 'phone_number', phone.national);
  setParam(params, 'phone_code', phone.code || undefined);
  const second = lead.phones[1];
  if (second !== undefined && !hasParam(params, 'alt_phone')) setParam(params, 'alt_phone', splitE164(second).national);
  setParam(params, 'vendor_lead_code', stableKey(lead, VENDOR_LEAD_CODE_LENGTH));
  setParam(params, 'list_id', delivery.to.listId);
  setParam(params, 'campaign_id', delivery.to.campaignId);
  setParam(params, 'duplicate_check', 'DUPLIST');
  setParam(params, 'custom_fields', 'Y');
  setParam(params, 'function', 'add_lead');
  return params;
}

/**
 * update_lead: by the dialer's lead_id when the insert answered one, else by vendor_lead_code
 * (search_method VENDOR_LEAD_CODE, in the whole system). VICIdial's status is its disposition.
 * A changed first phone goes as phone_number with update_phone_number=Y (without it,
 * phone_number is only a search key).
 */
function updateLead(destination: CompiledDestination, delivery: ClaimedDelivery): Params {
  const lead = leadOf(delivery);
  const update = delivery.update ?? { fields: {} };
  const params = mapFields(destination.adaptor, update.fields, phonePresenter(lead, 'national-digits'));
  const phone = changedPrimaryPhone(lead, update.fields);
  if (phone) {
    setParam(params, 'phone_number', phone.national);
    setParam(params, 'phone_code', phone.code);
    setParam(params, 'update_phone_number', 'Y');
  }
  const status = update.disposition ?? update.status;
  if (status !== undefined && status !== null) setParam(params, 'status', status);
  if (delivery.dialerLeadId !== null) {
    setParam(params, 'lead_id', delivery.dialerLeadId);
  } else {
    setParam(params, 'search_method', 'VENDOR_LEAD_CODE');
    setParam(params, 'vendor_lead_code', stableKey(lead, VENDOR_LEAD_CODE_LENGTH));
  }
  setParam(params, 'custom_fields', 'Y');
  setParam(params, 'function', 'update_lead');
  return params;
}

/**
 * add_dnc_phone: the route's campaign (`to.campaignId`) for a campaign's entry, else the
 * system-wide list SYSTEM_INTERNAL (a campaign entry whose dialer campaign is not known is
 * widened: calling a DNC number is the mistake to avoid).
 */
function addDncPhone(delivery: ClaimedDelivery): Params {
  const dnc = delivery.dnc;
  if (!dnc) throw new UnsendableDeliveryError(`DNC delivery ${delivery.id} has no number`);
  const campaign = dnc.campaignId !== 0 && delivery.to.campaignId !== undefined ? delivery.to.campaignId : 'SYSTEM_INTERNAL';
  return [['function', 'add_dnc_phone'], ['phone_number', splitE164(dnc.e164).national], ['campaign_id', campaign]];
}

interface ResultLine {
  verdict: 'SUCCESS' | 'ERROR';
  /** e.g. `add_lead DUPLICATE PHONE NUMBER IN LIST` */
  reason: string;
  data: string[];
}

/** The first SUCCESS or ERROR line; NOTICE lines only add detail. */
function resultLine(body: string): ResultLine | undefined {
  for (const line of body.split(/\r?\n/)) {
    const match = /^(SUCCESS|ERROR):\s*(.*?)(?:\s+-\s+(.*))?\s*$/.exec(line.trim());
    if (match) return { verdict: match[1] as ResultLine['verdict'], reason: match[2]!, data: (match[3] ?? '').split('|') };
  }
  return undefined;
}

function read(_destination: CompiledDestination, deliveries: readonly ClaimedDelivery[], answer: DialerAnswer): AttemptResult[] {
  return deliveries.map((delivery) => readOne(delivery, answer));
}

/** SPEC 10.2's VICIdial column. */
function readOne(delivery: ClaimedDelivery, answer: DialerAnswer): AttemptResult {
  // 5xx is the table's; 429 is not VICIdial's, but a proxy in front of it may say it.
  if (isServerTrouble(answer.status) || answer.status === 429) return resultOf('retry', answer);
  const line = resultLine(answer.body);
  if (!line) return resultOf(unreadable(answer), answer);
  const dialerCode = line.reason;
  if (line.verdict === 'SUCCESS') {
    const dialerLeadId = delivery.event === 'insert' ? addedLeadId(line, delivery) : undefined;
    return resultOf('delivered', answer, { dialerLeadId, dialerCode });
  }
  if (/^add_lead DUPLICATE\b/.test(line.reason)) {
    // After an unknown outcome, DUPLIST finding the number in the list is our own earlier send.
    if (delivery.uncertain) return resultOf('delivered', answer, { dialerLeadId: duplicateLeadId(line), dialerCode });
    return resultOf('refused', answer, { dialerCode });
  }
  // The number is on the DNC list already: what was asked.
  if (/^add_dnc_phone DNC NUMBER ALREADY EXISTS\b/.test(line.reason)) return resultOf('delivered', answer, { dialerCode });
  return resultOf('dead', answer, { dialerCode });
}

/**
 * The lead id of `SUCCESS: add_lead LEAD HAS BEEN ADDED - …`. The document's example reads
 * phone|user|list|lead_id|gmt (as SPEC 10.2 quotes it), while non_agent_api.php itself echoes
 * phone|list|lead_id|gmt|user; the list we sent tells which order this dialer uses. When it
 * cannot tell, none: an update then finds the lead by vendor_lead_code, never a wrong lead.
 */
function addedLeadId(line: ResultLine, delivery: ClaimedDelivery): string | null {
  const list = delivery.to.listId === undefined ? undefined : String(delivery.to.listId);
  const [, second, third, fourth] = line.data.map((f) => f.trim());
  const isId = (value: string | undefined): value is string => value !== undefined && /^\d+$/.test(value);
  if (list === undefined) return null;
  if (second === list && third !== list && isId(third)) return third;
  if (third === list && isId(fourth)) return fourth;
  return null;
}

/** `add_lead DUPLICATE PHONE NUMBER IN LIST - phone|list_id|lead_id`: the lead already there. */
function duplicateLeadId(line: ResultLine): string | null {
  if (!/DUPLICATE PHONE NUMBER/.test(line.reason)) return null;
  const id = line.data[2]?.trim();
  return id !== undefined && /^\d+$/.test(id) ? id : null;
}
