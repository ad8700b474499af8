import { expect } from 'vitest';
import type { NoojeeQuery } from '../support/test-app.js';

/**
 * insertLeadFast / insertLeadsFast cases as data, shared by the Node suite (app.request) and the
 * Workers runtime test (HTTP into wrangler dev), so both runtimes are held to the same answers.
 */

export interface NoojeeAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}
/** POSTs a lead body (JSON-encoded unless a string) to a Noojee endpoint, wherever the app runs. */
export type PostNoojee = (endpoint: string, body: unknown, query?: NoojeeQuery) => Promise<NoojeeAnswer>;

const MISSING_KEY = 'apiKey is missing: pass it as the apiKey query parameter';
const WRONG_KEY = 'apiKey is not valid: check the key passed as the apiKey query parameter';

/** 401 comes before every other check, with a description telling a missing key from a wrong one. */
export const UNAUTHORISED_QUERIES: Array<[name: string, query: NoojeeQuery, description: string]> = [
  ['no apiKey', { apiKey: null }, MISSING_KEY],
  ['an empty apiKey', { apiKey: '' }, MISSING_KEY],
  ['a wrong apiKey', { apiKey: 'nope' }, WRONG_KEY],
  ['a wrong apiKey and a bad template', { apiKey: 'nope', fTemplateId: 'x' }, WRONG_KEY],
];

