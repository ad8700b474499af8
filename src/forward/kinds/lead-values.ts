/* What every kind needs from a lead: its fields under the dialer's names, its stable key, its phones. */
import type { ClaimedDelivery, DeliveryLead, DestinationAdaptorRow, ForwardEvent } from '../ports.js';
import { UnsendableDeliveryError } from './kind-types.js';

/** Ordered name/value pairs: a form body, a query, or the top of a JSON body. */
export type Params = Array<[name: string, value: unknown]>;

/**
 * The fields under the dialer's names: an adaptor row renames its field (a comma list sends it to
 * several names), an unmapped field keeps its own name. `present` rewrites a value first (phones).
 */
export function mapFields(
  adaptor: readonly DestinationAdaptorRow[],
  fields: Readonly<Record<string, unknown>>,
  present: (field: string, value: unknown) => unknown = (_field, value) => value,
): Params {
  const out: Params = [];
  for (const [field, raw] of Object.entries(fields)) {
    if (raw === undefined) continue;
    const value = present(field, raw);
    const rows = adaptor.filter((row) => row.field === field);
    if (rows.length === 0) {
      out.push([field, value]);
      continue;
    }
    for (const row of rows) {
      for (const name of row.mappedTo.split(',')) if (name.trim()) out.push([name.trim(), value]);
    }
  }
  return out;
}

/** The destination name of a lead field (its first mapped name, or its own). */
export function mappedName(adaptor: readonly DestinationAdaptorRow[], field: string): string {
  const row = adaptor.find((r) => r.field === field);
  return row?.mappedTo.split(',')[0]?.trim() || field;
}

/** Sets `name` to `value`, replacing every earlier pair of that name: the kind's own parameters win over lead fields. */
export function setParam(params: Params, name: string, value: unknown): void {
  for (let i = params.length - 1; i >= 0; i--) if (params[i]![0] === name) params.splice(i, 1);
  if (value !== undefined) params.push([name, value]);
}

export function hasParam(params: Params, name: string): boolean {
  return params.some(([n]) => n === name);
}

/**
 * The key the dialer holds the lead under, the same on every attempt (SPEC 10.2 point 4): the
 * lead's njExternalLeadId, or `lg-<leadId>`. `maxLength`: a dialer that stores fewer characters
 * (VICIdial's vendor_lead_code holds 20) would cut a longer id and never find the lead by it
 * again, so such a lead goes under `lg-<leadId>` instead.
 */
export function stableKey(lead: DeliveryLead, maxLength = Infinity): string {
  if (lead.externalId !== null && lead.externalId.length <= maxLength) return lead.externalId;
  return `lg-${lead.id}`;
}

export function leadOf(delivery: ClaimedDelivery): DeliveryLead {
  if (!delivery.lead) throw new UnsendableDeliveryError(`delivery ${delivery.id} (${delivery.event}) has no lead`);
  return delivery.lead;
}

/** Every delivery of one call shares its event and route; a kind builds one call only for such a set. */
export function oneCall(deliveries: readonly ClaimedDelivery[], most: number): { event: ForwardEvent; to: ClaimedDelivery['to'] } {
  const first = deliveries[0];
  if (!first) throw new Error('a dialer call needs at least one delivery');
  if (deliveries.length > most) throw new Error(`this dialer takes at most ${most} deliver${most === 1 ? 'y' : 'ies'} a call, got ${deliveries.length}`);
  const route = JSON.stringify(first.to);
  for (const d of deliveries) {
    if (d.event !== first.event || d.destination !== first.destination || JSON.stringify(d.to) !== route) {
      throw new Error('the deliveries of one dialer call must share destination, event and route');
    }
  }
  return { event: first.event, to: first.to };
}

/** A value as form text: scalars as written, anything else as JSON; null and undefined: left out. */
export function formText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export function formBody(params: Params): string {
  const form = new URLSearchParams();
  for (const [name, value] of params) {
    const text = formText(value);
    if (text !== undefined) form.append(name, text);
  }
  return form.toString();
}
