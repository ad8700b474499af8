/*
 * Phones as dialers want them. leadgate holds them in E.164; the dialers do not:
 * - VICIdial and Convoso take `phone_number` as the national significant number (no trunk
 *   prefix, digits only) with the country calling code apart in `phone_code` (VICIdial dials
 *   phone_code + phone_number; both default phone_code to 1).
 * - A Noojee template dials the numbers of its own country as written in that country, so a
 *   phone field goes in its dialable national form (`0383208134`, trunk prefix included); a number
 *   of another country goes in E.164, the one form that cannot be misread.
 * - kind http gets E.164, as a CRM connect does (SPEC 3.2).
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import type { DeliveryLead } from '../ports.js';

export interface SplitPhone {
  /** national significant number, digits only */
  national: string;
  /** country calling code, digits only ('' when the number cannot be read) */
  code: string;
}

export function splitE164(e164: string): SplitPhone {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return { national: e164.replace(/\D/g, ''), code: '' };
  return { national: parsed.nationalNumber, code: parsed.countryCallingCode };
}

/** The lead's home country: the template's, else the first phone's. */
export function homeCountry(lead: DeliveryLead): CountryCode | undefined {
  if (lead.country) return lead.country.toUpperCase() as CountryCode;
  const first = lead.phones[0];
  return first ? parsePhoneNumberFromString(first)?.country : undefined;
}

function readPhone(value: unknown, country: CountryCode | undefined): PhoneNumber | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const parsed = parsePhoneNumberFromString(String(value), country);
  return parsed?.isValid() ? parsed : undefined;
}

/**
 * The lead's phone fields: the template's when the lead names them, else the fields whose value
 * is one of the lead's numbers (the numbers were read from exactly those fields).
 */
export function phoneFieldsOf(lead: DeliveryLead): readonly string[] {
  if (lead.phoneFields) return lead.phoneFields;
  const country = homeCountry(lead);
  return Object.keys(lead.fields).filter((field) => {
    const parsed = readPhone(lead.fields[field], country);
    return parsed !== undefined && lead.phones.includes(parsed.number);
  });
}

export type PhoneForm = 'national-digits' | 'noojee' | 'e164';

/**
 * A phone field's value in the form `form` asks for; a value that is not a valid number of the
 * lead's country goes as written (the dialer judges it, as leadgate did).
 */
export function presentPhone(value: unknown, lead: DeliveryLead, form: PhoneForm): unknown {
  const country = homeCountry(lead);
  const parsed = readPhone(value, country);
  if (!parsed) return value;
  if (form === 'e164') return parsed.number;
  if (form === 'national-digits') return parsed.nationalNumber;
  return parsed.country === country ? parsed.format('NATIONAL').replace(/\D/g, '') : parsed.number;
}

/** A `present` for mapFields that rewrites the lead's phone fields and leaves the others alone. */
export function phonePresenter(lead: DeliveryLead, form: PhoneForm): (field: string, value: unknown) => unknown {
  const phoneFields = new Set(phoneFieldsOf(lead));
  return (field, value) => (phoneFields.has(field) ? presentPhone(value, lead, form) : value);
}

/** The number an update gives for the lead's first phone field, split; undefined when it does not change it. */
export function changedPrimaryPhone(lead: DeliveryLead, changed: Readonly<Record<string, unknown>>): SplitPhone | undefined {
  const primary = phoneFieldsOf(lead)[0];
  if (primary === undefined || !Object.hasOwn(changed, primary)) return undefined;
  const parsed = readPhone(changed[primary], homeCountry(lead));
  return parsed ? { national: parsed.nationalNumber, code: parsed.countryCallingCode } : undefined;
}
