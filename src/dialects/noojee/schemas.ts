import { z } from 'zod';
import { SYSTEM_FIELDS, type SystemField } from '../../leads/system-fields.js';
import { resultCode, resultMessage } from '../../ops/route-doc.js';

export const NOOJEE_BASE = '/servicemanager/rest/CampaignAPI';

const id = (what: string, code: number, extra = '') =>
  z.string().optional().meta({ description: `${what} id (an integer). Missing, not an integer or unknown: ${code}.${extra}`, example: '1' });

/**
 * The CampaignAPI query string (SPEC 2). Ids stay text here: resolving them against the rules,
 * in the SPEC's order 116 → 117 → 115 with words that name the parameter, is the target's job.
 */
export const noojeeQuery = z.object({
  apiKey: z
    .string()
    .optional()
    .meta({ description: 'API key. Missing or wrong: HTTP 401 `{"code":401,"message":"UNAUTHORIZED","description":"…"}`, the description saying which.', example: 'demo' }),
  fTemplateId: id('Campaign template', 116),
  fCampaignId: id('Campaign', 117, ' Also 117 when the campaign is not of that template.'),
  fAllocationId: id('Allocation', 115, ' Also 115 when the allocation is not of that campaign. Optional on updateLeadFast.'),
  allowDuplicates: z
    .string()
    .optional()
    .transform((value) => value?.trim().toLowerCase() === 'true')
    .meta({ description: '`true` skips the de-duplication (105) by every match key; anything else is false.', example: 'false' }),
});

export type NoojeeQuery = z.output<typeof noojeeQuery>;

const leadValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const SYSTEM_FIELD_DOCS: Record<SystemField, string> = {
  njExternalLeadId: "The caller's id for the lead, unique in the campaign (112); updates, MODIFY and REALLOCATE find the lead by it.",
  njCallBackDate: "When to call: `yyyy/MM/dd HH:mm[:ss]`, wall-clock time in the lead's contact hours (114).",
  njPriority: 'Integer 0–100, lower is called first; default 10 (201).',
  njContactHours: "Name of a contact-hours entry of the rules; default the template's (111).",
  njDisposition: 'Updates, MODIFY and REALLOCATE: the disposition to apply, or `<No Change>` (106, 107).',
  njAction: 'injectLeads rows only: `ADD` (default), `MODIFY` or `REALLOCATE`, any case.',
  njAllocationName: 'REALLOCATE: the allocation (by name, within the campaign) that receives the copy (115).',
};

/**
 * One lead as documented: flat fields, `nj*` system fields matched case-insensitively (an unknown
 * `nj*` field is 204). The handlers do not parse leads with it: the pipeline checks each lead
 * field by field in the SPEC's order, answering that lead (not the request) with the first
 * failing code and a reason that names the field.
 */
export const noojeeLead = z
  .object(Object.fromEntries(SYSTEM_FIELDS.map((name) => [name, leadValue.optional().meta({ description: SYSTEM_FIELD_DOCS[name] })])))
  .catchall(leadValue)
  .meta({
    id: 'NoojeeLead',
    description:
      "Flat field names to values (string, number, boolean or null). The template's `phoneFields` hold phone numbers; every other field is stored with the lead. At most 500 fields, names of at most 200 characters, values of at most 10,000 characters. `<No Change>` (updates only) keeps a field's value.",
    example: { phone: '0383208134', firstName: 'Ada', njExternalLeadId: 'A-1', njCallBackDate: '2026/12/24 10:30' },
  });

/** An element the envelope lets through as it is (each lead is checked on its own), documented as a NoojeeLead. */
const leadSlot = z.unknown().meta({ $ref: '#/components/schemas/NoojeeLead' });
const leadObject = z
  .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value))
  .meta({ type: 'object', $ref: '#/components/schemas/NoojeeLead' });

/** insertLeadFast, updateLeadFast: one lead object; a one-element array is accepted. */
export const singleLeadBody = z.union([leadObject, z.tuple([leadSlot]).meta({ minItems: 1, maxItems: 1 })]);
/** insertLeadsFast, injectLeads: an array of leads; a lone object is a batch of one. */
export const leadBatchBody = z.union([z.array(leadSlot), leadObject]);

const rule = z
  .object({ row: z.number().int(), key: z.string() })
  .nullable()
  .meta({ description: 'The duplicate-check row that decided (null: the table\'s noMatch or onError).' });

const answerFields = {
  code: resultCode,
  message: resultMessage,
  leadId: z.string().optional().meta({ description: 'The lead id, as a string; present when a lead was written (0, and 205).' }),
  reason: z.string().optional().meta({ description: 'The reason of the duplicate-check row that decided.' }),
  rule: rule.optional(),
  matchedOn: z
    .string()
    .optional()
    .meta({ description: '105 by a match key other than the phone (SPEC 3.1): the key that matched, `email` or the fields of a key joined by `+`. A phone duplicate has none.' }),
  dialerLeadId: z.string().nullable().optional().meta({ description: 'Sync-mode destination (insertLeadFast): the lead id the dialer answered when it took the lead.' }),
  queued: z.literal(true).optional().meta({ description: 'Sync-mode destination: the dialer did not answer within syncTimeoutMs (or asked to retry); the lead is accepted and will be delivered.' }),
  dialer: z.string().optional().meta({ description: 'Sync-mode destination that refused the lead; the code is the dialer\'s refusal and the lead is closed as REFUSED_BY_DIALER.' }),
};

/** `{code, message, description}` plus `leadId` when there is one; the HTTP status follows the code. */
export const noojeeAnswer = z.object({ ...answerFields, description: z.string() }).meta({ id: 'NoojeeAnswer' });

/** insertLeadsFast / injectLeads: HTTP 200, one result per lead in request order, and counts by code. */
export const noojeeBatchAnswer = z
  .object({
    code: z.literal(0),
    message: z.literal('OK'),
    results: z.array(z.object({ index: z.number().int(), ...answerFields, description: z.string().optional() })),
    counts: z.record(z.string(), z.number().int()).meta({ description: 'How many leads got each code.' }),
  })
  .meta({ id: 'NoojeeBatchAnswer' });

/** The SPEC's `{"code":401,"message":"UNAUTHORIZED"}`, plus a description saying whether the key was missing or wrong. */
export const noojeeUnauthorized = z.object({ code: z.literal(401), message: z.literal('UNAUTHORIZED'), description: z.string() }).meta({ id: 'NoojeeUnauthorized' });
