import { parseJsonBody } from '../../http/json-body.js';
import { readBodyLimited } from '../../http/read-body.js';
import { isStorableText } from '../../lib/storable.js';

export type ParamsRead = { ok: true; params: Record<string, string> } | { ok: false; reason: 'tooLarge' | 'malformed'; detail: string };

/**
 * Convoso takes its parameters from the query string, a form body or a flat JSON body, as its
 * clients send them; body values win over query values of the same name.
 */
export async function readConvosoParams(request: Request, maxBytes: number): Promise<ParamsRead> {
  const read = await readParams(request, maxBytes);
  if (!read.ok) return read;
  for (const [name, value] of Object.entries(read.params)) {
    if (!isStorableText(name) || !isStorableText(value)) return { ok: false, reason: 'malformed', detail: 'a parameter holds a NUL character or an unpaired surrogate' };
  }
  return read;
}

async function readParams(request: Request, maxBytes: number): Promise<ParamsRead> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URL(request.url).searchParams) params[name] = value;
  const body = await readBodyLimited(request, maxBytes);
  if (!body.ok) return body.reason === 'tooLarge' ? { ok: false, reason: 'tooLarge', detail: `the body is larger than ${maxBytes} bytes` } : { ok: false, reason: 'malformed', detail: 'the body is not valid UTF-8' };
  const text = body.text.trim();
  if (text === '') return { ok: true, params };
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.endsWith('json') || text.startsWith('{')) {
    // the body as sent, not trimmed, so a syntax error's line and column are the caller's own
    const json = parseJsonBody(body.text);
    if (!json.ok) return { ok: false, reason: 'malformed', detail: json.detail };
    const parsed = json.value;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'malformed', detail: 'the JSON body must be a flat object' };
    for (const [name, value] of Object.entries(parsed)) {
      if (name === '__proto__') continue;
      if (value !== null && typeof value === 'object') return { ok: false, reason: 'malformed', detail: `parameter '${name}' must be a string, number or boolean` };
      if (value !== null) params[name] = String(value);
    }
    return { ok: true, params };
  }
  for (const [name, value] of new URLSearchParams(text)) if (name !== '__proto__') params[name] = value;
  return { ok: true, params };
}
