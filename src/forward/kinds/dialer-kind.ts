/*
 * How to talk to one kind of dialer (SPEC 10): what to send for a delivery, how the attempt record
 * shows it, and what the answer means. Pure functions: the worker does the I/O, the store keeps
 * the state.
 */
import type { DestinationKind } from '../ports.js';
import { convosoKind } from './convoso.js';
import { httpKind } from './http.js';
import { noojeeKind } from './noojee.js';
import { vicidialKind } from './vicidial.js';
import type { DialerKind } from './kind-types.js';

export type { DialerAnswer, DialerKind, DialerLookup, LookupReading, RedactedDialerRequest } from './kind-types.js';
export { UnsendableDeliveryError } from './kind-types.js';

const KINDS: Record<DestinationKind, DialerKind> = {
  noojee: noojeeKind,
  convoso: convosoKind,
  vicidial: vicidialKind,
  http: httpKind,
};

export function dialerKind(kind: DestinationKind): DialerKind {
  return KINDS[kind];
}
