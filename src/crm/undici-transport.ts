import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { isIpLiteral, isPrivateAddress } from './network-guard.js';
import { concatChunks } from '../lib/bytes.js';
import {
  CrmTransportError,
  declaredLengthExceeds,
  describeError,
  timedOut,
  tooLarge,
  type CrmTransport,
  type CrmTransportRequest,
  type CrmTransportResponse,
} from './transport.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → addresses, like `dns.lookup(name, { all: true })`; injectable so tests need no DNS. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface UndiciTransportOptions {
  resolve?: Resolver;
  /** Sockets per origin; unset = as many as requests in flight (the connect's maxConcurrency bounds it). */
  connections?: number;
}

export interface UndiciTransport extends CrmTransport {
  close(): Promise<void>;
}

const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The socket's own DNS lookup: resolves, refuses the name if ANY address is private, and hands
 * the socket the very addresses it checked, so a DNS answer that changes between the check and
 * the connect (rebinding) cannot slip a private address in.
 */
function guardedLookup(resolve: Resolver, allowPrivateNetwork: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname)
      .then((found) => {
        if (!allowPrivateNetwork) {
          const bad = found.find((a) => isPrivateAddress(a.address));
          if (bad) {
            throw new CrmTransportError('refused-address', `${hostname} resolves to ${bad.address}, a private address`);
          }
        }
        const usable = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        const first = usable[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          throw err;
        }
        if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, first.address, first.family);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, ''));
  };
}

interface Stop {
  /** what undici listens to for 'abort' (it takes an EventEmitter as well as an AbortSignal) */
  emitter: EventEmitter;
  timedOut: boolean;
  clear(): void;
}

/** Emits 'abort' after `timeoutMs`, or when `cut` aborts first. */
function stopAfter(timeoutMs: number, cut: AbortSignal | undefined): Stop {
  const emitter = new EventEmitter();
  const abort = () => emitter.emit('abort');
  const stop: Stop = {
    emitter,
    timedOut: false,
    clear: () => {
      clearTimeout(timer);
      cut?.removeEventListener('abort', abort);
    },
  };
  const timer = setTimeout(() => {
    stop.timedOut = true;
    abort();
  }, timeoutMs);
  cut?.addEventListener('abort', abort, { once: true });
  return stop;
}

/**
 * The whole body, refused (and the stream destroyed) once it passes `limit` bytes. Listeners, not
 * `for await`: an async iterator costs a generator, a promise per chunk and its own listeners, on
 * every CRM call.
 */
function readLimited(body: Readable, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const fail = (error: unknown) => {
      settled = true;
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        body.destroy();
        fail(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      settled = true;
      resolve(concatChunks(chunks, total));
    });
    body.once('error', fail);
    // A stream destroyed without an error (its socket gone) must not leave the call hanging. The
    // check comes first: 'close' follows every answer, and an Error's stack costs microseconds.
    body.once('close', () => {
      if (!settled) fail(new Error('the answer ended before it was complete'));
    });
  });
}

export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const resolve = options.resolve ?? systemResolver;
  const pools = new Map<string, Pool>();

  const poolFor = (origin: string, allowPrivateNetwork: boolean): Pool => {
    const key = `${allowPrivateNetwork ? 'private' : 'public'} ${origin}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? null,
        connect: { lookup: guardedLookup(resolve, allowPrivateNetwork) },
      });
      pools.set(key, pool);
    }
    return pool;
  };

  const failure = (error: unknown, req: CrmTransportRequest, stop: Stop): CrmTransportError => {
    if (error instanceof CrmTransportError) return error;
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof CrmTransportError) return cause;
    if (stop.timedOut) return timedOut(req.timeoutMs, error);
    if (req.signal?.aborted) return new CrmTransportError('aborted', 'request aborted', { cause: error });
    return new CrmTransportError('network', describeError(error), { cause: error });
  };

  return {
    async send(req: CrmTransportRequest): Promise<CrmTransportResponse> {
      const url = new URL(req.url);
      const allowPrivate = req.allowPrivateNetwork === true;
      // IP literals never reach the lookup above.
      if (!allowPrivate && isIpLiteral(url.hostname) && isPrivateAddress(url.hostname)) {
        throw new CrmTransportError('refused-address', `${url.hostname} is a private address`);
      }
      if (req.signal?.aborted) throw new CrmTransportError('aborted', 'request aborted');
      const stop = stopAfter(req.timeoutMs, req.signal);
      try {
        const res = await poolFor(url.origin, allowPrivate).request({
          path: `${url.pathname}${url.search}`,
          method: req.method as 'GET' | 'POST',
          headers: req.headers,
          body: req.body,
          signal: stop.emitter,
        });
        if (declaredLengthExceeds(res.headers['content-length'], req.maxResponseBytes)) {
          res.body.destroy();
          throw tooLarge(req.maxResponseBytes);
        }
        return { status: res.statusCode, headers: res.headers, body: await readLimited(res.body, req.maxResponseBytes) };
      } catch (error) {
        // our own errors (too large) pass through as they are
        throw failure(error, req, stop);
      } finally {
        stop.clear();
      }
    },

    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}
