import { z } from 'zod';
import { CONVOSO_ERRORS } from './codes.js';
import { FIELD_FILTERS } from './search-params.js';

const text = (description: string, example?: string) => z.string().optional().meta(example === undefined ? { description } : { description, example });
const flag = (description: string, example = '1') => text(`${description} \`1\`/\`true\` or \`0\`/\`false\`.`, example);

const auth = { auth_token: text('API key. Missing or wrong: HTTP 403 `{"success":false,"code":403,"text":"Forbidden"}`.', 'demo') };
const phone = {
  phone_number: text('Phone number, national or with a leading +.', '412345678'),
  phone_code: text('Country calling code of phone_number; default 1.', '61'),
};
const paging = (limit: number, max: number) => ({
  offset: text('Entries to skip; a whole number ≥ 0, default 0 (7231).', '0'),
  limit: text(`Entries to answer; 1–${max}, default ${limit} (7258).`, String(limit)),
});
const campaign = { campaign_id: text('`0` (the default) is the global DNC list; otherwise a campaign id (6006).', '0') };

/** Lead fields: every parameter that steers nothing is stored with the lead. */
const leadFields = z.string().meta({
  description:
    'Any other parameter is a lead field. Convoso instructions leadgate does not act on (hopper, hopper_priority, hopper_expires_in, check_wireless, check_dup_list, reject_by_carrier_type, adaptor_id, filter_phone_code, blueinkdigital_token, update_order_by_last_called_time) are kept with the lead as `_convoso_<name>`, to be passed on to a `convoso` destination.',
});

const insertFields = {
  ...auth,
  list_id: text('The list (an allocation id). Missing: 6007; unknown: 6002.', '100'),
  ...phone,
  status: text("The lead's status.", 'NEW'),
  email: text('Checked when given (6079).', 'ada@example.com'),
  check_dup: text('Duplicate check: 0 none, 1 (or `true`) the whole account, 2 the list, 3 the campaign, 4 the account including closed leads (6009); default the template\'s.', '3'),
  check_dup_archive: flag('Closed leads count as duplicates too.', '0'),
  check_dnc: flag('Accepted; the DNC list (6010) is always checked.'),
  update_if_found: flag('Update the lead found (by `lead_id`, else by phone in `search_list_id` / `search_campaign_id` / the account) instead of inserting.', '0'),
  lead_id: text('With update_if_found: the lead to update.', '7'),
  search_list_id: text('With update_if_found: look for the phone in this list (6002).', '100'),
  search_campaign_id: text('With update_if_found: look for the phone in this campaign (6006), when no search_list_id.', '10'),
};

export const convosoInsertParams = z
  .object(insertFields)
  .catchall(leadFields)
  .meta({ id: 'ConvosoInsertParams', example: { auth_token: 'demo', list_id: '100', phone_number: '0412345680', phone_code: '61', first_name: 'Ada', check_dup: '3' } });

export const convosoPostValidationParams = z
  .object({ ...auth, criteria_key: text('A criteria key of dialer.yaml (6090): its list and checks apply.', 'sales_leads'), ...phone, status: insertFields.status, email: insertFields.email })
  .catchall(leadFields)
  .meta({ id: 'ConvosoPostValidationParams', example: { auth_token: 'demo', criteria_key: 'sales_leads', phone_number: '0412345680', phone_code: '61', first_name: 'Ada' } });

export const convosoUpdateParams = z
  .object({
    ...auth,
    lead_id: text('The lead to update (6001 "No such Lead"; also for a deleted lead).', '7'),
    list_id: text('Moves the lead to this list of its campaign (6002 otherwise).', '101'),
    phone_number: text("New phone number; without phone_code read in the lead's template country.", '412345679'),
    phone_code: text('Country calling code of phone_number; only with phone_number.', '61'),
    status: text('New status.', 'CALLBACK'),
    email: text('Checked when given (6079).', 'grace@example.com'),
  })
  .catchall(
    z.string().meta({
      description: 'Any other parameter overwrites that lead field. Refused with 6902 (never dropped): id, created_at, modified_at, lead_state, campaign_id, the insert-only check_* / update_if_found / search_* / criteria_key, and nj* system fields.',
    }),
  )
  .meta({ id: 'ConvosoUpdateParams', example: { auth_token: 'demo', lead_id: '7', first_name: 'Grace', status: 'CALLBACK' } });

export const convosoDeleteParams = z.object({ ...auth, lead_id: text('The lead to delete (6001).', '7') }).meta({ id: 'ConvosoDeleteParams' });

export const convosoSearchParams = z
  .object({
    ...auth,
    lead_id: text('Only this lead.', '7'),
    list_id: text('Only leads of this list (6002 when no list).', '100'),
    status: text('Only leads with this status.', 'NEW'),
    ...phone,
    alt_phone_1: text('Only leads with this alternate phone.'),
    alt_phone_2: text('Only leads with this alternate phone.'),
    ...Object.fromEntries(FIELD_FILTERS.map((name) => [name, text(`Only leads whose ${name} is this (trimmed, case-insensitive).`)])),
    created_at_start_date: text('Created at or after: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC (6031).', '2026-12-01'),
    created_at_end_date: text('Created at or before (a day: the whole day).', '2026-12-31 23:59:59'),
    updated_at_start_date: text('Modified at or after.', '2026-12-01'),
    updated_at_end_date: text('Modified at or before.', '2026-12-31'),
    ...paging(10, 2000),
  })
  .meta({ id: 'ConvosoSearchParams' });

