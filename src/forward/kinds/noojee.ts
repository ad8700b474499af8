/*
 * Noojee Contact's CampaignAPI (seeds 001–003, SPEC 2): insertLeadFast, insertLeadsFast for a
 * batch, updateLeadFast. JSON bodies; the route's ids and the apiKey in the query.
 */
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DeliveryLead, DialerRequest } from '../ports.js';
import { codeOf, idOf, isRecord, isServerTrouble, parseJson, resultOf, unreadable, type ResultDetail } from './answer-reading.js';
import { phoneFieldsOf, phonePresenter } from './dialer-phones.js';
import { UnsendableDeliveryError, type DialerAnswer, type DialerKind } from './kind-types.js';
import { leadOf, mapFields, mappedName, oneCall, setParam, stableKey, type Params } from './lead-values.js';
import { redactDialerRequest } from './redact-request.js';
import { noojeeCallbackDate } from './wall-clock.js';

const API = '/servicemanager/rest/CampaignAPI';
const NO_CHANGE = '<No Change>';

export const noojeeKind: DialerKind = {
  batchSize: (destination, event) => (event === 'insert' ? Math.max(1, destination.batch) : 1),
  request,
  redact: (destination, request) => redactDialerRequest(destination, request, ['apiKey']),
  read,
};

function request(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[]): DialerRequest {
  const { event, to } = oneCall(deliveries, noojeeKind.batchSize(destination, deliveries[0]?.event ?? 'insert'));
  let endpoint: string;
  let body: unknown;
  if (event === 'insert') {
    const leads = deliveries.map((d) => Object.fromEntries(insertFields(destination, leadOf(d))));
    // One lead: insertLeadFast (seed 003); several: insertLeadsFast, one result per lead in order (seed 002).
    [endpoint, body] = leads.length === 1 ? ['insertLeadFast', leads[0]] : ['insertLeadsFast', leads];
  } else if (event === 'update') {
    endpoint = 'updateLeadFast';
    body = Object.fromEntries(updateFields(destination, deliveries[0]!));
  } else {
    throw new UnsendableDeliveryError('Noojee has no API call to add a DNC number');
  }
  const query = new URLSearchParams();
  for (const [param, id] of [['fTemplateId', to.templateId], ['fCampaignId', to.campaignId], ['fAllocationId', to.allocationId]] as const) {
    if (id !== undefined) query.set(param, String(id));
  }
  query.set('apiKey', destination.credentials.apiKey ?? '');
  return {
    method: 'POST',
    url: `${destination.url}${API}/${endpoint}?${query.toString()}`,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'leadgate' },
    body: JSON.stringify(body),
  };
}

function insertFields(destination: CompiledDestination, lead: DeliveryLead): Params {
  const params = mapFields(destination.adaptor, lead.fields, phonePresenter(lead, 'noojee'));
  setParam(params, 'njExternalLeadId', stableKey(lead));
  setParam(params, 'njPriority', lead.priority);
  if (lead.callbackAt) setParam(params, 'njCallBackDate', noojeeCallbackDate(lead.callbackAt, lead.timeZone));
  return params;
}

/**
 * updateLeadFast (seed 001): the lead is found by njExternalLeadId; njDisposition is required
 * (`<No Change>` keeps it, 107 when the lead has none); at least one phone field must be present,
 * so every phone field the update does not change is sent as `<No Change>`.
 */
function updateFields(destination: CompiledDestination, delivery: ClaimedDelivery): Params {
  const lead = leadOf(delivery);
  const update = delivery.update ?? { fields: {} };
  const params = mapFields(destination.adaptor, update.fields, phonePresenter(lead, 'noojee'));
  for (const field of phoneFieldsOf(lead)) {
    if (!Object.hasOwn(update.fields, field)) setParam(params, mappedName(destination.adaptor, field), NO_CHANGE);
  }
  setParam(params, 'njExternalLeadId', stableKey(lead));
  setParam(params, 'njDisposition', update.disposition ?? NO_CHANGE);
  if (update.callbackAt) setParam(params, 'njCallBackDate', noojeeCallbackDate(update.callbackAt, lead.timeZone));
  if (update.priority !== undefined) setParam(params, 'njPriority', update.priority);
  return params;
}

function read(_destination: CompiledDestination, deliveries: readonly ClaimedDelivery[], answer: DialerAnswer): AttemptResult[] {
  const body = parseJson(answer.body);
  const code = isRecord(body) ? codeOf(body.code) : undefined;
  // 5xx (103 among them) is the table's; 429 is not Noojee's, but a proxy in front of it may say it.
  if (isServerTrouble(answer.status) || answer.status === 429) {
    return deliveries.map(() => resultOf('retry', answer, code === undefined ? {} : { dialerCode: code }));
  }
  if (deliveries.length > 1 && isRecord(body) && Array.isArray(body.results)) {
    const results = body.results as unknown[];
    return deliveries.map((delivery, index) => {
      const own = results.find((r) => isRecord(r) && codeOf(r.index) === index) ?? results[index];
      const ownCode = isRecord(own) ? codeOf(own.code) : undefined;
      const text = JSON.stringify(own ?? null);
      if (ownCode === undefined) return resultOf(unreadable(answer), answer, { text });
      return classify(ownCode, delivery, answer, { text, dialerLeadId: idOf((own as Record<string, unknown>).leadId) });
    });
  }
  // One lead's answer, or a batch refused as a whole (401, 116, 117, 115, 109: no results).
  if (code === undefined || (deliveries.length > 1 && code === 0)) return deliveries.map(() => resultOf(unreadable(answer), answer));
  const dialerLeadId = isRecord(body) ? idOf(body.leadId) : null;
  return deliveries.map((delivery) => classify(code, delivery, answer, { dialerLeadId }));
}

/** SPEC 10.2's Noojee column; codes it does not name (101, leadgate's own 2xx codes, new ones) need a person. */
function classify(code: number, delivery: ClaimedDelivery, answer: DialerAnswer, detail: ResultDetail): AttemptResult {
  const withCode = { ...detail, dialerCode: code };
  if (code === 0) return resultOf('delivered', answer, { ...detail, dialerLeadId: detail.dialerLeadId ?? null });
  if (code === 112) {
    // DUPLICATE_EXTERNAL_ID. After an unknown outcome it is our own earlier send that landed
    // (the external id is this lead's stable key): delivered. Without one, leadgate never sent
    // this lead, so the dialer's lead with that id is someone else's (another feed, a manual
    // import, an earlier lead with the same njExternalLeadId): the dialer said no, as for a
    // duplicate phone, and re-sending cannot change that: refused.
    if (delivery.event === 'insert' && delivery.uncertain) return resultOf('delivered', answer, { ...withCode, dialerLeadId: null });
    return resultOf('refused', answer, withCode);
  }
  if (code === 104 || code === 105) return resultOf('refused', answer, withCode);
  if (code === 103 || code === 109) return resultOf('retry', answer, withCode);
  // 110 among them: a retry would overwrite a person's edit (seed 001).
  return resultOf('dead', answer, withCode);
}
