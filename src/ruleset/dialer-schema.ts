import { z } from 'zod';

const id = z.number().int().positive();
const name = z.string().trim().min(1);

export const DEDUPE_SCOPES = ['allocation', 'campaign', 'global', 'none'] as const;
const dedupeScope = z.enum(DEDUPE_SCOPES);

/** A match key (SPEC 3.1 `on`): a field name, or several fields that must all match. */
const matchKey = z.union([name, z.array(name).min(2, 'a key of several fields needs at least two')]);

/** The long form of `dedupe`: scope, window and match keys. */
const dedupeLongForm = z
  .object({
    scope: dedupeScope,
    /** only leads created in the last `windowDays` days count; absent = forever */
    windowDays: z.number().int().min(1).max(36_500).optional(),
    on: z.array(matchKey).min(1).default(['phone']),
  })
  .strict();

export type DedupeLongForm = z.infer<typeof dedupeLongForm>;

/**
 * `dedupe: campaign` (the short form: the phone key, forever) or the long form. A string is read
 * as the short form and an object as the long form, so each gets its own precise error (a plain
 * union would only say "Invalid input").
 */
const dedupeSetting = z.unknown().optional().transform((value, ctx): DedupeLongForm => {
  const parsed = typeof value === 'string' || value === undefined ? dedupeScope.default('campaign').safeParse(value) : dedupeLongForm.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return typeof parsed.data === 'string' ? { scope: parsed.data, on: ['phone'] } : parsed.data;
});

const dispositionAction = z.union([
  z.enum(['close', 'callback', 'dnc']),
  z.object({ reallocate: name }).strict(),
  z.object({ webhook: name }).strict(),
]);

const criterionSchema = z
  .object({
    key: name,
    allocationId: id,
    /** Convoso's check_dup: 0 none, 1 account, 2 list, 3 campaign, 4 account with closed leads; absent = the template's */
    checkDup: z.number().int().min(0).max(4).optional(),
    /** leadgate always checks the DNC list; false cannot be honoured, so it does not load */
    checkDnc: z.literal(true, { error: 'the DNC list is always checked; leave checkDnc out or set it true' }).optional(),
    checkDupArchive: z.boolean().default(false),
  })
  .strict();

export const dialerSchema = z
  .object({
    version: z.literal(1),
    contactHours: z.array(z.object({ name, timeZone: name }).strict()).min(1),
    templates: z
      .array(
        z
          .object({
            id,
            name,
            country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter region code such as AU or US'),
            phoneFields: z.array(name).min(1),
            contactHours: name,
            dedupe: dedupeSetting,
            dispositions: z.array(z.object({ code: name, actions: z.array(dispositionAction).default([]) }).strict()).default([]),
          })
          .strict(),
      )
      .min(1),
    campaigns: z
      .array(
        z
          .object({
            id,
            name,
            templateId: id,
            allocations: z.array(z.object({ id, name }).strict()).min(1),
          })
          .strict(),
      )
      .min(1),
    /** Convoso's "Lead Post Criteria": a key names where a lead goes and how it is checked (SPEC 4) */
    criteria: z.array(criterionSchema).default([]),
  })
  .strict();

export type DialerFile = z.infer<typeof dialerSchema>;
export type DispositionAction = z.infer<typeof dispositionAction>;
export type DedupeScope = (typeof DEDUPE_SCOPES)[number];
