/**
 * Generators of hostile input. Bodies are built as raw JSON text, so a `__proto__` key reaches
 * JSON.parse (which makes it an own property) instead of being eaten by an object literal.
 * Large inputs are generated as small descriptions and built inside the property, so a failing
 * case prints as `{ shape: 'array', depth: 5000 }`, not as a megabyte.
 */
import fc from 'fast-check';
import { SYSTEM_FIELDS } from '../../src/leads/system-fields.js';

export { SYSTEM_FIELDS };

// ---- text --------------------------------------------------------------------------------

const CONTROL_CHARS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f', '\u0085', '\u00a0'];
export const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'];
const ODD_CHARS = ['\u2028', '\u2029', '\ufeff', '\u200b', '\u202e', '\uffff', '\ufffd', '😀', 'é', '"', '\\', '<', '>', "'", '%', '&', '\u0301'];

/** Strings with NUL, control characters, lone surrogates and other characters that break naive code. */
export const oddChar = fc.constantFrom(...CONTROL_CHARS, ...LONE_SURROGATES, ...ODD_CHARS);

export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.oneof(oddChar, fc.string({ maxLength: 3 })), { maxLength: 10 }).map((parts) => parts.join('')),
  fc.constantFrom(
    '',
    ' ',
    '<No Change>',
    ' <no CHANGE> ',
    'No Change',
    '__proto__',
    'constructor',
    "'; drop table leads; --",
    '${env:CRM_TOKEN}',
    '{{7*7}}',
    '$.customer.status',
    '../../etc/passwd',
    'null',
    'NaN',
    'Infinity',
    '2026/02/30 10:00',
    '2026/12/24 10:30',
    'Melbourne',
    'ADD',
  ),
);

/** Printable strings without the characters PostgreSQL cannot store (for properties about other things). */
export const plainString = fc.string({ maxLength: 20 });

// ---- numbers -----------------------------------------------------------------------------

/** Valid JSON number texts at the edges of what a double can hold. */
export const HUGE_NUMBERS = [
  '1e308',
  '-1e308',
  '1.7976931348623157e308',
  '-0',
  '-0.0',
  '0e0',
  '9007199254740993',
  '-9007199254740993',
  '18446744073709551616',
  '123456789012345678901234567890',
  '1e999',
  '-1e999',
  '1e-400',
  '5e-324',
  '1E+2',
  '100.000000000000000000001',
  '0.1e1',
  '99.9999999999999999999',
] as const;
export const hugeNumberText = fc.constantFrom(...HUGE_NUMBERS);

/** Texts that look like numbers but are not JSON (a body holding one is not JSON). */
export const notJsonNumber = fc.constantFrom('01', '+1', '.5', '1.', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '١٢');

// ---- field names and values ----------------------------------------------------------------

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'toJSON', 'then'];

export const systemFieldName = fc.mixedCase(fc.constantFrom(...SYSTEM_FIELDS));

export const fieldName = fc.oneof(
  fc.constantFrom(...PROTO_KEYS),
  systemFieldName,
  fc.constantFrom('phone', 'mobile', 'Phone', 'PHONE', 'email', 'firstName', ''),
  fc.string({ unit: 'binary', maxLength: 12 }),
  plainString.map((s) => `nj${s}`),
);

/** Object and array values nested a little: what a lead field must not hold (204). */
export const compoundText = fc.oneof(
  fc.constantFrom('{}', '[]', '[null]', '{"a":1}', '[[]]', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}'),
  fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v === 'object' && v !== null).map((v) => JSON.stringify(v)),
);

export const scalarText = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  hugeNumberText,
  fc.constantFrom('true', 'false', 'null', '0', '1', '-1', '100', '101', '5.5'),
);

export const valueText = fc.oneof({ weight: 4, arbitrary: scalarText }, { weight: 1, arbitrary: compoundText });

// ---- phones and leads ------------------------------------------------------------------------

/** Phone texts: mostly valid AU numbers in several spellings, some junk. */
export const phoneText = fc.oneof(
  fc.integer({ min: 0, max: 999_999 }).map((n) => `0412${String(n).padStart(6, '0')}`),
  fc.integer({ min: 0, max: 999_999 }).map((n) => `+61 412 ${String(n).padStart(6, '0').replace(/(\d{3})(\d{3})/, '$1 $2')}`),
  fc.constantFrom('', ' ', '0', '+', '+61', '0383208134', '(03) 8320 8134', '1800 000 000', '000', 'call me', '04123456789012345678', '+1 212 555 0100'),
  hostileString,
);

/** A JSON object text from raw [key, value-text] pairs: duplicates and `__proto__` kept as sent. */
export const objectText = (entries: readonly (readonly [string, string])[]): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** A lead as raw JSON text: maybe a phone, then a few hostile fields. */
export const leadText = fc
  .tuple(fc.option(phoneText, { nil: undefined }), fc.array(fc.tuple(fieldName, valueText), { maxLength: 6 }))
  .map(([phone, fields]) => objectText(phone === undefined ? fields : [['phone', JSON.stringify(phone)], ...fields]));

/** Any body text: leads, batches, arbitrary JSON, junk text, and the short oddities. */
export const bodyText = fc.oneof(
  leadText,
  fc.array(leadText, { maxLength: 4 }).map((leads) => `[${leads.join(',')}]`),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map((v) => JSON.stringify(v)),
  fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  notJsonNumber,
  fc.constantFrom('', ' ', '\n\t\r ', '\ufeff', 'null', 'true', '0', '""', '[]', '{}', '[[]]', '{"":""}', '{', '[', '{"a":}', '{"a":1,}', "{'a':1}", '\ufeff\ufeff{}', '[1,2', '}{'),
);

// ---- query strings and headers ------------------------------------------------------------------

/** Raw query values (already percent-encoded where needed): junk, numbers at the edges, bad escapes. */
export const rawQueryValue = fc.oneof(
  fc.constantFrom('', '%00', '1%00', '%zz', '%', '%E2%82', '%FF', '+', '1+', '%201%20', '-1', '0', '1.0', '1e3', '0x1', '١', '%EF%BC%91', 'null', 'true'),
  fc.constantFrom(...HUGE_NUMBERS).map(encodeURIComponent),
  fc.integer({ min: 1, max: 12 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))),
);

export const CONTENT_TYPES = [
  'application/json',
  'APPLICATION/JSON',
  'application/json; charset=utf-8',
  'application/json; charset=ebcdic',
  'application/json; charset=utf-16le',
  'application/json;;;=;',
  'application/json\t; x="y"',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/plain; charset=iso-8859-1',
  'multipart/form-data; boundary=----fuzz',
  'application/xml',
  'text/xml; charset=utf-8',
  'text/html',
  'application/octet-stream',
  '*/*',
  'json',
  ';',
  'application/',
];
