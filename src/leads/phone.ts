import { isSupportedCountry as libSupportsCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { scalarText, type Scalar } from './scalar.js';

export type PhoneParse =
  | { kind: 'empty' }
  | { kind: 'valid'; e164: string }
  | { kind: 'invalid'; text: string };

/**
 * Normalises one phone field to E.164. National numbers are read with the template's country, so
 * `0383208134`, `383208134` and `+61 3 8320 8134` are the same number. Full ("max") metadata is
 * used because validity, not just plausible length, decides between a number and junk text.
 */
export function parsePhone(value: Scalar | undefined, country: CountryCode): PhoneParse {
  const text = scalarText(value).trim();
  if (text === '') return { kind: 'empty' };
  const parsed = parsePhoneNumberFromString(text, country);
  if (parsed?.isValid()) return { kind: 'valid', e164: parsed.number };
  return { kind: 'invalid', text };
}

export function isSupportedCountry(code: string): code is CountryCode {
  return libSupportsCountry(code);
}
