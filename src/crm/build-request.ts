import { scalarText, type LeadFields, type Scalar } from '../leads/scalar.js';
import type { CompiledAdaptorRow, CompiledConnect } from './compile-connect.js';

export interface CrmRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A CrmRequest whose secrets are replaced by `[REDACTED]`: safe to log and to record. */
export type RedactedRequest = CrmRequest;

export const REDACTED = '[REDACTED]';

/** A lead value would change the URL's path structure (a `.` or `..` segment); never sent. */
export class UnsafeUrlValueError extends Error {
  constructor(readonly field: string) {
    super(`lead field ${field} would make a "." or ".." path segment`);
    this.name = 'UnsafeUrlValueError';
  }
}

const SENSITIVE_NAME = /authorization|cookie|api[-_]?key|auth|token|secret|passw(or)?d|signature|session|credential|^key$|^sig$/i;

/**
 * The HTTP request for one lead. Phone fields are expected in E.164 already. A missing (or null)
 * lead field takes the row's `default`, or is left out when the row has none. Throws only
 * UnsafeUrlValueError.
 */
export function buildCrmRequest(connect: CompiledConnect, lead: LeadFields): CrmRequest {
  let url = connect.origin + fillUrl(connect, lead);
  const headers: Record<string, string> = { ...partsOf(connect).headers };
  const mapped: MappedValue[] = [];
  for (const row of connect.adaptor) {
    const value = rowValue(row, lead);
    if (value !== undefined) for (const target of row.targets) mapped.push({ target, value });
  }
  if (connect.method === 'GET') {
    const query = encodeParams(mapped);
    if (query) url += (url.includes('?') ? (/[?&]$/.test(url) ? '' : '&') : '?') + query;
    return { method: 'GET', url, headers };
  }
  if (connect.body === 'form') return { method: 'POST', url, headers, body: encodeParams(mapped) };
  const root: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const { target, value } of mapped) setPath(root, target.path, value);
  return { method: 'POST', url, headers, body: JSON.stringify(root) };
}

interface MappedValue {
  target: CompiledAdaptorRow['targets'][number];
  value: Scalar;
}

/** What every request of a connect shares, worked out once per compiled connect. */
interface ConnectParts {
  /** the file's headers with leadgate's defaults (User-Agent, Accept, Content-Type) where it sets none; each request copies them */
  headers: Readonly<Record<string, string>>;
  /** the file sets its own Idempotency-Key header (then leadgate adds none) */
  setsIdempotencyKey: boolean;
  /** a lead field fills part of the path (only then can a request's path hold a "." or ".." segment) */
  pathHasField: boolean;
}

const partsByConnect = new WeakMap<CompiledConnect, ConnectParts>();
function partsOf(connect: CompiledConnect): ConnectParts {
  let parts = partsByConnect.get(connect);
  if (!parts) {
    const headers = { ...connect.headers };
    setDefaultHeader(headers, 'User-Agent', 'leadgate');
    if (connect.response === 'json') setDefaultHeader(headers, 'Accept', 'application/json');
    if (connect.method === 'POST') setDefaultHeader(headers, 'Content-Type', connect.body === 'form' ? 'application/x-www-form-urlencoded' : 'application/json');
    parts = {
      headers,
      setsIdempotencyKey: Object.keys(connect.headers).some((h) => h.toLowerCase() === 'idempotency-key'),
      pathHasField: connect.url.some((p) => 'field' in p && p.slot === 'path'),
    };
    partsByConnect.set(connect, parts);
  }
  return parts;
}

/** Whether the connect's file sets its own Idempotency-Key header (then leadgate adds none). */
export function setsIdempotencyKey(connect: CompiledConnect): boolean {
  return partsOf(connect).setsIdempotencyKey;
}

function encodeParams(mapped: readonly MappedValue[]): string {
  const params = new URLSearchParams();
  for (const { target, value } of mapped) params.append(target.name, scalarText(value));
  return params.toString();
}

function rowValue(row: CompiledAdaptorRow, lead: LeadFields): Scalar | undefined {
  const given = Object.hasOwn(lead, row.field) ? lead[row.field] : undefined;
  const value = given === undefined || given === null ? row.default : given;
  if (value === undefined || !row.formatDate || value === null) return value;
  // A value that is not one of the accepted date forms goes out as written; the CRM decides.
  return row.formatDate(scalarText(value)) ?? value;
}

function fillUrl(connect: CompiledConnect, lead: LeadFields): string {
  let path = '';
  let query = '';
  for (const part of connect.url) {
    const text =
      'literal' in part
        ? part.literal
        : encodeURIComponent(scalarText(Object.hasOwn(lead, part.field) ? lead[part.field] : undefined));
    if (part.slot === 'path') path += text;
    else query += text;
  }
  // encodeURIComponent leaves "." alone, and URL parsers treat "..", ".%2e" etc. as "go up".
  // Only a lead value can bring such a segment: the file's own path was normalised by the URL parser at load.
  if (partsOf(connect).pathHasField && path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    const culprit = connect.url.find(
      (p) => 'field' in p && p.slot === 'path' && /^\.{1,2}$/.test(scalarText(lead[p.field])),
    );
    throw new UnsafeUrlValueError(culprit && 'field' in culprit ? culprit.field : 'unknown');
  }
  return path + query;
}

function setDefaultHeader(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (!Object.keys(headers).some((h) => h.toLowerCase() === lower)) headers[name] = value;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: Scalar): void {
  let node = root;
  const last = path.length - 1;
  for (let i = 0; i < last; i += 1) {
    const segment = path[i]!;
    let next = node[segment];
    if (typeof next !== 'object' || next === null) {
      next = Object.create(null) as Record<string, unknown>;
      node[segment] = next;
    }
    node = next as Record<string, unknown>;
  }
  node[path[last]!] = value;
}

/**
 * Every form a connect's secrets may take in a request or an answer, in the order they are
 * replaced. Worked out once per compiled connect (its `secrets` array), not on each of the
 * half-dozen texts of every call.
 */
/** Every form of every secret of a list (a connect's or destination's, built once at load), worked out once per list. */
const formsByList = new WeakMap<readonly string[], readonly string[]>();
function formsOf(secrets: readonly string[]): readonly string[] {
  let forms = formsByList.get(secrets);
  if (!forms) {
    forms = secrets.flatMap(secretForms);
    formsByList.set(secrets, forms);
  }
  return forms;
}

/** Replaces every secret (raw, URL- and JSON-encoded forms) in `text` by `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of formsOf(secrets)) if (out.includes(form)) out = out.replaceAll(form, REDACTED);
  return out;
}

/** The ways a secret can show in a text: as is, URL- or form-encoded, JSON-escaped. */
function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams([['', secret]]).toString().slice(1),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].filter((form) => form !== '');
}

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** A copy of `request` safe to log or store in a decision record. */
export function redactRequest(connect: Pick<CompiledConnect, 'secrets'>, request: CrmRequest): RedactedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = isSensitiveName(name) ? REDACTED : redactSecrets(value, connect.secrets);
  }
  const out: RedactedRequest = { method: request.method, url: redactUrl(request.url, connect.secrets), headers };
  if (request.body !== undefined) out.body = redactSecrets(request.body, connect.secrets);
  return out;
}

function redactUrl(url: string, secrets: readonly string[]): string {
  const clean = redactSecrets(url, secrets);
  const at = clean.indexOf('?');
  if (at < 0) return clean;
  const params = clean
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return isSensitiveName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${clean.slice(0, at + 1)}${params.join('&')}`;
}
