/*
 * Forwarding accepted leads to the client's dialer (SPEC 10): the types the rules, the store, the
 * dialer kinds and the delivery worker share. Nothing here knows HTTP or SQL.
 */

export type DestinationKind = 'noojee' | 'convoso' | 'vicidial' | 'http';
export type ForwardEvent = 'insert' | 'update' | 'dnc';
export type DeliveryState = 'queued' | 'delivered' | 'refused' | 'dead';
/** How one attempt ended (SPEC 10.3): `unknown` is a network error or timeout, the dialer may have acted. */
export type AttemptOutcome = 'delivered' | 'refused' | 'retry' | 'dead' | 'unknown';

/** Which leads a route takes: every id given must equal the lead's. */
export interface RouteMatch {
  templateId?: number;
  campaignId?: number;
  allocationId?: number;
}

export interface DestinationRoute {
  match: RouteMatch;
  /** the dialer's ids, per kind (SPEC 10.1): noojee templateId/campaignId/allocationId; convoso listId; vicidial listId, campaignId? */
  to: Readonly<Record<string, number | string>>;
}

export interface DestinationAdaptorRow {
  field: string;
  mappedTo: string;
}

/** A `success` row of kind http: a row of the duplicate-check table's shape, compiled. */
export interface HttpAnswerReading {
  /** whether a 2xx answer's JSON says success */
  succeeded(answer: unknown): boolean;
  /** the dialer's lead id in the answer, if it holds one */
  leadId(answer: unknown): string | null;
}

export interface CompiledDestination {
  name: string;
  file: string;
  kind: DestinationKind;
  /** base URL without a trailing slash (http: the full URL) */
  url: string;
  /** resolved values, secrets included: never logged, never stored; noojee apiKey; convoso authToken; vicidial user, pass, source */
  credentials: Readonly<Record<string, string>>;
  /** kind http: headers sent with every call (resolved) */
  headers: Readonly<Record<string, string>>;
  routes: readonly DestinationRoute[];
  forward: ReadonlySet<ForwardEvent>;
  mode: 'queue' | 'sync';
  syncTimeoutMs: number;
  timeoutMs: number;
  maxConcurrency: number;
  /** 0: no limit */
  ratePerSecond: number;
  /** noojee: most leads in one insertLeadsFast call (1: insertLeadFast per lead) */
  batch: number;
  retry: { firstDelayMs: number; maxDelayMs: number; maxAttempts: number };
  allowPrivateNetwork: boolean;
  adaptor: readonly DestinationAdaptorRow[];
  /** kind http only */
  http?: HttpAnswerReading;
  circuit: { failureThreshold: number; openMs: number };
  /** every resolved `${env:NAME}` value and credential, longest first, for redaction */
  secrets: readonly string[];
}

/** A delivery to write with a new lead, in the statement that writes it (SPEC 10.2 point 1). */
export interface ForwardTarget {
  destination: string;
  /** the matched route's `to`, kept with the delivery so a rules edit does not move queued work */
  to: Readonly<Record<string, number | string>>;
}

/** What the dialer is sent about a lead; the lead's own row is read at delivery time for inserts. */
export interface DeliveryLead {
  id: string;
  templateId: number;
  campaignId: number;
  allocationId: number;
  externalId: string | null;
  status: string | null;
  callbackAt: Date | null;
  priority: number;
  fields: Readonly<Record<string, unknown>>;
  phones: readonly string[];
  /** the template's phone fields, in order; absent: the kinds find them by their values (fields whose number is one of `phones`) */
  phoneFields?: readonly string[];
  /** the template's country (ISO 3166 alpha-2), whose numbers go to a Noojee dialer in national form; absent: the first phone's */
  country?: string;
  /** the lead's contact-hours time zone (IANA), for wall-clock dates such as Noojee's njCallBackDate; absent: UTC */
  timeZone?: string;
  /** the name of the lead's contact hours, as stored (the worker finds its time zone in the rules) */
  contactHours?: string;
}

/** An update's change as queued: the new values of what changed. */
export interface UpdatePayload {
  fields: Readonly<Record<string, unknown>>;
  status?: string | null;
  disposition?: string | null;
  callbackAt?: string | null;
  allocationId?: number;
  /** njPriority, when the update changed it */
  priority?: number;
}

