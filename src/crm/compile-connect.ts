import type { Scalar } from '../leads/scalar.js';
import { envRefResolver, requireEnvRef, SECRET_HEADER_NAME } from '../ruleset/env-refs.js';
import { zodErrorToRuleErrors, type RuleError } from '../ruleset/rule-error.js';
import { callDeadlineMs } from './backoff.js';
import { connectSchema, type AdaptorRow } from './connect-schema.js';
import { compileDateFormat, type DateFormatter } from './date-format.js';
import { refusedHostReason } from './network-guard.js';
import { parseHttpUrl } from './parse-http-url.js';

/** A piece of the URL after the origin: literal text, or a `{field}` slot filled from the lead. */
export type UrlPart = { literal: string; slot: 'path' | 'query' } | { field: string; slot: 'path' | 'query' };

export interface AdaptorTarget {
  /** As written (a form/query parameter name) */
  name: string;
  /** `name` split on dots: where the value goes in a JSON body */
  path: readonly string[];
}

export interface CompiledAdaptorRow {
  field: string;
  targets: readonly AdaptorTarget[];
  default?: Scalar;
  dateFormat?: string;
  formatDate?: DateFormatter;
}

export interface CompiledConnect {
  name: string;
  file: string;
  method: 'GET' | 'POST';
  /** `https://crm.example.com[:port]`, fixed at load */
  origin: string;
  /** Path and query after the origin, starting with `/` */
  url: readonly UrlPart[];
  /** Resolved values (secrets included); log only through `redactRequest` */
  headers: Readonly<Record<string, string>>;
  body: 'json' | 'form' | 'none';
  response: 'json' | 'text';
  timeoutMs: number;
  retries: number;
  maxResponseBytes: number;
  maxConcurrency: number;
  allowPrivateNetwork: boolean;
  adaptor: readonly CompiledAdaptorRow[];
  circuit: { failureThreshold: number; openMs: number };
  /** Whole-call budget: see backoff.ts */
  deadlineMs: number;
  /** Every resolved `${env:NAME}` value, longest first, for redaction */
  secrets: readonly string[];
}

export type CompileConnectResult = { ok: true; connect: CompiledConnect } | { ok: false; errors: RuleError[] };

const URL_SLOT = /(?<!\$)\{([^{}]*)\}/g;
const SLOT_FIELD = /^[A-Za-z0-9_.-]+$/;
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer']);

/** `connects/acme-crm.yaml` → `acme-crm` */
export function connectNameFromFile(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** `demoFile`: the file says `demo: true`, so literal secrets are allowed in it (SPEC 3.2). */
export function compileConnect(raw: unknown, file: string, env: Record<string, string | undefined>, demoFile = false): CompileConnectResult {
  const parsed = connectSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrorToRuleErrors(file, parsed.error) };
  const spec = parsed.data;
  const errors: RuleError[] = [];
  const secrets = new Set<string>();
  const fail = (path: string, message: string): void => {
    errors.push({ file, path, message });
  };
  const resolve = envRefResolver(env, secrets, fail);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) {
    const path = `headers.${name}`;
    if (!HEADER_NAME.test(name)) fail(path, `"${name}" is not a valid header name`);
    else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) fail(path, `header ${name} is set by leadgate and cannot be configured`);
    if (SECRET_HEADER_NAME.test(name) && !demoFile) requireEnvRef(value, path, fail);
    const resolved = resolve(value, path);
    if (/[\r\n\0]/.test(resolved)) fail(path, `header ${name} contains a line break or NUL (after \${env:} resolution)`);
    headers[name] = resolved;
  }

  const target = compileUrl(spec.url, spec.allowPrivateNetwork, resolve, fail);
  const adaptor = compileAdaptor(spec.adaptor, spec.method === 'POST' && (spec.body ?? 'json') === 'json', fail);

  if (errors.length > 0 || !target) return { ok: false, errors };
  return {
    ok: true,
    connect: {
      name: connectNameFromFile(file),
      file,
      method: spec.method,
      origin: target.origin,
      url: target.parts,
      headers,
      body: spec.method === 'GET' ? 'none' : (spec.body ?? 'json'),
      response: spec.response,
      timeoutMs: spec.timeoutMs,
      retries: spec.retries,
      maxResponseBytes: spec.maxResponseBytes,
      maxConcurrency: spec.maxConcurrency,
      allowPrivateNetwork: spec.allowPrivateNetwork,
      adaptor,
      circuit: { ...spec.circuit },
      deadlineMs: callDeadlineMs(spec.timeoutMs, spec.retries),
      secrets: [...secrets].sort((a, b) => b.length - a.length),
    },
  };
}

