/**
 * The one table of result codes. Both dialects render from it; nothing else invents a status.
 * Noojee's codes come from the seeds (spelling kept: INVALID_DISPOSTION); 2xx are leadgate's own.
 * 401, 404 and 405 answer the request itself before any lead is looked at (HTTP_LEVEL_CODES): they
 * live here too, so code → status and text stays one table, but a lead's result never carries them.
 */
export const RESULT_CODES = {
  0: { message: 'OK', http: 200, description: 'The lead was successfully inserted or updated.' },
  101: { message: 'COULDNT_FIND_THE_LEAD', http: 400, description: "For an update, the njExternalLeadId didn't match a lead." },
  102: { message: 'NO_PHONE_FIELDS', http: 400, description: 'The lead has no usable phone number in the phone fields of its template.' },
  103: { message: 'EXCEPTION', http: 500, description: 'A server error occurred; it has been logged with the request id.' },
  104: { message: 'DNC', http: 400, description: "The lead's phone numbers are on the DNC list." },
  105: { message: 'DUPLICATE', http: 400, description: 'There is already a lead with this phone number.' },
  106: { message: 'INVALID_DISPOSTION', http: 400, description: "When updating, the supplied disposition doesn't exist." },
  107: {
    message: 'DISPOSTION_ISNT_SET_AND_NOCHANGE_SPECIFIED',
    http: 400,
    description: "The disposition was omitted or <No Change>, but the lead doesn't have a disposition yet.",
  },
  108: {
    message: 'IMPORT_BUT_NOCHANGE_SPECIFIED',
    http: 400,
    description: "Tried to insert a lead but a field contained '<No Change>', which is only valid for updates.",
  },
  109: {
    message: 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS',
    http: 400,
    description: 'There are too many concurrent insert/update requests. Wait a bit and retry.',
  },
  110: {
    message: 'LEAD_NOT_UPDATED_DUE_TO_CONFLICT',
    http: 400,
    description: 'The lead changed between read and write (another update won); nothing was written.',
  },
  111: { message: 'INVALID_TIMEZONE_SPECIFIED', http: 400, description: 'The lead names an unknown contact hours (timezone).' },
  112: { message: 'DUPLICATE_EXTERNAL_ID', http: 400, description: 'The value passed via njExternalLeadId already exists in the campaign.' },
  114: {
    message: 'INVALID_CALLBACK_DATE_FORMAT',
    http: 400,
    description: "The callback date must be 'yyyy/MM/dd HH:mm' or 'yyyy/MM/dd HH:mm:ss' and a real date.",
  },
  115: { message: 'ALLOCATION_ID_REQUIRED', http: 400, description: 'A valid allocation id was not passed in.' },
  116: { message: 'TEMPLATE_ID_REQUIRED', http: 400, description: 'A valid campaign template id was not passed in.' },
  117: { message: 'CAMPAIGN_ID_REQUIRED', http: 400, description: 'A valid campaign id was not passed in.' },
  201: { message: 'INVALID_PRIORITY', http: 400, description: 'njPriority must be an integer from 0 to 100.' },
  202: { message: 'INVALID_PHONE_NUMBER', http: 400, description: "A phone field holds text that is not a phone number of the template's country." },
  203: { message: 'PAYLOAD_TOO_LARGE', http: 413, description: 'The request body or batch is larger than this server accepts.' },
  204: { message: 'MALFORMED_REQUEST', http: 400, description: 'The request body or a field in it is malformed.' },
  205: {
    message: 'FAILED_EXTERNAL_VALIDATION',
    http: 400,
    description: 'The lead was created, but the external duplicate check marked it as failed.',
  },
  206: { message: 'CRM_UNAVAILABLE', http: 503, description: 'The CRM could not be asked about this lead; retry later.' },
  208: {
    message: 'IDEMPOTENCY_KEY_REUSED',
    http: 422,
    description: 'This Idempotency-Key was already used with a different request.',
  },
  207: {
    message: 'STORE_UNAVAILABLE',
    http: 503,
    description: 'The lead store could not be reached; nothing of this request was written unless its answer said so. Retry later.',
  },
  401: {
    message: 'UNAUTHORIZED',
    http: 401,
    description: 'apiKey is missing or not valid: pass it as the apiKey query parameter.',
  },
  404: { message: 'NOT_FOUND', http: 404, description: 'There is no endpoint at this path.' },
  405: { message: 'METHOD_NOT_ALLOWED', http: 405, description: 'This endpoint does not take this HTTP method (the Allow header lists the ones it takes).' },
} as const satisfies Record<number, { message: string; http: number; description: string }>;

export type ResultCode = keyof typeof RESULT_CODES;

/** HTTP-level codes, about the request as a whole (credentials, path, method): never a lead's result. */
export const HTTP_LEVEL_CODES = [401, 404, 405] as const satisfies readonly ResultCode[];
export type HttpLevelCode = (typeof HTTP_LEVEL_CODES)[number];
/** The codes a lead's result may carry. */
export type LeadCode = Exclude<ResultCode, HttpLevelCode>;

/** Codes a caller may fix by retrying later (they come with Retry-After). */
export const RETRYABLE_CODES: ReadonlySet<ResultCode> = new Set<ResultCode>([109, 206, 207]);

/** The Retry-After hint, in seconds, of a retryable answer that has no better estimate. */
export const RETRY_AFTER_SECONDS = 5;

export function codeInfo(code: ResultCode): (typeof RESULT_CODES)[ResultCode] {
  return RESULT_CODES[code];
}
