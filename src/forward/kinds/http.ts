/*
 * kind http: a POST of JSON to the destination's URL, for any receiver that is not one of the
 * dialers above. The body names the event and carries leadgate's ids, so the receiver can
 * recognise a re-send; Idempotency-Key says the same per delivery.
 *
 *   insert: {"event":"insert","leadId","externalId","to","lead":{…mapped fields},"phones":[E.164…],"status","priority","callbackAt"}
 *   update: {"event":"update","leadId","externalId","dialerLeadId","to","lead":{…mapped changed fields},"status","disposition","callbackAt","priority","allocationId"}
 *   dnc:    {"event":"dnc","to","dnc":{"phone":E.164,"campaignId","reason"}}
 *
 * A mappedTo with dots places the value in a nested object, as a connect's JSON body does (SPEC 3.2).
 */
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DialerRequest } from '../ports.js';
import { isServerTrouble, parseJson, resultOf } from './answer-reading.js';
import { phonePresenter } from './dialer-phones.js';
import type { DialerAnswer, DialerKind } from './kind-types.js';
import { leadOf, mapFields, oneCall, type Params } from './lead-values.js';
import { redactDialerRequest } from './redact-request.js';

export const httpKind: DialerKind = {
  batchSize: () => 1,
  request,
  redact: (destination, request) => redactDialerRequest(destination, request, []),
  read,
};

function request(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[]): DialerRequest {
  const { event, to } = oneCall(deliveries, 1);
  const delivery = deliveries[0]!;
  let body: Record<string, unknown>;
  if (event === 'insert') {
    const lead = leadOf(delivery);
    body = {
      event,
      leadId: lead.id,
      externalId: lead.externalId,
      to,
      lead: nest(mapFields(destination.adaptor, lead.fields, phonePresenter(lead, 'e164'))),
      phones: lead.phones,
      status: lead.status,
      priority: lead.priority,
      callbackAt: lead.callbackAt?.toISOString() ?? null,
    };
  } else if (event === 'update') {
    const lead = leadOf(delivery);
    const update = delivery.update ?? { fields: {} };
    body = {
      event,
      leadId: lead.id,
      externalId: lead.externalId,
      dialerLeadId: delivery.dialerLeadId,
      to,
      lead: nest(mapFields(destination.adaptor, update.fields, phonePresenter(lead, 'e164'))),
      ...pick(update, ['status', 'disposition', 'callbackAt', 'priority', 'allocationId']),
    };
  } else {
    const dnc = delivery.dnc;
    body = { event, to, dnc: dnc ? { phone: dnc.e164, campaignId: dnc.campaignId, reason: dnc.reason } : null };
  }
  const headers: Record<string, string> = { ...destination.headers };
  setDefault(headers, 'Content-Type', 'application/json');
  setDefault(headers, 'Accept', 'application/json');
  setDefault(headers, 'User-Agent', 'leadgate');
  setDefault(headers, 'Idempotency-Key', `leadgate-delivery-${delivery.id}`);
  return { method: 'POST', url: destination.url, headers, body: JSON.stringify(body) };
}

function pick(source: object, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = (source as Record<string, unknown>)[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Null-prototype objects: field names come from callers, and `__proto__` must stay a name. */
function nest(params: Params): Record<string, unknown> {
  const root = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of params) {
    const path = name.split('.');
    let node = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      node = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (node[segment] = Object.create(null) as Record<string, unknown>);
    });
  }
  return root;
}

function setDefault(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (!Object.keys(headers).some((h) => h.toLowerCase() === lower)) headers[name] = value;
}

function read(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[], answer: DialerAnswer): AttemptResult[] {
  return deliveries.map(() => readOne(destination, answer));
}

/** SPEC 10.2's http column; a 1xx or 3xx the client did not follow needs a person too. */
function readOne(destination: CompiledDestination, answer: DialerAnswer): AttemptResult {
  const { status } = answer;
  if (status >= 200 && status <= 299) {
    // Text that is not JSON is read as {"body": text}, as a connect's text response is (SPEC 3.2).
    const parsed = parseJson(answer.body) ?? { body: answer.body };
    const reading = destination.http;
    if (reading && !reading.succeeded(parsed)) return resultOf('refused', answer);
    return resultOf('delivered', answer, { dialerLeadId: reading ? reading.leadId(parsed) : null });
  }
  if (status === 409 || status === 422) return resultOf('refused', answer, { dialerCode: status });
  if (status === 408 || status === 429 || isServerTrouble(status)) return resultOf('retry', answer, { dialerCode: status });
  return resultOf('dead', answer, { dialerCode: status });
}
