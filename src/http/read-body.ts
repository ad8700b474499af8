import type { Context, Env, MiddlewareHandler } from 'hono';
import { concatChunks } from '../lib/bytes.js';

export type BodyRead = { ok: true; text: string } | { ok: false; reason: 'tooLarge' | 'notUtf8' };

export type BytesRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'tooLarge' };

/**
 * A request body as the HTTP server itself holds it: on Node, @hono/node-server's IncomingMessage.
 * Reading it directly skips building the web Request and its ReadableStream, which costs about
 * 80 µs of CPU a request, a fifth of a whole insert (bench/experiments/body-read.ts).
 */
export interface ServerBodyStream {
  readonly readableEnded: boolean;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  off(event: 'end' | 'close', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
}

const serverStreams = new WeakMap<Request, ServerBodyStream>();
/** every body is read once; the idempotency middleware and the handler share the read */
const reads = new WeakMap<Request, Promise<BytesRead>>();

/** Middleware: lets the readers below take each request's body from the server's own stream. */
export function serverBodyStreams<E extends Env>(streamOf: (c: Context<E>) => ServerBodyStream | undefined): MiddlewareHandler<E> {
  return async (c, next) => {
    const stream = streamOf(c);
    if (stream) serverStreams.set(c.req.raw, stream);
    await next();
  };
}

/**
 * The raw body bytes, read no further than `maxBytes` (webhook signatures are checked on these),
 * so an oversized upload is refused without being buffered (a declared Content-Length is refused
 * before reading at all). A request's body is read once: later calls get the same bytes.
 */
export function readBytesLimited(request: Request, maxBytes: number): Promise<BytesRead> {
  let read = reads.get(request);
  if (!read) {
    read = readFresh(request, maxBytes);
    reads.set(request, read);
  }
  return read.then((r) => (r.ok && r.bytes.byteLength > maxBytes ? { ok: false, reason: 'tooLarge' } : r));
}

async function readFresh(request: Request, maxBytes: number): Promise<BytesRead> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'tooLarge' };
  const stream = serverStreams.get(request);
  if (stream) return readServerStream(stream, maxBytes);
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

/**
 * Past the limit it stops listening and pauses the stream rather than destroying it: the server
 * drains what is left after the answer is sent, so the client still hears 203 / 413.
 */
function readServerStream(stream: ServerBodyStream, maxBytes: number): Promise<BytesRead> {
  if (stream.readableEnded) return Promise.resolve({ ok: true, bytes: new Uint8Array(0) });
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      stop();
      stream.pause();
      resolve({ ok: false, reason: 'tooLarge' });
    };
    const onEnd = () => {
      stop();
      resolve({ ok: true, bytes: concatChunks(chunks, size) });
    };
    const onClose = () => {
      stop();
      reject(new Error('the client closed the connection before the request body ended'));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('error', onError);
  });
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