type Fail = (path: string, message: string) => void;

function compileUrl(
  template: string,
  allowPrivateNetwork: boolean,
  resolve: (text: string, path: string) => string,
  fail: Fail,
): { origin: string; parts: UrlPart[] } | undefined {
  const fields: string[] = [];
  // Slots become inert tokens before ${env:} is resolved, so a variable's value can never add a slot.
  const tokenised = template.replace(URL_SLOT, (whole, field: string) => {
    if (!SLOT_FIELD.test(field)) fail('url', `"${whole}" is not a lead-field slot; write {fieldName}`);
    fields.push(field);
    return slotToken(fields.length - 1);
  });
  const url = parseHttpUrl(resolve(tokenised, 'url'), 'send them in a header', fail);
  if (!url) return undefined;
  const hasToken = (text: string): boolean => /__leadgate_slot_\d+__/.test(text);
  if (hasToken(url.host)) fail('url', 'lead-field slots may only appear in the path or the query, never in the host');
  if (hasToken(url.hash)) fail('url', 'lead-field slots may only appear in the path or the query, never in the fragment');
  if (!allowPrivateNetwork) {
    const reason = refusedHostReason(url.hostname);
    if (reason) fail('url', `${reason}; set allowPrivateNetwork: true to allow it`);
  }
  const rest = url.pathname + url.search;
  const queryAt = url.pathname.length;
  const parts: UrlPart[] = [];
  const literal = (from: number, to: number): void => {
    if (from < queryAt && to > from) parts.push({ literal: rest.slice(from, Math.min(to, queryAt)), slot: 'path' });
    if (to > queryAt && to > from) parts.push({ literal: rest.slice(Math.max(from, queryAt), to), slot: 'query' });
  };
  let last = 0;
  const seen = new Set<number>();
  for (const match of rest.matchAll(/__leadgate_slot_(\d+)__/g)) {
    const index = Number(match[1]);
    const field = fields[index];
    if (field === undefined || seen.has(index)) continue;
    seen.add(index);
    literal(last, match.index);
    parts.push({ field, slot: match.index < queryAt ? 'path' : 'query' });
    last = match.index + match[0].length;
  }
  literal(last, rest.length);
  if (seen.size !== fields.length && !hasToken(url.host) && !hasToken(url.hash)) {
    fail('url', 'a lead-field slot could not be placed in the path or query');
  }
  return { origin: url.origin, parts };
}

function slotToken(index: number): string {
  return `__leadgate_slot_${index}__`;
}

function compileAdaptor(rows: readonly AdaptorRow[], jsonBody: boolean, fail: Fail): CompiledAdaptorRow[] {
  const compiled: CompiledAdaptorRow[] = [];
  const taken = new Map<string, string>();
  rows.forEach((row, index) => {
    const path = `adaptor[${index}]`;
    const targets: AdaptorTarget[] = [];
    for (const name of row.mappedTo.split(',').map((n) => n.trim())) {
      if (!name) {
        fail(`${path}.mappedTo`, `"${row.mappedTo}" has an empty name in its comma list`);
        continue;
      }
      const segments = jsonBody ? name.split('.') : [name];
      if (segments.some((s) => s === '')) {
        fail(`${path}.mappedTo`, `"${name}" is not a dot path (empty segment)`);
        continue;
      }
      const key = segments.join('.');
      for (const [other, owner] of taken) {
        if (other === key || (jsonBody && (other.startsWith(`${key}.`) || key.startsWith(`${other}.`)))) {
          fail(`${path}.mappedTo`, `"${name}" collides with "${other}" mapped by ${owner}`);
        }
      }
      taken.set(key, path);
      targets.push({ name, path: segments });
    }
    const out: CompiledAdaptorRow = { field: row.field, targets };
    if (row.default !== undefined) out.default = row.default;
    if (row.dateFormat !== undefined) {
      const format = compileDateFormat(row.dateFormat);
      if (format.ok) {
        out.dateFormat = row.dateFormat;
        out.formatDate = format.format;
      } else {
        fail(`${path}.dateFormat`, format.message);
      }
    }
    compiled.push(out);
  });
  return compiled;
}
