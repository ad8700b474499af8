import { z } from 'zod';

const id = z.number().int().positive();
const name = z.string().trim().min(1);

const dispositionAction = z.union([
  z.enum(['close', 'callback', 'dnc']),
  z.object({ reallocate: name }).strict(),
  z.object({ webhook: name }).strict(),
]);

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
  })
  .strict();

export type DialerFile = z.infer<typeof dialerSchema>;
export type DispositionAction = z.infer<typeof dispositionAction>;
export type DedupeScope = DialerFile['templates'][number]['dedupe'];
