/**
 * Compiles `destinations/<name>.yaml` (SPEC 10.1) once per rules load: secrets resolved from the
 * environment, the URL checked, the http kind's answer reading compiled, the routes' `match`
 * checked against dialer.yaml. The `to` ids are the dialer's, so nothing here can check them.
 */
import type { CompiledDestination, DestinationRoute, HttpAnswerReading, RouteMatch } from '../../forward/ports.js';
import { connectNameFromFile, FORBIDDEN_HEADERS, HEADER_NAME } from '../../crm/compile-connect.js';
import { refusedHostReason } from '../../crm/network-guard.js';
import type { Dialer } from '../dialer.js';
import { condition } from '../duplicate-check/compile.js';
import { matches, textOf } from '../duplicate-check/match.js';
import { compileSafeRegex } from '../duplicate-check/safe-regex.js';
import { envRefResolver, requireEnvRef } from '../env-refs.js';
import { compileJsonPath, type CompiledPath } from '../jsonpath/compile.js';
import { zodErrorToRuleErrors, type RuleError } from '../rule-error.js';
import { parseHttpUrl } from '../../crm/parse-http-url.js';
import { destinationSchema, type DestinationFile, type SuccessRow } from './schema.js';

export type CompileDestinationResult = { ok: true; destination: CompiledDestination } | { ok: false; errors: RuleError[] };

type Fail = (path: string, message: string) => void;
type Resolve = (text: string, path: string) => string;

/** `destinations/acme-dialer.yaml` → `acme-dialer` */
export const destinationNameFromFile = connectNameFromFile;

/**
 * `dialer`: the folder's dialer.yaml, when it loaded, to check that every route can match.
 * `demoFile`: the file says `demo: true`, so literal credentials are allowed in it (SPEC 3.2).
 */
export function compileDestination(
  raw: unknown,
  file: string,
  env: Record<string, string | undefined>,
  dialer: Dialer | undefined,
  demoFile = false,
): CompileDestinationResult {
  const parsed = destinationSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrorToRuleErrors(file, parsed.error) };
  const spec = parsed.data;
  const errors: RuleError[] = [];
  const fail: Fail = (path, message) => {
    errors.push({ file, path, message });
  };
  const secrets = new Set<string>();
  const resolve = envRefResolver(env, secrets, fail);

  const url = compileUrl(spec, resolve, fail);
  const { credentials, headers } = compileCredentials(spec, resolve, fail, demoFile, secrets);
  const http = spec.kind === 'http' ? compileHttpReading(spec.http.success, spec.http.leadId, fail) : undefined;
  checkAdaptor(spec.adaptor, fail);
  if (dialer) spec.routes.forEach((route, i) => checkMatch(route.match, dialer, `routes[${i}].match`, fail));

  if (errors.length > 0 || url === undefined) return { ok: false, errors };
  const routes: DestinationRoute[] = spec.routes.map((route) => ({ match: { ...route.match }, to: { ...route.to } }));
  return {
    ok: true,
    destination: {
      name: destinationNameFromFile(file),
      file,
      kind: spec.kind,
      url,
      credentials,
      headers,
      routes,
      forward: new Set(spec.forward),
      mode: spec.mode,
      syncTimeoutMs: spec.syncTimeoutMs,
      timeoutMs: spec.timeoutMs,
      maxConcurrency: spec.maxConcurrency,
      ratePerSecond: spec.ratePerSecond,
      batch: spec.batch,
      retry: { ...spec.retry },
      allowPrivateNetwork: spec.allowPrivateNetwork,
      adaptor: spec.adaptor.map((row) => ({ field: row.field, mappedTo: row.mappedTo })),
      ...(http ? { http } : {}),
      circuit: { ...spec.circuit },
      secrets: [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length),
    },
  };
}

/**
 * An absolute http(s) URL without credentials, on a public host unless allowPrivateNetwork.
 * The dialer kinds append their own paths to it, so it is kept without a trailing slash and may
 * hold no query; kind http posts to it as written.
 */
