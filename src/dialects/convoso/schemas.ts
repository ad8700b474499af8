import { z } from 'zod';

const text = (description: string, example?: string) => z.string().optional().meta(example === undefined ? { description } : { description, example });

const auth = { auth_token: text('API key. Missing or wrong: HTTP 403 `{"success":false,"code":403,"text":"Forbidden"}`.', 'demo') };
const phone = {
  phone_number: text('Phone number, national or with a leading +.', '412345678'),
  phone_code: text('Country calling code of phone_number; default 1.', '61'),
};
const paging = {
  offset: text('Entries to skip; a whole number ≥ 0, default 0 (204).', '0'),
  limit: text('Entries to answer; 1–2000, default 100 (204).', '100'),
};
const campaign = {
  campaign_id: z
    .string()
    .regex(/^\s*(?:\d{1,9})?\s*$/)
    .optional()
    .meta({ description: '`0` (the default) is the global DNC list; otherwise a campaign id (117).', example: '0' }),
};
/** An allocation id, as the dialect reads one: digits, blanks around them allowed. */
const listId = (pattern: RegExp, description: string) => z.string().regex(pattern).optional().meta({ description, example: '100' });
const REQUIRED_ID = /^\s*\d{1,9}\s*$/;
const OPTIONAL_ID = /^\s*(?:\d{1,9})?\s*$/;

/** Lead fields: every parameter that steers nothing is stored with the lead. */
const leadFields = z.string().meta({ description: 'Any other parameter is a lead field.' });

/**
 * POST /v1/leads/insert. The format checks here are the dialect's own, applied at their place in
 * its check order (403 → 6007 → 6002 → 6079 → 204 check_dup); see `refusedFields`.
 */
export const convosoInsertParams = z
  .object({
    ...auth,
    list_id: listId(REQUIRED_ID, 'The allocation id. Missing: 6007; unknown: 6002.'),
    ...phone,
    check_dup: z
      .string()
      .regex(/^\s*[0-3]?\s*$/)
      .optional()
      .meta({ description: "Duplicate scope: 0 none, 1 global, 2 list, 3 campaign; default the template's (6009). Anything else: 204.", example: '3' }),
    check_dnc: text('Accepted for compatibility: DNC (6010) is always checked.', '1'),
    update_if_found: text('`1`: a phone duplicate updates the lead that has the phone (answering its lead_id).', '0'),
    email: z
      .string()
      .regex(/^\s*(?:[^\s@]+@[^\s@]+\.[^\s@]+)?\s*$/)
      .optional()
      .meta({ description: 'Checked when given (6079).', example: 'ada@example.com' }),
  })
  .catchall(leadFields)
  .meta({ id: 'ConvosoInsertParams', example: { auth_token: 'demo', list_id: '100', phone_number: '0412345680', phone_code: '61', first_name: 'Ada', check_dup: '3' } });

export const convosoUpdateParams = z
  .object({ ...auth, lead_id: text('The lead to update (6001 "No such Lead").', '7'), ...phone })
  .catchall(leadFields.meta({ description: 'Any other parameter overwrites that lead field.' }))
  .meta({ id: 'ConvosoUpdateParams', example: { auth_token: 'demo', lead_id: '7', first_name: 'Grace' } });

export const convosoSearchParams = z
  .object({
    ...auth,
    ...phone,
    list_id: listId(OPTIONAL_ID, 'Only leads of this allocation (6002 when not an id).'),
    status: text('Only leads with this status.', 'NEW'),
    created_at_start: text('Created at or after (ISO 8601; 204 when not a date).', '2026-12-01 00:00:00'),
    created_at_end: text('Created at or before.', '2026-12-31 23:59:59'),
    ...paging,
  })
  .meta({ id: 'ConvosoSearchParams' });

export const convosoDncParams = z
  .object({ ...auth, ...phone, ...campaign, reason: text('Why the number is on the list.', 'asked') })
  .meta({ id: 'ConvosoDncParams', example: { auth_token: 'demo', phone_number: '412345699', phone_code: '61', campaign_id: '0', reason: 'asked' } });

export const convosoDncSearchParams = z.object({ ...auth, ...phone, ...campaign, ...paging }).meta({ id: 'ConvosoDncSearchParams' });

export const convosoValidationQuery = z
  .object({ ...auth, list_id: listId(REQUIRED_ID, 'The allocation id. Missing: 6007; unknown: 6002.'), ...phone })
  .catchall(leadFields)
  .meta({ description: 'Other parameters are lead fields, as the duplicate-check table would see them.' });

export const convosoAuthParams = z.object(auth).meta({ id: 'ConvosoAuthParams' });
export const convosoLeadPath = z.object({ leadId: z.string().meta({ param: { name: 'leadId', in: 'path' }, example: '7' }) });

/** The top-level fields a schema refused, so a dialect can answer them in its own order with its own codes. */
export function refusedFields(result: z.ZodSafeParseResult<unknown>): ReadonlySet<string> {
  return new Set(result.success ? [] : result.error.issues.map((issue) => String(issue.path[0])));
}

// ---------------------------------------------------------------------------------------------
// answers

const rule = z.object({ row: z.number().int(), key: z.string() }).nullable();

export const convosoFailure = z
  .object({
    success: z.literal(false),
    code: z.number().int().meta({ description: "Convoso's code (6001, 6002, 6007–6011, 6079) or leadgate's (see the code table)." }),
    text: z.string(),
    data: z.object({ lead_id: z.string() }).optional().meta({ description: 'The lead created anyway (6011).' }),
    reason: z.string().optional(),
    rule: rule.optional(),
  })
  .meta({ id: 'ConvosoFailure' });

export const convosoLeadAnswer = z.object({ success: z.literal(true), data: z.object({ lead_id: z.string() }) }).meta({ id: 'ConvosoLeadAnswer' });

const entries = (entry: z.ZodType) =>
  z.object({ success: z.literal(true), data: z.object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int(), entries: z.array(entry) }) });

export const convosoSearchAnswer = entries(
  z
    .object({
      id: z.string(),
      status: z.string().nullable(),
      phone_number: z.string().nullable(),
      list_id: z.string(),
      campaign_id: z.string(),
      external_id: z.string().nullable(),
      disposition: z.string().nullable(),
      state: z.string(),
      created_at: z.string(),
    })
    .catchall(z.unknown().meta({ description: "The lead's own fields." })),
).meta({ id: 'ConvosoSearchAnswer' });

const dncEntry = { phone_number: z.string(), campaign_id: z.string() };
export const convosoDncAnswer = z
  .object({ success: z.literal(true), data: z.object({ ...dncEntry, inserted: z.boolean().optional(), deleted: z.boolean().optional() }) })
  .meta({ id: 'ConvosoDncAnswer' });
export const convosoDncSearchAnswer = entries(
  z.object({ ...dncEntry, reason: z.string().nullable(), source: z.string().nullable(), created_at: z.string() }),
).meta({ id: 'ConvosoDncSearchAnswer' });

export const convosoValidationAnswer = z
  .object({
    success: z.literal(true),
    result: z.enum(['Accepted', 'Denied']),
    reason: z.string().nullable(),
    status: z.string().nullable().optional(),
    external_validation: z.boolean().optional(),
    code: z.number().int().optional(),
  })
  .meta({ id: 'ConvosoValidationAnswer' });

export const convosoDecision = z.record(z.string(), z.unknown()).meta({ id: 'ConvosoDecision', description: 'The duplicate-check decision applied to the lead.' });
