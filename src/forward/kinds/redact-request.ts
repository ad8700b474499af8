/*
 * A dialer request as the attempt record keeps it (SPEC 10.3): credential parameters blanked by
 * name, and every credential or `${env:…}` value blanked wherever else it shows (URL, headers,
 * body, raw or encoded), so a secret that a lead field happens to echo is not stored either.
 */
import { isSensitiveName, redactSecrets, REDACTED } from '../../crm/build-request.js';
import type { CompiledDestination, DialerRequest } from '../ports.js';
import { parseJson } from './answer-reading.js';
import type { RedactedDialerRequest } from './kind-types.js';

export function redactDialerRequest(
  destination: CompiledDestination,
  request: DialerRequest,
  credentialParams: readonly string[],
): RedactedDialerRequest {
  const secrets = secretsOf(destination);
  const isCredential = (name: string) => credentialParams.includes(name) || isSensitiveName(name);
  const text = (value: string) => redactSecrets(value, secrets);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = isCredential(name) ? REDACTED : text(value);

  const out: RedactedDialerRequest = { method: request.method, url: redactUrl(request.url, isCredential, text), headers };
  if (request.body !== undefined) out.body = redactBody(request.body, contentType(request.headers), isCredential, text);
  return out;
}

/** `text` (a dialer's answer, an error message) with every credential and `${env:…}` value of the destination blanked. */
export function redactDialerText(destination: CompiledDestination, text: string): string {
  return redactSecrets(text, secretsOf(destination));
}

const secretsByDestination = new WeakMap<CompiledDestination, readonly string[]>();

/**
 * Every value to hide, longest first so that a secret inside another is not half-replaced; one
 * list per compiled destination, so redactSecrets works out its encoded forms once, not per value.
 */
function secretsOf(destination: CompiledDestination): readonly string[] {
  let secrets = secretsByDestination.get(destination);
  if (!secrets) {
    const all = new Set([...destination.secrets, ...Object.values(destination.credentials)].filter((s) => s !== ''));
    secrets = [...all].sort((a, b) => b.length - a.length);
    secretsByDestination.set(destination, secrets);
  }
  return secrets;
}

function redactUrl(url: string, isCredential: (name: string) => boolean, text: (value: string) => string): string {
  const at = url.indexOf('?');
  if (at < 0) return text(url);
  const query = new URLSearchParams(url.slice(at + 1));
  const clean = new URLSearchParams();
  for (const [name, value] of query) clean.append(text(name), isCredential(name) ? REDACTED : text(value));
  return `${text(url.slice(0, at))}?${clean.toString()}`;
}

function contentType(headers: Readonly<Record<string, string>>): string {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type');
  return entry?.[1].toLowerCase() ?? '';
}

function redactBody(
  body: string,
  type: string,
  isCredential: (name: string) => boolean,
  text: (value: string) => string,
): unknown {
  if (type.includes('application/x-www-form-urlencoded')) {
    const fields: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(body)) fields[text(name)] = isCredential(name) ? REDACTED : text(value);
    return fields;
  }
  if (type.includes('json')) {
    const parsed = parseJson(body);
    if (parsed !== undefined) return redactJson(parsed, isCredential, text);
  }
  return text(body);
}

function redactJson(value: unknown, isCredential: (name: string) => boolean, text: (value: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    // A numeric credential (a VICIdial user 6666) would otherwise survive as a JSON number.
    const shown = text(String(value));
    return shown === String(value) ? value : shown;
  }
  if (Array.isArray(value)) return value.map((v) => redactJson(v, isCredential, text));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) out[text(name)] = isCredential(name) ? REDACTED : redactJson(v, isCredential, text);
    return out;
  }
  return value;
}