/** A DNC addition as queued. */
export interface DncPayload {
  e164: string;
  campaignId: number;
  reason: string | null;
}

/** One claimed delivery, ready to send. */
export interface ClaimedDelivery {
  id: string;
  destination: string;
  event: ForwardEvent;
  to: Readonly<Record<string, number | string>>;
  /** attempts made before this one */
  attemptCount: number;
  /** the last attempt's outcome was unknown: the dialer may already hold the lead (SPEC 10.2 point 4) */
  uncertain: boolean;
  /** the dialer's lead id from the lead's delivered insert (for updates) */
  dialerLeadId: string | null;
  lead: DeliveryLead | null;
  update?: UpdatePayload;
  dnc?: DncPayload;
}

/** The HTTP request a kind builds; `redacted` is what the attempt record keeps. */
export interface DialerRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What an attempt came to, for one delivery. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  /** HTTP status, null when none came */
  status: number | null;
  /** the answer (truncated), or the network error */
  answer: string;
  dialerLeadId?: string | null;
  /** from Retry-After, in ms */
  retryAfterMs?: number;
  /** the dialer's own refusal, for sync mode's answer (noojee code, convoso code) */
  dialerCode?: number | string;
}

/** One call to make: the deliveries it carries (one, or a noojee batch of one route) and when it may start. */
export interface ClaimedCall {
  /** the claim's token: settling checks it, so a call whose lease ran out cannot overwrite a newer claim */
  token: string;
  deliveries: ClaimedDelivery[];
  /** ratePerSecond pacing: do not start before this (epoch ms) */
  startAt: number;
}

export interface ClaimLimits {
  maxConcurrency: number;
  ratePerSecond: number;
  batch: number;
  /** how long a claimed call holds its slot if its process dies (longer than any attempt) */
  leaseMs: number;
  /** ratePerSecond: calls may be claimed this far ahead of their start */
  horizonMs: number;
}

/** An attempt's result as the store records it, and the delivery's next state. */
export interface DeliverySettlement {
  id: string;
  state: DeliveryState;
  outcome: AttemptOutcome;
  status: number | null;
  answer: string;
  dialerLeadId: string | null;
  /** state queued: due again after this many ms */
  retryInMs: number;
  /** the dialer may hold the lead: the next attempt must not assume it does not (SPEC 10.2 point 4) */
  uncertain: boolean;
  /** the request as sent, secrets redacted */
  request: unknown;
  latencyMs: number;
}

/** A destination that forwards DNC additions, and which entries it takes. */
export interface DncForwarding {
  destination: string;
  to: Readonly<Record<string, number | string>>;
  /** campaign entries of these campaigns (global entries always); null: every campaign */
  campaignIds: readonly number[] | null;
}

/** The delivery queue as the worker sees it (SQL in src/store/delivery-store.ts). */
export interface DeliveryStore {
  /** Claims due calls of one destination, keeping its limits across every process on the database. */
  claim(destination: string, limits: ClaimLimits): Promise<ClaimedCall[]>;
  /** The insert delivery of this lead to this destination, claimed now if a slot is free (sync mode). */
  claimInsert(leadId: string, destination: string, limits: ClaimLimits): Promise<ClaimedCall | 'busy' | 'none'>;
  /**
   * Settles the deliveries `token` still holds and records every attempt (a late settle, after the
   * lease ran out, changes no delivery but its attempt did happen). `retried`: an earlier settle of
   * this claim failed and may have committed unseen, so attempts are recorded only for the rows
   * this settle still settles, never twice.
   */
  settle(token: string, results: readonly DeliverySettlement[], retried?: boolean): Promise<void>;
  /**
   * A new start (epoch ms) for a paced call whose claimed start went by while its process was busy:
   * the destination's next free slot at `ratePerSecond`, taken from the pacing every process shares.
   */
  reserveStart(destination: string, ratePerSecond: number): Promise<number>;
  /** Splits DNC additions into deliveries for the destinations forwarding them; answers how many were split. */
  expandDnc(targets: readonly DncForwarding[]): Promise<number>;
  /** Gives a claimed call's slot back unattempted (shutdown before it started). */
  release(token: string): Promise<void>;
}
