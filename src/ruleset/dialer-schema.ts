import { z } from 'zod';

const id = z.number().int().positive();
const name = z.string().trim().min(1);

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
            dedupe: z.enum(['allocation', 'campaign', 'global', 'none']).default('campaign'),
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
export type DedupeScope = DialerFile['templates'][number]['dedupe'];