export const convosoDncParams = z
  .object({ ...auth, ...phone, ...campaign, reason: text('Why the number is on the list.', 'asked'), purpose: text('The entry\'s purpose.', 'opt-out') })
  .meta({ id: 'ConvosoDncParams', example: { auth_token: 'demo', phone_number: '412345699', phone_code: '61', campaign_id: '0', reason: 'asked' } });

export const convosoDncUpdateParams = z
  .object({
    ...auth,
    id: text('The DNC entry (6056).', '3'),
    ...phone,
    ...campaign,
    reason: text('New reason; `-BLANK-` clears it.', 'asked again'),
    purpose: text('New purpose; `-BLANK-` clears it.', '-BLANK-'),
  })
  .meta({ id: 'ConvosoDncUpdateParams', example: { auth_token: 'demo', id: '3', reason: 'asked again' } });

export const convosoDncDeleteParams = z.object({ ...auth, ...phone, ...campaign }).meta({ id: 'ConvosoDncDeleteParams' });

export const convosoDncSearchParams = z
  .object({
    ...auth,
    id: text('Only this entry.', '3'),
    ...phone,
    ...campaign,
    insert_date: text('Inserted on this day (`YYYY-MM-DD`) or at this second (`YYYY-MM-DD HH:MM:SS`), UTC.', '2026-12-01'),
    reason: text('Only this reason; `-BLANK-` none, `-NOTBLANK-` any.', '-NOTBLANK-'),
    purpose: text('Only this purpose.'),
    ...paging(100, 1000),
  })
  .meta({ id: 'ConvosoDncSearchParams' });

export const convosoValidationQuery = z
  .object({
    ...auth,
    criteria_key: text('A criteria key of dialer.yaml (6090); its list and checks apply.', 'sales_leads'),
    list_id: text('Accepted in place of criteria_key (6002).', '100'),
    ...phone,
    state: text('Lead field, as the duplicate-check table sees it.'),
    postal_code: text('Lead field, as the duplicate-check table sees it.'),
  })
  .catchall(leadFields)
  .meta({ id: 'ConvosoValidationParams', description: 'Other parameters are lead fields, as the duplicate-check table would see them.' });

export const convosoAuthParams = z.object(auth).meta({ id: 'ConvosoAuthParams' });
export const convosoLeadPath = z.object({ leadId: z.string().meta({ param: { name: 'leadId', in: 'path' }, example: '7' }) });

// ---------------------------------------------------------------------------------------------
// answers

const rule = z.object({ row: z.number().int(), key: z.string() }).nullable();
const codes = [...new Set(Object.values(CONVOSO_ERRORS).map((e) => e.code))];

export const convosoFailure = z
  .object({
    success: z.literal(false),
    code: z.number().int().meta({ description: `A Convoso code (the table in the API description): ${codes.join(', ')}.` }),
    text: z.string(),
    data: z.object({ lead_id: z.string() }).optional().meta({ description: 'The lead created anyway (6011), or closed as REFUSED_BY_DIALER (sync mode).' }),
    reason: z.string().optional().meta({ description: "The duplicate-check row's reason, or leadgate's own words on what was wrong." }),
    rule: rule.optional(),
    dialer: z.string().optional().meta({ description: 'Sync mode: the destination whose dialer refused the lead (6009 or 6010).' }),
  })
  .meta({ id: 'ConvosoFailure' });

export const convosoLeadAnswer = z
  .object({
    success: z.literal(true),
    data: z.object({
      lead_id: z.string(),
      dialer_lead_id: z.string().nullable().optional().meta({ description: 'Sync-mode destination: the lead id the dialer answered.' }),
      queued: z.literal(true).optional().meta({ description: 'Sync-mode destination: no verdict within syncTimeoutMs; the lead will be delivered.' }),
    }),
  })
  .meta({ id: 'ConvosoLeadAnswer' });
export const convosoDone = z.object({ success: z.literal(true) }).meta({ id: 'ConvosoDone' });
export const convosoDncIdAnswer = z.object({ success: z.literal(true), id: z.string() }).meta({ id: 'ConvosoDncIdAnswer' });

const entries = (entry: z.ZodType) =>
  z.object({ success: z.literal(true), data: z.object({ offset: z.string(), limit: z.string(), total: z.string(), entries: z.array(entry) }) });

export const convosoSearchAnswer = entries(
  z
    .object({
      id: z.string(),
      list_id: z.string(),
      campaign_id: z.string(),
      status: z.string().nullable(),
      phone_number: z.string().nullable(),
      phone_code: z.string().nullable(),
      lead_state: z.enum(['active', 'closed', 'reallocated']).meta({ description: "leadgate's state of the lead; a lead's own `state` field is its own." }),
      created_at: z.string(),
      modified_at: z.string(),
    })
    .catchall(z.unknown().meta({ description: "The lead's own fields." })),
).meta({ id: 'ConvosoSearchAnswer' });

export const convosoDncSearchAnswer = entries(
  z.object({
    id: z.string(),
    phone_number: z.string(),
    phone_code: z.string().nullable(),
    campaign_id: z.string(),
    reason: z.string().nullable(),
    purpose: z.string().nullable(),
    insert_date: z.string(),
  }),
).meta({ id: 'ConvosoDncSearchAnswer' });

export const convosoValidationAnswer = z
  .object({
    success: z.literal(true),
    result: z.enum(['Accepted', 'Denied']),
    reason: z.string().nullable(),
    status: z.string().nullable().optional(),
    external_validation: z.boolean().optional(),
    code: z.number().int().optional().meta({ description: 'Denied: the Convoso code an insert would have answered.' }),
  })
  .meta({ id: 'ConvosoValidationAnswer' });

export const convosoDecision = z.record(z.string(), z.unknown()).meta({ id: 'ConvosoDecision', description: 'The duplicate-check decision applied to the lead.' });
