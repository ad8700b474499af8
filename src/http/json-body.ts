import { locateJsonSyntaxError } from '../lib/json-syntax-error.js';
import { readBodyLimited } from './read-body.js';

export type JsonParse = { ok: true; value: unknown } | { ok: false; detail: string };

/**
 * A request body's text as JSON, or why not in words that name the line, the column and the
 * offending character: "the body is not valid JSON: unexpected '}' at line 3, column 5 (expected
 * a value)". Every route that takes a JSON body parses it here, whatever shape its dialect gives
 * the refusal. One leading byte-order mark is ignored (Windows tools write one); positions are
 * counted after it, as an editor shows them.
 */
export function parseJsonBody(text: string): JsonParse {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch {
    if (/^[ \t\n\r]*$/.test(json)) return { ok: false, detail: 'the body is empty; it must be JSON' };
    const located = locateJsonSyntaxError(json);
    return { ok: false, detail: located ? `the body is not valid JSON: ${located.message}` : 'the body is not valid JSON' };
  }
}

export type JsonRead =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'tooLarge' | 'malformed'; detail: string }
  /** the body is not JSON and its Content-Type says it was never meant to be: a dialect may word this its own way */
  | { ok: false; reason: 'notJson'; contentType: string; detail: string };

/**
 * Content types a JSON body may arrive under: JSON itself, and the types plain HTTP clients send
 * by default (curl -d sends x-www-form-urlencoded), whose body is then read as JSON all the same.
 */
const JSON_BODY_TYPES = /^(?:application\/(?:[\w.+-]+\+)?json|text\/plain|application\/x-www-form-urlencoded)$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded$/i;

/** The body as JSON, read no further than `maxBytes`. */
export async function readJsonLimited(request: Request, maxBytes: number): Promise<JsonRead> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().slice(0, 100);
  if (type && !JSON_BODY_TYPES.test(type)) return notJson(type);
  const body = await readBodyLimited(request, maxBytes);
  if (!body.ok) {
    return body.reason === 'tooLarge'
      ? { ok: false, reason: 'tooLarge', detail: `the body is larger than ${maxBytes} bytes` }
      : { ok: false, reason: 'malformed', detail: 'the body is not valid UTF-8' };
  }
  const parsed = parseJsonBody(body.text);
  if (parsed.ok) return parsed;
  // `curl -d '{…}'` labels JSON as a form, so a form type is read as JSON first; a body that
  // does not even start like JSON (`phone=0412…`) is a real form, and is told so, not "unexpected 'phone'".
  if (type && FORM_TYPE.test(type) && !/^\ufeff?[ \t\n\r]*[[{"]/.test(body.text)) return notJson(type);
  return { ok: false, reason: 'malformed', detail: parsed.detail };
}

function notJson(type: string): JsonRead {
  return { ok: false, reason: 'notJson', contentType: type, detail: `the body must be JSON (Content-Type: application/json); this request sent ${type}` };
}
