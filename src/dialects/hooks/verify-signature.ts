import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_TOLERANCE_SECONDS = 300;

export type Verification = { ok: true } | { ok: false; reason: string };

type Headers = (name: string) => string | undefined;

/** A `whsec_`-prefixed secret is base64 key material (Standard Webhooks); any other is used as its bytes. */
function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkTimestamp(text: string | undefined, nowSeconds: number): Verification | number {
  if (!text || !/^\d{1,12}$/.test(text.trim())) return { ok: false, reason: 'missing or malformed timestamp' };
  const ts = Number(text.trim());
  if (Math.abs(nowSeconds - ts) > TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp outside the ±300 s window' };
  return ts;
}

/**
 * A Standard Webhooks header: `webhook-<name>`, or `svix-<name>` as Svix (the most used sender of
 * such webhooks, and its own libraries) names them; the scheme is the same.
 */
export function standardHeader(header: Headers, name: 'id' | 'timestamp' | 'signature'): string | undefined {
  return header(`webhook-${name}`) ?? header(`svix-${name}`);
}

/**
 * Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64>` entries, each an
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`; any secret (rotation) may match.
 */
function verifyStandard(header: Headers, raw: Uint8Array, secrets: readonly string[], nowSeconds: number): Verification {
  const id = standardHeader(header, 'id');
  const signature = standardHeader(header, 'signature');
  if (!id || !signature) return { ok: false, reason: 'missing webhook-id or webhook-signature header' };
  const ts = checkTimestamp(standardHeader(header, 'timestamp'), nowSeconds);
  if (typeof ts !== 'number') return ts;
  const presented = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = createHmac('sha256', keyOf(secret)).update(`${id}.${ts}.`).update(raw).digest();
    if (presented.some((p) => equal(p, expected))) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}

/**
 * `X-Signature: sha256=<hex>`: HMAC-SHA256 of `<X-Timestamp>.<raw body>` when the sender sends
 * `X-Timestamp` (then the ±300 s window applies), else of the raw body alone (replays are then
 * caught by the event id).
 */
function verifyHmac(header: Headers, raw: Uint8Array, secrets: readonly string[], nowSeconds: number): Verification {
  const signature = header('x-signature')?.trim();
  if (!signature?.startsWith('sha256=')) return { ok: false, reason: 'missing or malformed X-Signature header' };
  const presented = Buffer.from(signature.slice(7), 'hex');
  const timestampHeader = header('x-timestamp');
  let prefix = '';
  if (timestampHeader !== undefined) {
    const ts = checkTimestamp(timestampHeader, nowSeconds);
    if (typeof ts !== 'number') return ts;
    prefix = `${ts}.`;
  }
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(prefix).update(raw).digest();
    if (equal(presented, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}

/** Verifies a webhook on its raw bytes (never a re-serialised body), in constant time per secret. */
export function verifySignature(scheme: 'standard-webhooks' | 'hmac-sha256', header: Headers, raw: Uint8Array, secrets: readonly string[], nowMs: number): Verification {
  const nowSeconds = Math.floor(nowMs / 1000);
  return scheme === 'standard-webhooks' ? verifyStandard(header, raw, secrets, nowSeconds) : verifyHmac(header, raw, secrets, nowSeconds);
}
