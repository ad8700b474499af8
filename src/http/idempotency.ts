import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { readBodyLimited } from './read-body.js';

/** A stored first answer, replayed byte for byte. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `token` names this claim: only its holder may answer or release the key. */
export type Claim = { kind: 'claimed'; token: string } | { kind: 'pending'; requestHash: string } | { kind: 'answered'; requestHash: string; answer: StoredAnswer };

export interface IdempotencyStore {
  /**
   * Takes the key for this request for the store's lease, or reports who has it. An expired
   * answer, and a claim still unanswered when its lease ended (its process died), are taken over.
   */
  claim(key: string, requestHash: string): Promise<Claim>;
  /** Keeps the final answer for ttlMs; does nothing when the claim was taken over in the meantime. */
  complete(key: string, token: string, answer: StoredAnswer, ttlMs: number): Promise<void>;
  /** Gives a claimed key back when the answer is not final (a retry must do the work). */
  release(key: string, token: string): Promise<void>;
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** query parameters that carry credentials: part of the key's scope, never of the stored hash input */
  credentialParams: readonly string[];
  maxBodyBytes: number;
  ttlMs?: number;
  /** how long a copy waits for the first one to finish before answering "still in progress" */
  waitMs?: number;
  pollMs?: number;
  /** the methods that write; default POST (Convoso's clients also write with GET) */
  methods?: readonly string[];
  /** renders the dialect's answer for a key reused with another request (208), or one still in progress (109) */
  reject: (c: Context, reason: 'reused' | 'inProgress') => Response | Promise<Response>;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const REPLAYED_HEADERS = ['content-type', 'retry-after'];

/** Answers a retry should redo (5xx, 401/403, anything with Retry-After such as 109) are not kept. */
export function isFinalAnswer(res: Response): boolean {
  return res.status < 500 && res.status !== 401 && res.status !== 403 && !res.headers.has('retry-after');
}

/**
 * Runs `work` once per key: the first caller does it and its final answer is stored; a repeat of
 * the same request gets the stored answer (a fresh Response, byte for byte), a different request
 * under the same key gets 'reused', and a repeat that outwaits an unfinished first gets 'inProgress'.
 * A first that never finishes (its process died) holds the key only for the store's lease; the
 * repeat that comes after it, or is still waiting when it ends, does the work.
 */
export async function onceByKey(
  options: { store: IdempotencyStore; ttlMs: number; waitMs: number; pollMs: number },
  key: string,
  requestHash: string,
  work: () => Promise<Response>,
): Promise<Response | 'reused' | 'inProgress'> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const claim = await options.store.claim(key, requestHash);
    if (claim.kind !== 'claimed') {
      if (claim.requestHash !== requestHash) return 'reused';
      if (claim.kind === 'answered') {
        const { status, headers, body } = claim.answer;
        return new Response(body, { status, headers: { ...headers, 'idempotent-replayed': 'true' } });
      }
      if (Date.now() > deadline) return 'inProgress';
      await new Promise((r) => setTimeout(r, options.pollMs));
      continue;
    }
    let res: Response;
    try {
      res = await work();
    } catch (error) {
      await options.store.release(key, claim.token);
      throw error;
    }
    if (!isFinalAnswer(res)) {
      await options.store.release(key, claim.token);
      return res;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    await options.store.complete(key, claim.token, { status: res.status, headers, body: await res.clone().text() }, options.ttlMs);
    return res;
  }
}

/**
 * `Idempotency-Key` on write endpoints (SPEC 6): the first request with a key does the work and
 * its final answer is kept (24 h); a repeat with the same request gets that answer byte for byte,
 * status included, without doing the work again, also when both arrive at once. Answers a retry
 * should redo (5xx, 401/403, anything with Retry-After such as 109) are not kept.
 */
export function idempotency(options: IdempotencyOptions): MiddlewareHandler {
  const ttlMs = options.ttlMs ?? 24 * 3_600_000;
  const waitMs = options.waitMs ?? 65_000;
  const pollMs = options.pollMs ?? 50;

  return async (c, next) => {
    const header = c.req.header('idempotency-key')?.trim();
    if (!header || !(options.methods ?? ['POST']).includes(c.req.method)) return next();
    // read once per request: the handler gets the same bytes again (read-body.ts)
    const body = await readBodyLimited(c.req.raw, options.maxBodyBytes);
    // An oversized body is refused by the handler anyway; there is nothing worth remembering.
    if (!body.ok && body.reason === 'tooLarge') return next();

    const url = new URL(c.req.url);
    const credentials = options.credentialParams.map((p) => url.searchParams.get(p) ?? '').join('\u0000');
    const key = `${sha256(credentials)}:${sha256(header)}`;
    for (const p of options.credentialParams) url.searchParams.delete(p);
    url.searchParams.sort();
    const requestHash = sha256(`${c.req.method} ${url.pathname}?${url.searchParams}\n${body.ok ? body.text : ''}`);

    const answer = await onceByKey({ store: options.store, ttlMs, waitMs, pollMs }, key, requestHash, async () => {
      await next();
      return c.res;
    });
    if (answer === 'reused' || answer === 'inProgress') return options.reject(c, answer);
    if (answer !== c.res) return answer;
  };
}
