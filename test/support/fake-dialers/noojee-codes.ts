/**
 * Noojee Contact CampaignAPI result codes: the code table of seed 002 (insertLeadsFast), which
 * repeats seed 001's and seed 003's and adds 111-117. Descriptions are the documents' words
 * (seed 002 where it reworded 102, seed 001 elsewhere). 113 is in no document: never answered.
 */
export interface NoojeeCode {
  message: string;
  status: number;
  description: string;
}

export const NOOJEE_CODES: Readonly<Record<number, NoojeeCode>> = {
  0: { message: 'OK', status: 200, description: 'The lead was successfully inserted or updated.' },
  101: { message: 'COULDNT_FIND_THE_LEAD', status: 400, description: "For an update, the njExternalLeadId didn't match a lead" },
  102: { message: 'NO_PHONE_FIELDS', status: 400, description: "The lead doesn't contain any fields designated as phone number fields." },
  103: { message: 'EXCEPTION', status: 500, description: 'A server error occured. Call Noojee Support.' },
  104: { message: 'DNC', status: 400, description: "The lead's phone numbers are on the DNC list" },
  105: { message: 'DUPLICATE', status: 400, description: 'There is already a lead with this phone number' },
  106: { message: 'INVALID_DISPOSTION', status: 400, description: "When updating, the supplied disposition doesn't exist." },
  107: {
    message: 'DISPOSTION_ISNT_SET_AND_NOCHANGE_SPECIFIED',
    status: 400,
    description:
      "When updating a a lead the disposition can be omitted, and <NO CHANGE> specified. But this is an error condition if the lead doesn't already have a disposition.",
  },
  108: {
    message: 'IMPORT_BUT_NOCHANGE_SPECIFIED',
    status: 400,
    description: "Tried to insert a lead but a field contained the value '<NO CHANGE>' which is only valid for updates.",
  },
  109: {
    message: 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS',
    status: 400,
    description:
      'There are too many concurrent insert/update API requests. Wait a bit and then retry the insert/update. Currently a call will timeout if it is delayed by more than 1 minute.',
  },
  110: {
    message: 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT',
    status: 400,
    description: 'The lead update caused a conflict with another update and failed.',
  },
  111: { message: 'INVALID_TIMEZONE_SPECIFIED', status: 400, description: 'The lead contained an unknown Contact Hours (timezone).' },
  112: { message: 'DUPLICATE_EXTERNAL_ID', status: 400, description: 'The value passed via njExternalLeadId already exists in the Campaign.' },
  114: { message: 'INVALID_CALLBACK_DATE_FORMAT', status: 400, description: 'The supplied callback date is in an invalid format.' },
  115: { message: 'ALLOCATION_ID_REQUIRED', status: 400, description: 'A valid Allocation ID was not passed in.' },
  116: { message: 'TEMPLATE_ID_REQUIRED', status: 400, description: 'A valid Campaign Template ID was not passed in.' },
  117: { message: 'CAMPAIGN_ID_REQUIRED', status: 400, description: 'A valid Campaign ID was not passed in.' },
};

/** The answer body for a code: `{code, message, description}` (see noojee.ts for why this shape) */
export function noojeeBody(code: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const known = NOOJEE_CODES[code];
  return { code, message: known?.message ?? 'UNKNOWN', description: known?.description ?? '', ...extra };
}

export function noojeeStatus(code: number): number {
  return NOOJEE_CODES[code]?.status ?? 400;
}
