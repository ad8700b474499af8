import type { LeadCode } from '../../codes.js';

/**
 * The one table of the Convoso dialect's refusals: every `{code, text}` a /v1 answer carries
 * comes from here (SPEC 4). Convoso's own codes keep Convoso's words; 6008 has two texts in
 * Convoso's documents (an invalid phone, a DNC entry that exists), hence names, not codes, as keys.
 * leadgate's own conditions, which Convoso has no code for, are 69xx, so a Convoso client never
 * sees a Noojee code. `http` is the status when it is not 200.
 */
export const CONVOSO_ERRORS = {
  noSuchLead: { code: 6001, text: 'No such Lead' },
  noSuchDnc: { code: 6001, text: 'The phone number is not on that DNC list' },
  noSuchList: { code: 6002, text: 'No such List' },
  invalidCampaign: { code: 6006, text: 'Invalid Campaign ID' },
  missingPhoneOrList: { code: 6007, text: 'The Lead requires a phone number and list id' },
  invalidPhone: { code: 6008, text: 'The phone number is invalid' },
  dncExists: { code: 6008, text: 'The phone number already exists.' },
  duplicate: { code: 6009, text: 'The phone number already exists' },
  dnc: { code: 6010, text: 'The phone number is on the DNC list' },
  failedValidation: { code: 6011, text: 'The lead failed external validation' },
  unreadable: { code: 6023, text: 'Required fields are missed' },
  invalidDate: { code: 6031, text: 'Invalid date format' },
  invalidId: { code: 6056, text: 'Missing or invalid value for ID' },
  dncClash: { code: 6059, text: 'The phone number and campaign combination already exists' },
  invalidEmail: { code: 6079, text: 'Invalid email' },
  invalidCriteria: { code: 6090, text: 'Invalid criteria key' },
  invalidOffset: { code: 7231, text: 'Invalid offset value' },
  invalidLimit: { code: 7258, text: 'Invalid limit value' },
  forbidden: { code: 403, text: 'Forbidden', http: 403 },
  tooManyRequests: { code: 429, text: 'Too Many Requests', http: 429 },
  // leadgate's own
  serverError: { code: 6900, text: 'Server error; quote the request id to support', http: 500 },
  tooLarge: { code: 6901, text: 'The request is too large' },
  notApplicable: { code: 6902, text: 'The parameter cannot be applied' },
  conflict: { code: 6903, text: 'The lead changed during this update; nothing was written' },
  duplicateExternalId: { code: 6904, text: 'The external id already belongs to a lead of the campaign' },
  invalidValue: { code: 6905, text: 'Invalid field value' },
  crmUnavailable: { code: 6906, text: 'The CRM could not be asked; retry later', http: 503 },
  storeUnavailable: { code: 6907, text: 'The lead store is unavailable; retry later', http: 503 },
  keyReused: { code: 6908, text: 'This Idempotency-Key was already used with a different request', http: 422 },
} as const satisfies Record<string, { code: number; text: string; http?: number }>;

export type ConvosoErrorName = keyof typeof CONVOSO_ERRORS;

/** Which Convoso refusal answers each pipeline result (the pipeline speaks the shared code table). */
export const CONVOSO_FOR_RESULT: Record<Exclude<LeadCode, 0>, ConvosoErrorName> = {
  101: 'noSuchLead',
  102: 'invalidPhone',
  103: 'serverError',
  104: 'dnc',
  105: 'duplicate',
  106: 'invalidValue',
  107: 'invalidValue',
  108: 'invalidValue',
  109: 'tooManyRequests',
  110: 'conflict',
  111: 'invalidValue',
  112: 'duplicateExternalId',
  114: 'invalidValue',
  115: 'noSuchList',
  116: 'noSuchList',
  117: 'invalidCampaign',
  201: 'invalidValue',
  202: 'invalidPhone',
  203: 'tooLarge',
  204: 'unreadable',
  205: 'failedValidation',
  206: 'crmUnavailable',
  207: 'storeUnavailable',
  208: 'keyReused',
};

/** Whether a code is one a Convoso answer may carry: Convoso's 6xxx/7xxx, 403 and 429. */
export function isConvosoCode(code: number): boolean {
  return code === 403 || code === 429 || (code >= 6000 && code <= 7999);
}
