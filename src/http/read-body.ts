import { concatChunks } from '../lib/bytes.js';

export type BodyRead = { ok: true; text: string } | { ok: false; reason: 'tooLarge' };

/**
 * Reads a request body as text, stopping as soon as it passes `maxBytes`, so an oversized upload
 * is refused without being buffered (a declared Content-Length is refused before reading at all).
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'tooLarge' };
  if (!request.body) return { ok: true, text: '' };
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
  return { ok: true, text: new TextDecoder().decode(concatChunks(chunks, size)) };
}

export type JsonRead = { ok: true; value: unknown } | { ok: false; reason: 'tooLarge' | 'malformed' };

export async function readJsonLimited(request: Request, maxBytes: number): Promise<JsonRead> {
  const body = await readBodyLimited(request, maxBytes);
  if (!body.ok) return body;
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
