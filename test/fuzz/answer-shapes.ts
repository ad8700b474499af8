/** The documented body shape of each dialect's answers (SPEC 2, 2.2, 4, 7, 8a), as assertions. */
import { expect } from 'vitest';
import { RESULT_CODES } from '../../src/codes.js';
import { isConvosoCode } from '../../src/dialects/convoso/codes.js';
import { NOOJEE_BASE } from '../../src/dialects/noojee/schemas.js';
import type { Answer, FuzzRequest } from './fuzz-kit.js';
import { parseLoosely } from './json-walk.js';

type Json = Record<string, unknown>;
const codeInfo = (code: unknown) => (RESULT_CODES as Record<number, { message: string; http: number } | undefined>)[code as number];
const NOOJEE_KEYS = ['code', 'message', 'description', 'leadId', 'reason', 'rule'];

export function expectRetryAfter(answer: Answer): void {
  expect(answer.headers.get('retry-after'), 'Retry-After').toMatch(/^\d+$/);
}

/** SPEC 2: `{code, message, description}` (+ leadId, reason, rule); the status follows the code. */
export function checkNoojeeLead(answer: Answer): void {
  const body = answer.json as Json;
  if (answer.status === 401) {
    expect(body).toEqual({ code: 401, message: 'UNAUTHORIZED', description: expect.stringMatching(/^apiKey is (missing|not valid)\b/) });
    return;
  }
  const info = codeInfo(body.code);
  expect(info, `code ${String(body.code)} is not a documented result code`).toBeDefined();
  expect(body.message).toBe(info!.message);
  expect(answer.status, `HTTP status of code ${String(body.code)}`).toBe(info!.http);
  expect(body.description).toEqual(expect.stringMatching(/\S/));
  for (const key of Object.keys(body)) expect(NOOJEE_KEYS, `undocumented field '${key}'`).toContain(key);
  if (body.code === 0 || body.code === 205) expect(body.leadId).toMatch(/^\d+$/);
  else if (body.leadId !== undefined) expect(body.leadId).toMatch(/^\d+$/);
  if (body.code === 109 || answer.status === 503) expectRetryAfter(answer);
}

function leadsSent(request: FuzzRequest): number | undefined {
  const body = typeof request.body === 'string' || request.body instanceof Uint8Array ? parseLoosely(request.body) : undefined;
  return Array.isArray(body) ? body.length : typeof body === 'object' && body !== null ? 1 : undefined;
}

/** SPEC 2.2: HTTP 200 `{code: 0, message: 'OK', results: [...], counts}`, or a request-level failure. */
export function checkNoojeeBatch(answer: Answer, request: FuzzRequest): void {
  const body = answer.json as Json;
  if (answer.status !== 200) {
    checkNoojeeLead(answer);
    return;
  }
  expect(Object.keys(body).sort()).toEqual(['code', 'counts', 'message', 'results']);
  expect(body).toMatchObject({ code: 0, message: 'OK' });
  const results = body.results as Json[];
  expect(Array.isArray(results)).toBe(true);
  const sent = leadsSent(request);
  if (sent !== undefined) expect(results).toHaveLength(sent);
  const counts: Record<string, number> = {};
  results.forEach((row, index) => {
    const info = codeInfo(row.code);
    expect(info, `result ${index}: code ${String(row.code)}`).toBeDefined();
    expect(row).toMatchObject({ index, message: info!.message });
    for (const key of Object.keys(row)) expect(['index', ...NOOJEE_KEYS], `undocumented field '${key}'`).toContain(key);
    if (row.code === 0) expect(row.description).toBeUndefined();
    else expect(row.description).toEqual(expect.stringMatching(/\S/));
    if (row.code === 0 || row.code === 205) expect(row.leadId).toMatch(/^\d+$/);
    else if (row.leadId !== undefined) expect(row.leadId).toMatch(/^\d+$/);
    counts[String(row.code)] = (counts[String(row.code)] ?? 0) + 1;
  });
  expect(body.counts).toEqual(counts);
}

/** SPEC 8a: `{decision, rows: [{index, key, values, matched}]}` (+ crm when live), else `{error}`. */
export function checkAdmin(answer: Answer): void {
  const body = answer.json as Json;
  if (answer.status !== 200) {
    expect(body).toEqual({ error: expect.stringMatching(/\S/) });
    if (answer.status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="leadgate-admin"');
    if (answer.status === 503) expectRetryAfter(answer);
    return;
  }
  for (const key of Object.keys(body)) expect(['decision', 'rows', 'crm']).toContain(key);
  expect(body.decision).toMatchObject({ source: expect.stringMatching(/^(row|noMatch|onError)$/) });
  expect(Array.isArray(body.rows)).toBe(true);
  for (const row of body.rows as Json[]) {
    expect(row).toEqual({ index: expect.any(Number), key: expect.any(String), values: expect.any(Array), matched: expect.any(Boolean) });
  }
  if (body.crm !== undefined) {
    expect(body.crm).toMatchObject({ ok: expect.any(Boolean) });
    if (!(body.crm as Json).ok) expect(body.decision).toMatchObject({ source: 'onError' });
  }
}

/** SPEC 4: HTTP 200 `{success: true, data: {lead_id}}` or `{success: false, code, text}`; 403 Forbidden; 429/503 with Retry-After. */
export function checkConvoso(answer: Answer): void {
  const body = answer.json as Json;
  if (answer.status === 403) {
    expect(body).toEqual({ success: false, code: 403, text: 'Forbidden' });
    return;
  }
  if (answer.status === 429 || answer.status === 503) expectRetryAfter(answer);
  if (body.success === true) {
    expect(answer.status).toBe(200);
    expect(body).toEqual({ success: true, data: { lead_id: expect.stringMatching(/^\d+$/) } });
    return;
  }
  expect(body).toMatchObject({ success: false, code: expect.any(Number), text: expect.stringMatching(/\S/) });
  expect(isConvosoCode(body.code as number), `code ${String(body.code)} is not a Convoso code`).toBe(true);
  for (const key of Object.keys(body)) expect(['success', 'code', 'text', 'data', 'reason', 'rule'], `undocumented field '${key}'`).toContain(key);
  if (body.data !== undefined) expect(body.data).toEqual({ lead_id: expect.stringMatching(/^\d+$/) });
}

/** Whether the router sees this path under the Noojee CampaignAPI (it matches the decoded path too). */
function underNoojee(url: string): boolean {
  const { pathname } = new URL(url, 'http://localhost');
  let decoded = pathname;
  try {
    decoded = decodeURI(pathname);
  } catch {
    // the router keeps undecodable paths as they are
  }
  return [pathname, decoded].some((p) => p === NOOJEE_BASE || p.startsWith(`${NOOJEE_BASE}/`));
}

/**
 * Unknown paths and methods: under the CampaignAPI a Noojee 404, or 405 with `Allow: POST` for an
 * endpoint's path; elsewhere the app's `{error}` (401/403 under /admin).
 */
export function checkNotFound(answer: Answer, request: FuzzRequest): void {
  if (underNoojee(request.url)) {
    expect([404, 405]).toContain(answer.status);
    const message = answer.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED';
    expect(answer.json).toEqual({ code: answer.status, message, description: expect.stringMatching(/\S/) });
    expect(answer.headers.get('allow')).toBe(answer.status === 405 ? 'POST' : null);
    return;
  }
  expect([401, 403, 404, 405]).toContain(answer.status);
  expect(answer.json).toMatchObject({ error: expect.stringMatching(/\S/) });
}
