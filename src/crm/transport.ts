/**
 * How the CRM client reaches the network. Node uses the undici implementation, Workers the
 * platform fetch; tests may pass either against the loopback fake CRM.
 */

export interface CrmTransportRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * No answer (headers and whole body) within this many ms fails the request with `timeout`. The
   * transport keeps the time itself: on Node a timer and an EventEmitter cost a third of an
   * AbortSignal's price per call, and a CRM call is on every checked lead's path.
   */
  timeoutMs: number;
  /** Ends the request early from outside (a shutdown at its bound): fails with `aborted`. */
  signal?: AbortSignal;
  /** The transport stops reading and fails with `too-large` once the body exceeds this. */
  maxResponseBytes: number;
  /** When false (the default) a transport that resolves names itself refuses private addresses. */
  allowPrivateNetwork?: boolean;
}

export interface CrmTransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface CrmTransport {
  send(request: CrmTransportRequest): Promise<CrmTransportResponse>;
  close?(): Promise<void>;
}

export type CrmTransportErrorKind = 'network' | 'too-large' | 'refused-address' | 'timeout' | 'aborted';

/** The only error a transport throws; anything else it meets is wrapped as `network`. */
export class CrmTransportError extends Error {
  constructor(
    readonly kind: CrmTransportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CrmTransportError';
  }
}

export function timedOut(timeoutMs: number, cause?: unknown): CrmTransportError {
  return new CrmTransportError('timeout', `no answer within ${timeoutMs} ms`, { cause });
}

export function tooLarge(limit: number): CrmTransportError {
  return new CrmTransportError('too-large', `answer is larger than maxResponseBytes (${limit})`);
}

/** A declared Content-Length over the cap fails before any of the body is read. */
export function declaredLengthExceeds(value: string | string[] | null | undefined, limit: number): boolean {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^\d+$/.test(text.trim())) return false;
  return Number(text) > limit;
}

/** Text of an error for `detail`: the message plus its cause's code, e.g. `fetch failed (ECONNRESET)`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const code =
    (error as { code?: unknown }).code ??
    (cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined);
  const causeText = cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
  return `${error.message}${causeText}${typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : ''}`;
}
