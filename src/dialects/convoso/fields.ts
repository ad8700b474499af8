import type { LeadFields } from '../../leads/scalar.js';
import { parsePhone } from '../../leads/phone.js';
import type { CountryCode } from 'libphonenumber-js';
import { convosoPhone } from './phone.js';

/** Parameters that steer a request; never stored as lead fields. */
export const CONTROL_PARAMS = new Set([
  'auth_token',
  'list_id',
  'lead_id',
  'phone_number',
  'phone_code',
  'status',
  'check_dup',
  'check_dup_archive',
  'check_dnc',
  'update_if_found',
  'search_list_id',
  'search_campaign_id',
  'criteria_key',
]);

/**
 * Convoso parameters that instruct Convoso itself (its hopper, carrier lookups, adaptors), which
 * leadgate does not act on. They are kept with the lead, each as the lead field `_convoso_<name>`,
 * so that forwarding to a `convoso` destination (SPEC 10) can pass them on under their own names;
 * the `_convoso_` prefix is reserved and kept out of search answers.
 */
export const PASS_ON_PARAMS = new Set([
  'hopper',
  'hopper_priority',
  'hopper_expires_in',
  'check_wireless',
  'check_dup_list',
  'reject_by_carrier_type',
  'adaptor_id',
  'filter_phone_code',
  'blueinkdigital_token',
  'update_order_by_last_called_time',
]);
export const PASS_ON_PREFIX = '_convoso_';

/** Convoso's alternate phones: stored in E.164 when they parse, so a search finds them in any form. */
export const ALT_PHONES = ['alt_phone_1', 'alt_phone_2'] as const;

/** Booleans as Convoso's clients send them: 1/0, true/false (any case); anything else is no answer. */
export function convosoBoolean(text: string | undefined): boolean | undefined {
  const t = text?.trim().toLowerCase();
  if (t === '1' || t === 'true') return true;
  if (t === '0' || t === 'false' || t === '') return false;
  return undefined;
}

/** A phone as E.164 when it is one: with `code` as the calling code, or (no code) read in `country`. */
export function e164Of(number: string | undefined, code: string | undefined, country: CountryCode): string | null | undefined {
  if (!number?.trim()) return undefined;
  const raw = code?.trim() ? convosoPhone(number, code) : number;
  const parsed = parsePhone(raw, country);
  return parsed.kind === 'valid' ? parsed.e164 : null;
}

/**
 * The lead fields of a Convoso request: every parameter that steers nothing, pass-on parameters
 * under their reserved prefix, alternate phones in E.164 when they parse.
 */
export function leadFieldsOf(p: Record<string, string>, defaultCountry: CountryCode, phoneCode: string | undefined): LeadFields {
  const lead: LeadFields = Object.create(null) as LeadFields;
  for (const [name, value] of Object.entries(p)) {
    if (CONTROL_PARAMS.has(name)) continue;
    if (PASS_ON_PARAMS.has(name)) lead[`${PASS_ON_PREFIX}${name}`] = value;
    else lead[name] = value;
  }
  for (const name of ALT_PHONES) {
    const e164 = e164Of(p[name], phoneCode, defaultCountry);
    if (e164) lead[name] = e164;
  }
  return lead;
}
