import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import { RESULT_CODES, RETRYABLE_CODES, type ResultCode } from '../codes.js';

/**
 * One route's OpenAPI description, written next to the zod schemas its handler parses with.
 * Paths are the full paths the app serves, in OpenAPI form (`/hooks/{source}`); the route test
 * compares them with the app's own route table both ways.
 */
export type RouteDoc = RouteConfig;

/** Declares a route's doc (@hono/zod-openapi's createRoute: the config as given, typed, with its Hono path). */
export const routeDoc = <const R extends RouteDoc>(doc: R): R => createRoute(doc);

/** A JSON media object: the schema and named examples (OpenAPI 3.1 `examples`). */
export function json(schema: z.ZodType, examples?: Record<string, unknown>) {
  const content: { schema: z.ZodType; examples?: Record<string, { value: unknown }> } = { schema };
  if (examples) content.examples = Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }]));
  return { 'application/json': content };
}

/** `Idempotency-Key` (SPEC 6): the write endpoints do their work once per key. */
export const idempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .optional()
    .meta({
      description:
        'Makes a retried request do its work once: a repeat with the same key and the same request gets the first answer back byte for byte (`Idempotent-Replayed: true`); the same key with another request answers 208 (HTTP 422). Keys are kept 24 h.',
    }),
});

export const retryAfterHeader = z.object({
  'Retry-After': z.string().optional().meta({ description: 'Seconds to wait before retrying (on retryable answers).', example: '5' }),
});

/** Every result code of the one table (src/codes.ts), as an enum for answer schemas. */
const CODES = Object.keys(RESULT_CODES).map(Number) as ResultCode[];
export const resultCode = z
  .enum(Object.fromEntries(CODES.map((code) => [RESULT_CODES[code].message, code])) as Record<string, ResultCode>)
  .meta({ description: 'Result code (see the table in the API description).' });
export const resultMessage = z.enum(CODES.map((code) => RESULT_CODES[code].message) as [string, ...string[]]);

/** The codes of the table a given HTTP status carries. */
export const codesWithStatus = (http: number): ResultCode[] => CODES.filter((code) => RESULT_CODES[code].http === http);

/** Markdown lines for some codes, from the one table: `105 DUPLICATE: There is already…`. */
export function codeList(codes: readonly ResultCode[]): string {
  return codes
    .map((code) => `- \`${code}\` ${RESULT_CODES[code].message}: ${RESULT_CODES[code].description}${RETRYABLE_CODES.has(code) ? ' (with Retry-After)' : ''}`)
    .join('\n');
}

/** One example answer per code, named `105 DUPLICATE`, built by `render` from the table's entry. */
export function codeExamples(codes: readonly ResultCode[], render: (code: ResultCode, info: (typeof RESULT_CODES)[ResultCode]) => unknown): Record<string, unknown> {
  return Object.fromEntries(codes.map((code) => [`${code} ${RESULT_CODES[code].message}`, render(code, RESULT_CODES[code])]));
}

/** The whole table as Markdown, for the document's description. */
export function codeTable(): string {
  const rows = CODES.map((code) => `| ${code} | ${RESULT_CODES[code].message} | ${RESULT_CODES[code].http} | ${RESULT_CODES[code].description} |`);
  return ['| code | message | HTTP | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** `{"error": "..."}`: the plain error body of the routes that speak no dialect (hooks, admin). */
export const errorAnswer = z.object({ error: z.string() }).meta({ id: 'Error', example: { error: 'a valid admin bearer token is required' } });
