import { isNoChange } from '../leads/no-change.js';
import { isScalar, scalarText, type LeadFields } from '../leads/scalar.js';
import type { DialerLead } from './dialer-table.js';

/**
 * How the demo dialer reads a lead in the request body. It has no templates, so its phone fields
 * are those whose name says so (`phone`, `mobile`, `phone_number`, `Mobile2`, …), and a phone is
 * its digits only: `+61 412 345 678` and `0412345678` both arrive, and the table compares them by
 * their last digits (dialer-table.ts). A value with fewer than 6 digits is no phone number.
 */

const PHONE_FIELD = /phone|mobile/i;
const MIN_PHONE_DIGITS = 6;
const EXTERNAL_ID = 'njExternalLeadId';
const DISPOSITION = 'njDisposition';

export type Refusal = { ok: false; code: 101 | 102 | 107 | 108 | 204; detail: string };

export interface NewLeadBody {
  externalId: string | null;
  phones: string[];
  fields: LeadFields;
}

export interface LeadChange {
  fields: LeadFields;
  phones: string[];
  disposition: string;
}

const refuse = (code: Refusal['code'], detail: string): Refusal => ({ ok: false, code, detail });

function flatLead(raw: unknown): LeadFields | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  return Object.values(raw).every(isScalar) ? (raw as LeadFields) : null;
}

const NOT_FLAT = 'a lead must be a JSON object of field names to strings, numbers, booleans or null';

function phonesOf(fields: LeadFields): string[] {
  return Object.entries(fields)
    .filter(([name]) => PHONE_FIELD.test(name))
    .map(([, value]) => scalarText(value).replace(/\D/g, ''))
    .filter((digits) => digits.length >= MIN_PHONE_DIGITS);
}

function externalIdOf(fields: LeadFields): string | null {
  const id = scalarText(fields[EXTERNAL_ID]).trim();
  return id === '' ? null : id;
}

/** insertLeadFast / insertLeadsFast: 108 before 102, as Noojee checks them. */
export function readNewLead(raw: unknown): { ok: true; lead: NewLeadBody } | Refusal {
  const fields = flatLead(raw);
  if (!fields) return refuse(204, NOT_FLAT);
  const noChange = Object.keys(fields).find((name) => isNoChange(fields[name]));
  if (noChange !== undefined) return refuse(108, `field '${noChange}' is <No Change>, which only an update may send`);
  const phones = phonesOf(fields);
  if (phones.length === 0) return refuse(102, 'no field named like a phone (phone, mobile, …) holds a phone number');
  const { [EXTERNAL_ID]: _externalId, ...rest } = fields;
  return { ok: true, lead: { externalId: externalIdOf(fields), phones, fields: rest } };
}

/** updateLeadFast's own checks, before the lead is looked up: which lead (101), and a phone field present (102). */
export function readUpdate(raw: unknown): { ok: true; externalId: string; fields: LeadFields } | Refusal {
  const fields = flatLead(raw);
  if (!fields) return refuse(204, NOT_FLAT);
  const externalId = externalIdOf(fields);
  if (externalId === null) return refuse(101, 'njExternalLeadId is missing: an update finds its lead by it');
  // seed 001: at least one phone field must be sent, `<No Change>` counting as sent
  if (!Object.keys(fields).some((name) => PHONE_FIELD.test(name))) return refuse(102, 'an update must send at least one phone field (its value or <No Change>)');
  return { ok: true, externalId, fields };
}

/** The lead after the update: `<No Change>` and absent fields keep their value, the others are overwritten. */
export function applyUpdate(lead: DialerLead, update: LeadFields): { ok: true; change: LeadChange } | Refusal {
  const given = update[DISPOSITION];
  const disposition = given === undefined || isNoChange(given) ? lead.disposition : scalarText(given).trim();
  if (disposition === null || disposition === '') {
    return refuse(107, 'njDisposition is omitted or <No Change>, and the lead has no disposition yet');
  }
  const fields: LeadFields = { ...lead.fields };
  for (const [name, value] of Object.entries(update)) {
    if (name === EXTERNAL_ID || name === DISPOSITION || isNoChange(value)) continue;
    fields[name] = value;
  }
  return { ok: true, change: { fields, phones: phonesOf(fields), disposition } };
}