export const REQUEST_LEVEL_FAILURES: Array<[name: string, query: NoojeeQuery, code: number, message: string, description: string]> = [
  ['missing fTemplateId', { fTemplateId: null }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId is required'],
  ['non-integer fTemplateId', { fTemplateId: '1x' }, 116, 'TEMPLATE_ID_REQUIRED', "fTemplateId must be an integer id, got '1x'"],
  ['unknown fTemplateId', { fTemplateId: 99 }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId 99 names no campaign template'],
  ['bad template and bad campaign', { fTemplateId: 99, fCampaignId: 99 }, 116, 'TEMPLATE_ID_REQUIRED', 'fTemplateId 99 names no campaign template'],
  ['missing fCampaignId', { fCampaignId: null }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId is required'],
  ['unknown fCampaignId', { fCampaignId: 77 }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId 77 names no campaign'],
  ['a campaign of another template', { fCampaignId: 20 }, 117, 'CAMPAIGN_ID_REQUIRED', 'campaign 20 does not belong to template 1'],
  ['bad campaign and bad allocation', { fCampaignId: 77, fAllocationId: 9 }, 117, 'CAMPAIGN_ID_REQUIRED', 'fCampaignId 77 names no campaign'],
  ['missing fAllocationId', { fAllocationId: null }, 115, 'ALLOCATION_ID_REQUIRED', 'fAllocationId is required'],
  ['unknown fAllocationId', { fAllocationId: 999 }, 115, 'ALLOCATION_ID_REQUIRED', 'fAllocationId 999 names no allocation'],
  ['an allocation of another campaign', { fAllocationId: 110 }, 115, 'ALLOCATION_ID_REQUIRED', 'allocation 110 does not belong to campaign 10'],
];

export const MALFORMED_BODIES: Array<[name: string, body: unknown, description: string]> = [
  ['not JSON', '{"phone": ', 'the body is not valid JSON: it ends early at line 1, column 11 (expected a value)'],
  ['a JSON string', '"0412345678"', 'the body must be one lead object (or a one-element array)'],
  ['two leads', [{ phone: '0412345678' }, { phone: '0412345679' }], 'the body must be one lead object (or a one-element array)'],
  ['null', 'null', 'the body must be one lead object (or a one-element array)'],
];

/** Leads refused before anything is written: HTTP 400 with this code and description. */
export const LEAD_REJECTIONS: Array<[name: string, lead: Record<string, unknown>, code: number, description: string]> = [
  ['a nested object value', { phone: '0412000001', address: { street: 'x' } }, 204, "field 'address' must be a string, number, boolean or null"],
  ['an array value', { phone: '0412000001', tags: ['a'] }, 204, "field 'tags' must be a string, number, boolean or null"],
  ['an unknown nj field', { phone: '0412000001', njColour: 'red' }, 204, "unknown system field 'njColour'"],
  ['a system field twice', { phone: '0412000001', njPriority: 1, NJPRIORITY: 2 }, 204, "system field 'njPriority' is given twice"],
  ['njAction MODIFY', { phone: '0412000001', njAction: 'MODIFY' }, 204, "njAction 'MODIFY' is only accepted by injectLeads; inserts are ADD"],
  ['a disposition', { phone: '0412000001', njDisposition: 'SALE' }, 204, 'njDisposition applies to updates, not inserts'],
  ['<No Change>', { phone: '0412000001', surname: '<No Change>' }, 108, "field 'surname' holds <No Change>, which only updates accept"],
  ['<no change> trimmed, any case', { phone: '0412000001', surname: '  <NO change> ' }, 108, "field 'surname' holds <No Change>, which only updates accept"],
  ['no phone field', { surname: 'Smith' }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
  ['empty phone fields', { phone: '', mobile: null }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
  ['only junk in phone fields', { phone: 'call me' }, 102, 'none of the phone fields (phone, mobile) holds a usable AU number'],
  ['a junk phone beside a good one', { phone: '0412000001', mobile: '12' }, 202, "field 'mobile': '12' is not a valid AU phone number"],
  ['a callback in the wrong format', { phone: '0412000001', njCallBackDate: '2026-12-31 14:23' }, 114, "njCallBackDate '2026-12-31 14:23' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
  ['a callback on no real day', { phone: '0412000001', njCallBackDate: '2026/02/30 10:00' }, 114, "njCallBackDate '2026/02/30 10:00' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
  ['a callback at 24:00', { phone: '0412000001', njCallBackDate: '2026/02/03 24:00' }, 114, "njCallBackDate '2026/02/03 24:00' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date"],
  ['unknown contact hours', { phone: '0412000001', njContactHours: 'Mars' }, 111, "njContactHours 'Mars' names no contact hours"],
  ['priority 101', { phone: '0412000001', njPriority: 101 }, 201, "njPriority '101' is not an integer from 0 to 100"],
  ['priority -1', { phone: '0412000001', njPriority: -1 }, 201, "njPriority '-1' is not an integer from 0 to 100"],
  ['priority 5.5', { phone: '0412000001', njPriority: 5.5 }, 201, "njPriority '5.5' is not an integer from 0 to 100"],
  ['priority text', { phone: '0412000001', njPriority: 'high' }, 201, "njPriority 'high' is not an integer from 0 to 100"],
];

export const FIRST_FAILING_CHECK: Array<[name: string, lead: Record<string, unknown>, code: number]> = [
  ['<No Change> over no phone: 108 before 102', { surname: '<No Change>' }, 108],
  ['no phone over a bad date: 102 before 114', { phone: 'x', njCallBackDate: 'soon' }, 102],
  ['junk phone over a bad date: 202 before 114', { phone: '0412000001', mobile: 'x1', njCallBackDate: 'soon' }, 202],
  ['bad date over bad contact hours: 114 before 111', { phone: '0412000001', njCallBackDate: 'soon', njContactHours: 'Mars' }, 114],
  ['bad contact hours over bad priority: 111 before 201', { phone: '0412000001', njContactHours: 'Mars', njPriority: 500 }, 111],
  ['malformed over everything: 204 first', { phone: 'x', surname: '<No Change>', njWhat: 1 }, 204],
];

export const INSERTED = { code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: expect.stringMatching(/^\d+$/) };
export const DUPLICATE_PHONE = { code: 105, message: 'DUPLICATE', description: 'a lead with one of these phone numbers already exists' };

/** One number written four ways is one number: the first insert wins, the rest are 105. */
export const SAME_NUMBER = { first: '0383208134', otherForms: ['383208134', '+61 3 8320 8134', '+61383208134'], mobileForm: '03 8320 8134' };

type Place = [templateId: number, campaignId: number, allocationId: number];
/**
 * De-duplication scope from the template: each step inserts phone `a` or `b` (fresh numbers per
 * case) into a template/campaign/allocation and expects this code.
 */
export const DEDUPE_SCOPES: Array<[name: string, steps: Array<[phone: 'a' | 'b', at: Place, code: number]>]> = [
  ['campaign scope: another allocation of the campaign is a duplicate, another campaign is not', [['a', [1, 10, 100], 0], ['a', [1, 10, 101], 105], ['a', [1, 11, 110], 0]]],
  ['allocation scope: only the same allocation is a duplicate', [['a', [2, 20, 200], 0], ['a', [2, 20, 201], 0], ['a', [2, 20, 200], 105]]],
  ['global scope: a lead anywhere, of any template, is a duplicate', [['a', [1, 10, 100], 0], ['a', [3, 30, 300], 105], ['b', [3, 30, 300], 0], ['b', [3, 31, 310], 105]]],
  ['none: never a duplicate, yet later leads of other templates still see it', [['a', [4, 40, 400], 0], ['a', [4, 40, 400], 0], ['a', [3, 30, 300], 105]]],
];

export const placeQuery = ([fTemplateId, fCampaignId, fAllocationId]: Place): NoojeeQuery => ({ fTemplateId, fCampaignId, fAllocationId });

/** insertLeadsFast: every lead answered in request order with counts; one bad lead undoes nothing. */
export function batchInRequestOrder(fresh: () => string) {
  const dup = fresh();
  return {
    leads: [{ phone: dup, njExternalLeadId: 'B-1' }, { phone: dup }, { phone: 'nope' }, { phone: fresh(), njExternalLeadId: 'B-1' }, { phone: fresh(), njPriority: 7 }],
    status: 200,
    body: {
      code: 0,
      message: 'OK',
      results: [
        { index: 0, code: 0, message: 'OK', leadId: expect.stringMatching(/^\d+$/) },
        { index: 1, ...DUPLICATE_PHONE },
        { index: 2, code: 102, message: 'NO_PHONE_FIELDS', description: 'none of the phone fields (phone, mobile) holds a usable AU number' },
        { index: 3, code: 112, message: 'DUPLICATE_EXTERNAL_ID', description: 'njExternalLeadId already belongs to a lead of the campaign' },
        { index: 4, code: 0, message: 'OK', leadId: expect.stringMatching(/^\d+$/) },
      ],
      counts: { '0': 2, '102': 1, '105': 1, '112': 1 },
    },
  };
}
