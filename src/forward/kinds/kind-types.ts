/* The shape every dialer kind has (dialer-kind.ts picks one by name). */
import type { AttemptResult, ClaimedDelivery, CompiledDestination, DialerRequest, ForwardEvent } from '../ports.js';

/** The dialer's HTTP answer as the worker received it. */
export interface DialerAnswer {
  status: number;
  /** header names in any case */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
  /**
   * The body with the destination's secrets redacted, for the attempt record (a dialer may echo
   * what it was sent: VICIdial's failed login repeats the pass); absent: the body is shown as is.
   * Redacted before it is cut to size, so a secret at the cut cannot leave a piece behind.
   */
  shown?: string;
  /** when the answer came (epoch ms): a Retry-After given as an HTTP date is counted from here */
  receivedAtMs: number;
}

/** A request as the attempt record keeps it: every credential and secret replaced by `[REDACTED]`. */
export interface RedactedDialerRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** a JSON body parsed, a form body as an object of its fields, any other text as text */
  body?: unknown;
}

export type LookupReading =
  | { found: true; dialerLeadId: string | null }
  | { found: false }
  | { failed: AttemptResult };

/** Before re-sending an insert whose last outcome was unknown: is the lead at the dialer already? (SPEC 10.2 point 4) */
export interface DialerLookup {
  request(destination: CompiledDestination, delivery: ClaimedDelivery): DialerRequest;
  read(destination: CompiledDestination, delivery: ClaimedDelivery, answer: DialerAnswer): LookupReading;
}

export interface DialerKind {
  /** Most deliveries of one event and route that may go in one call (noojee inserts: `batch`; else 1). */
  batchSize(destination: CompiledDestination, event: ForwardEvent): number;
  /**
   * One call for these deliveries of one destination, event and route (several only where
   * batchSize allows). Throws UnsendableDeliveryError when the dialer has no way to take it.
   */
  request(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[]): DialerRequest;
  redact(destination: CompiledDestination, request: DialerRequest): RedactedDialerRequest;
  /** One AttemptResult per delivery, in order (SPEC 10.2 outcome table). */
  read(destination: CompiledDestination, deliveries: readonly ClaimedDelivery[], answer: DialerAnswer): AttemptResult[];
  /** convoso only */
  lookup?: DialerLookup;
}

/**
 * The delivery cannot be put to this dialer at all (noojee has no DNC call; a convoso update
 * needs the dialer's lead id; an insert needs its lead): the worker records it as dead.
 */
export class UnsendableDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsendableDeliveryError';
  }
}
