import { z } from 'zod';

/**
 * `rules/connects/<name>.yaml` (SPEC 3.2). `circuit` is a leadgate addition: the SPEC asks for a
 * breaker per connect but leaves its numbers open, so admins may tune them here.
 */

export const MAX_RESPONSE_BYTES_LIMIT = 10 * 1024 * 1024;

const headerValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const adaptorRowSchema = z.strictObject({
  field: z.string().min(1, 'field must not be empty'),
  mappedTo: z.string().min(1, 'mappedTo must not be empty'),
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  dateFormat: z.string().min(1, 'dateFormat must not be empty').optional(),
});

export const circuitSchema = z.strictObject({
  failureThreshold: z.number().int().min(1).max(1000).default(5),
  openMs: z.number().int().min(100).max(3_600_000).default(30_000),
});

export const connectSchema = z
  .strictObject({
    version: z.literal(1),
    url: z.string().min(1, 'url must not be empty'),
    method: z.enum(['GET', 'POST']).default('POST'),
    headers: z.record(z.string(), headerValue).default({}),
    body: z.enum(['json', 'form']).optional(),
    response: z.enum(['json', 'text']).default('json'),
    timeoutMs: z.number().int().min(1).max(60_000).default(3000),
    retries: z.number().int().min(0).max(5).default(1),
    maxResponseBytes: z.number().int().min(1).max(MAX_RESPONSE_BYTES_LIMIT).default(262_144),
    maxConcurrency: z.number().int().min(1).max(1024).default(16),
    allowPrivateNetwork: z.boolean().default(false),
    adaptor: z.array(adaptorRowSchema).default([]),
    circuit: circuitSchema.default({ failureThreshold: 5, openMs: 30_000 }),
  })
  .superRefine((connect, ctx) => {
    if (connect.method === 'GET' && connect.body !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: 'body is only allowed with method POST (GET sends the mapped fields in the query string)',
      });
    }
  });

export type ConnectFile = z.output<typeof connectSchema>;
export type AdaptorRow = ConnectFile['adaptor'][number];
