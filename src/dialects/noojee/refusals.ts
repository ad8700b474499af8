import { renderCode, type NoojeeAnswer } from './render.js';

/**
 * The CampaignAPI's refusals of a request as a whole (401, 404, 405, a body that is not JSON), in
 * the dialect's `{code, message, description}` with the code table's status. Each description
 * says what to change, because a caller's first hour is spent reading these.
 */

export const NOOJEE_ENDPOINTS = ['insertLeadFast', 'insertLeadsFast', 'updateLeadFast', 'injectLeads'] as const;
export type NoojeeEndpoint = (typeof NOOJEE_ENDPOINTS)[number];

const CREDENTIAL_HEADERS = ['apikey', 'x-api-key', 'authorization'];

/** Missing and wrong keys are told apart, and a key sent where the API does not look for it is pointed at. */
export function unauthorized(request: { query: Record<string, string>; header(name: string): string | undefined }): NoojeeAnswer {
  const key = request.query.apiKey;
  if (key !== undefined && key.trim() !== '') {
    return renderCode(401, 'apiKey is not valid: check the key passed as the apiKey query parameter');
  }
  const misspelt = Object.keys(request.query).find((name) => name !== 'apiKey' && name.toLowerCase() === 'apikey');
  if (misspelt) return renderCode(401, `apiKey is missing: the query has '${misspelt.slice(0, 20)}', but parameter names are case-sensitive; pass it as apiKey`);
  const header = CREDENTIAL_HEADERS.find((name) => request.header(name) !== undefined);
  if (header) return renderCode(401, `apiKey is missing: the CampaignAPI reads it from the apiKey query parameter, not from the ${header} header`);
  return renderCode(401, 'apiKey is missing: pass it as the apiKey query parameter');
}

export function methodNotAllowed(endpoint: NoojeeEndpoint, method: string): NoojeeAnswer {
  return renderCode(405, `${endpoint} takes POST with a JSON body, not ${method.slice(0, 20)}`);
}

export function notFound(path: string): NoojeeAnswer {
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return renderCode(404, `there is no CampaignAPI endpoint at ${shown}; the endpoints are ${NOOJEE_ENDPOINTS.join(', ')} (POST, with a JSON body)`);
}

/** A form or other non-JSON body: the dialect takes JSON only (see routes.ts for why forms are not read). */
export function notJsonBody(contentType: string): NoojeeAnswer {
  return renderCode(204, `the Noojee CampaignAPI takes a JSON body (Content-Type: application/json); this request sent ${contentType}`);
}