function compileUrl(spec: DestinationFile, resolve: Resolve, fail: Fail): string | undefined {
  const url = parseHttpUrl(resolve(spec.url, 'url'), 'put them under credentials', fail);
  if (!url) return undefined;
  if (!spec.allowPrivateNetwork) {
    const reason = refusedHostReason(url.hostname);
    if (reason) fail('url', `${reason}; set allowPrivateNetwork: true to allow it`);
  }
  if (url.hash) fail('url', 'a URL fragment is never sent; remove it');
  if (spec.kind !== 'http' && url.search) fail('url', `a ${spec.kind} url is the dialer's base URL: leadgate appends the paths and query, so it may hold no query`);
  if (spec.kind === 'http') return url.href;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Every credential value names an environment variable (a literal one only in a demo file).
 * Resolved values become secrets for redaction, as do whole header values.
 */
function compileCredentials(
  spec: DestinationFile,
  resolve: Resolve,
  fail: Fail,
  demoFile: boolean,
  secrets: Set<string>,
): { credentials: Record<string, string>; headers: Record<string, string> } {
  const secret = (value: string, path: string): string => {
    if (!demoFile) requireEnvRef(value, path, fail);
    const resolved = resolve(value, path);
    if (/[\r\n\0]/.test(resolved)) fail(path, 'contains a line break or NUL (after ${env:} resolution)');
    secrets.add(resolved);
    return resolved;
  };
  const credentials: Record<string, string> = {};
  const headers: Record<string, string> = {};
  if (spec.kind === 'http') {
    for (const [name, value] of Object.entries(spec.credentials.headers)) {
      const path = `credentials.headers.${name}`;
      if (!HEADER_NAME.test(name)) fail(path, `"${name}" is not a valid header name`);
      else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) fail(path, `header ${name} is set by leadgate and cannot be configured`);
      headers[name] = secret(value, path);
    }
    return { credentials, headers };
  }
  for (const [key, value] of Object.entries(spec.credentials)) credentials[key] = secret(value, `credentials.${key}`);
  return { credentials, headers };
}

function compilePath(key: string, path: string, fail: Fail): CompiledPath | undefined {
  const compiled = compileJsonPath(key);
  if (compiled.ok) return compiled.path;
  fail(path, `JSONPath ${JSON.stringify(key)}: ${compiled.message}`);
  return undefined;
}

/** The http kind's `success` row (a row of the duplicate-check table's shape) and `leadId` path. */
function compileHttpReading(row: SuccessRow, leadIdKey: string | undefined, fail: Fail): HttpAnswerReading | undefined {
  const path = compilePath(row.key, 'http.success.key', fail);
  let regex: RegExp | undefined;
  if (row.op === 'regex') {
    const compiled = compileSafeRegex(row.value as string);
    if (compiled.ok) regex = compiled.regex;
    else fail('http.success.value', compiled.message);
  }
  const leadIdPath = leadIdKey === undefined ? undefined : compilePath(leadIdKey, 'http.leadId', fail);
  if (!path || (row.op === 'regex' && !regex) || (leadIdKey !== undefined && !leadIdPath)) return undefined;
  const success = condition(row, regex);
  return {
    succeeded: (answer) => matches(success, path.values(answer)),
    leadId: (answer) => {
      if (!leadIdPath) return null;
      for (const value of leadIdPath.values(answer)) {
        const text = typeof value === 'string' || typeof value === 'number' ? textOf(value)!.trim() : '';
        if (text) return text;
      }
      return null;
    },
  };
}

/** Two rows sending values to the same name would overwrite each other. */
function checkAdaptor(rows: DestinationFile['adaptor'], fail: Fail): void {
  const taken = new Map<string, number>();
  rows.forEach((row, i) => {
    const earlier = taken.get(row.mappedTo);
    if (earlier !== undefined) fail(`adaptor[${i}].mappedTo`, `"${row.mappedTo}" is already mapped by adaptor[${earlier}]`);
    else taken.set(row.mappedTo, i);
  });
}

/** A route naming ids dialer.yaml does not have, or that do not belong together, would never match. */
function checkMatch(match: RouteMatch, dialer: Dialer, path: string, fail: Fail): void {
  const never = 'this route would never match';
  const template = match.templateId === undefined ? undefined : dialer.templates.get(match.templateId);
  const campaign = match.campaignId === undefined ? undefined : dialer.campaigns.get(match.campaignId);
  const allocation = match.allocationId === undefined ? undefined : dialer.allocations.get(match.allocationId);
  if (match.templateId !== undefined && !template) fail(`${path}.templateId`, `template ${match.templateId} does not exist in dialer.yaml: ${never}`);
  if (match.campaignId !== undefined && !campaign) fail(`${path}.campaignId`, `campaign ${match.campaignId} does not exist in dialer.yaml: ${never}`);
  if (match.allocationId !== undefined && !allocation) fail(`${path}.allocationId`, `allocation ${match.allocationId} does not exist in dialer.yaml: ${never}`);
  if (campaign && template && campaign.template !== template) {
    fail(`${path}.campaignId`, `campaign ${campaign.id} is not of template ${template.id} in dialer.yaml: ${never}`);
  }
  if (allocation && campaign && allocation.campaign !== campaign) {
    fail(`${path}.allocationId`, `allocation ${allocation.id} is not in campaign ${campaign.id} in dialer.yaml: ${never}`);
  } else if (allocation && template && allocation.campaign.template !== template) {
    fail(`${path}.allocationId`, `allocation ${allocation.id} is not of template ${template.id} in dialer.yaml: ${never}`);
  }
}
