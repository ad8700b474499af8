import { concatChunks } from '../lib/bytes.js';

export type BodyRead = { ok: true; text: string } | { ok: false; reason: 'tooLarge' | 'notUtf8' };

/**
 * Reads a request body as text, stopping as soon as it passes `maxBytes`, so an oversized upload
 * is refused without being buffered (a declared Content-Length is refused before reading at all).
 */
export type BytesRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'tooLarge' };

/** The raw body bytes, read no further than `maxBytes` (webhook signatures are checked on these). */
export async function readBytesLimited(request: Request, maxBytes: number): Promise<BytesRead> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'tooLarge' };
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, reason: 'tooLarge' };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: concatChunks(chunks, size) };
}

export async function readBodyLimited(request: Request, maxBytes: number): Promise<BodyRead> {
  const read = await readBytesLimited(request, maxBytes);
  if (!read.ok) return read;
  return decodeUtf8(read.bytes);
}

export function decodeUtf8(bytes: Uint8Array): BodyRead {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'notUtf8' };
  }
}

export type JsonRead = { ok: true; value: unknown } | { ok: false; reason: 'tooLarge' | 'malformed'; detail: string };

/**
 * Content types a JSON body may arrive under: JSON itself, and the types plain HTTP clients send
 * by default (curl -d sends x-www-form-urlencoded), whose body is then read as JSON all the same.
 */
const JSON_BODY_TYPES = /^(?:application\/(?:[\w.+-]+\+)?json|text\/plain|application\/x-www-form-urlencoded)$/i;

export async function readJsonLimited(request: Request, maxBytes: number): Promise<JsonRead> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim();
  if (type && !JSON_BODY_TYPES.test(type)) return { ok: false, reason: 'malformed', detail: `content type '${type.slice(0, 100)}' is not JSON` };
  const body = await readBodyLimited(request, maxBytes);
  if (!body.ok) {
    return body.reason === 'tooLarge'
      ? { ok: false, reason: 'tooLarge', detail: `the body is larger than ${maxBytes} bytes` }
      : { ok: false, reason: 'malformed', detail: 'the body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(body.text.charCodeAt(0) === 0xfeff ? body.text.slice(1) : body.text) };
  } catch {
    return { ok: false, reason: 'malformed', detail: 'the body is not valid JSON' };
  }
}
