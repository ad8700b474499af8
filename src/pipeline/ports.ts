import type { KeyClaim } from '../leads/match-keys.js';
import type { LeadFields } from '../leads/scalar.js';
import type { Template } from '../ruleset/dialer.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { ForwardTarget, UpdatePayload } from '../forward/ports.js';

/** A validated lead ready to be written: phones already E.164, dates already instants. */
export interface NewLead {
  templateId: number;
  campaignId: number;
  allocationId: number;
  externalId: string | null;
  status: string | null;
  callbackAt: Date | null;
  priority: number;
  contactHours: string;
  fields: LeadFields;
  /** distinct E.164 numbers, in phone-field order */
  phones: string[];
  /**
   * The phone key's scope: a phone already claimed there makes this lead a duplicate; 'none'
   * skips the check. The lead's phones are claimed in all three scopes whatever this says, so
   * that a later lead can be checked in any of them (Convoso's check_dup).
   */
  dedupe: DedupeScope;
  /** only claims of leads created in the last this many days count (SPEC 3.1); absent or null: forever */
  windowDays?: number | null;
  /** the match keys other than the phone (SPEC 3.1 `on`): claimed in `scope`, checked when `check` */
  keys?: LeadKeyClaims;
  /** when the lead was created; absent: the store's clock */
  createdAt?: Date;
  /** the duplicate-check decided to put the lead's phones on the (global) DNC list */
  addToDnc?: { reason: string | null };
  /** the duplicate-check evaluation to record with the lead, in the same transaction */
  decision?: DecisionRecord;
  /** deliveries to the dialer, written in the statement that creates the lead (SPEC 10.2) */
  forward?: readonly ForwardTarget[];
}

/** A lead's claims for the match keys other than the phone, and where they are checked. */
export interface LeadKeyClaims {
  scope: Exclude<DedupeScope, 'none'>;
  /** false: the claims are registered, not checked (allowDuplicates) */
  check: boolean;
  /** in the order of the template's `on` */
  claims: KeyClaim[];
}

/** One evaluation of the duplicate-check table (SPEC 3.3), as stored for audit and the admin API. */
export interface DecisionRecord {
  entryPoint: string;
  connect: string;
  /** the request sent, secrets redacted */
  request: unknown;
  crmStatus: number | null;
  latencyMs: number;
  /** the CRM's answer, truncated */
  answer: string | null;
  matchedRow: number | null;
  values: unknown[] | null;
  /** the decision the table (or onError) took */
  decision: Record<string, unknown>;
}

/** What became of a decided lead, written into its decision record. */
export type DecisionOutcome = 'created' | 'skipped' | 'rejected' | 'dnc' | 'duplicate_external_id' | 'duplicate_phone' | 'duplicate_key' | 'rechecked';

/** The decision outcome an insert's result is recorded under. */
export function insertDecisionOutcome(outcome: InsertOutcome): DecisionOutcome {
  switch (outcome.kind) {
    case 'inserted':
      return 'created';
    case 'dnc':
      return 'dnc';
    case 'duplicateExternalId':
      return 'duplicate_external_id';
    case 'duplicate':
      return outcome.matchedOn === 'phone' ? 'duplicate_phone' : 'duplicate_key';
  }
}

/** A decision that creates no lead: recorded, and its DNC additions applied, in one transaction. */
export interface DecisionWithoutLead {
  phones: string[];
  outcome: Extract<DecisionOutcome, 'skipped' | 'rejected'>;
  addToDnc?: { reason: string | null };
  decision: DecisionRecord;
}

/** Read-only verdict before the CRM is asked; the write re-checks it race-free. */
export type Precheck = Exclude<InsertOutcome, { kind: 'inserted' }> | null;

/** A duplicate: the match key that matched (`phone`, `email`, `firstName+lastName+phone`) and the lead holding it. */
export interface Duplicate {
  kind: 'duplicate';
  matchedOn: string;
  /** null when the holder could not be read (it let go of the claim in the meantime) */
  matchedLeadId: string | null;
}

export type InsertOutcome = { kind: 'inserted'; leadId: string } | { kind: 'dnc' } | { kind: 'duplicateExternalId' } | Duplicate;

/**
 * The lead store as the pipeline sees it. Implementations enforce DNC, external-id and phone
 * uniqueness inside the database, so concurrent callers can never create two leads for one phone.
 */
export interface LeadStore {
  /**
   * Writes leads in order with "one after the other" semantics: a lead that repeats a phone or
   * external id of an earlier lead of the same call is a duplicate of it. Leads are independent:
   * one lead's failure never undoes another's insert.
   */
  insertLeads(leads: readonly NewLead[]): Promise<InsertOutcome[]>;
  /** DNC, external-id and match-key checks as the write would make them now, in that order; writes nothing. */
  precheckLeads(leads: readonly NewLead[]): Promise<Precheck[]>;
  recordDecisions(entries: readonly DecisionWithoutLead[]): Promise<void>;
  /** The live lead of a campaign holding this external id (reallocated leads have handed it on). */
  findLeadByExternalId(campaignId: number, externalId: string): Promise<StoredLead | null>;
  /**
   * Applies an update if the lead is still at `expectedVersion` (optimistic concurrency), with its
   * call record, DNC additions, outbox entries and reallocation copy, all in one transaction.
   */
  updateLead(update: LeadUpdate): Promise<UpdateOutcome>;
  findLeadById(id: string): Promise<StoredLead | null>;
  /** The lead that holds one of these phones in the scope a new lead of `target` would be checked in. */
  findLeadByPhone(phones: readonly string[], scope: Exclude<DedupeScope, 'none'>, target: { campaignId: number; allocationId: number }): Promise<string | null>;
  /** A workflow re-check of an existing lead: its new status, DNC additions and the decision record, together. */
  applyRecheck(recheck: { leadId: string; phones: string[]; status?: string; addToDnc?: { reason: string | null }; decision: DecisionRecord }): Promise<void>;
  searchLeads(query: LeadQuery): Promise<{ total: number; entries: Array<StoredLead & { createdAt: Date; updatedAt: Date }> }>;
  /**
   * Closes an active lead (Convoso's delete): state `closed`, and its phones stop counting for
   * de-duplication. False when no active lead has this id.
   */
  closeLead(leadId: string, source: string, status?: string): Promise<boolean>;
  /** A closed lead holding one of these phones in the scope (Convoso's check_dup 4 and check_dup_archive); read-only. */
  findClosedLeadByPhone(phones: readonly string[], scope: Exclude<DedupeScope, 'none'>, target: { campaignId: number; allocationId: number }): Promise<string | null>;
  /** adds entries that are not there yet; answers how many were new */
  addDnc(entries: readonly DncEntry[]): Promise<number>;
  /** adds one entry and answers its id; null when the number is already on that list */
  insertDnc(entry: DncEntry): Promise<string | null>;
  /** changes the entry with this id; `clash` when the change would duplicate another entry */
  updateDnc(id: string, change: DncChange): Promise<'updated' | 'notFound' | 'clash'>;
  findDnc(query: DncQuery): Promise<{ total: number; entries: Array<DncEntry & { id: string; createdAt: Date }> }>;
  /** answers how many entries were removed */
  removeDnc(e164: string, campaignId: number): Promise<number>;
  /** Cheap round trip that proves the store answers (readiness). */
  ping(): Promise<void>;
  /**
   * The templates of the rules in use: a rules change that asks for claims existing leads do not
   * have yet (a match key added) starts building them in the background. Cheap to call on every
   * operation: the store acts once per rule set.
   */
  noteRules?(templates: ReadonlyMap<number, Template>): void;
}

/** The store could not be reached (connection refused, lost, server restarting). Retryable. */
export class StoreUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`lead store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreUnavailableError';
  }
}

export type LeadState = 'active' | 'closed' | 'reallocated';

/** A lead as stored, read before an update. */
export interface StoredLead {
  id: string;
  templateId: number;
  campaignId: number;
  allocationId: number;
  externalId: string | null;
  status: string | null;
  disposition: string | null;
  callbackAt: Date | null;
  priority: number;
  contactHours: string;
  fields: LeadFields;
  phones: string[];
  state: LeadState;
  version: number;
}

export interface FieldChange {
  old: unknown;
  new: unknown;
}

/** One update of a lead: its new values, and what the disposition's actions add. */
export interface LeadUpdate {
  leadId: string;
  expectedVersion: number;
  fields: LeadFields;
  phones: string[];
  disposition: string | null;
  callbackAt: Date | null;
  priority: number;
  contactHours: string;
  state: Exclude<LeadState, 'reallocated'>;
  /** a new status (Convoso's update); absent keeps the lead's */
  status?: string | null;
  /** moves the lead to this allocation of its campaign (Convoso's list_id); absent keeps it */
  allocationId?: number;
  callRecord: { disposition: string | null; changes: Record<string, FieldChange>; source: string };
  /** the `dnc` action: the lead's phones join the global DNC list */
  addToDnc?: { reason: string; source: string };
  /** `webhook` actions: durable outbox entries, delivered after commit */
  webhooks: Array<{ connect: string; payload: Record<string, unknown> }>;
  /**
   * The lead's match-key claims as its new fields make them: claims it no longer makes are
   * dropped, new ones registered, never de-duplicated (as a changed phone). Absent: unchanged.
   */
  keys?: Omit<LeadKeyClaims, 'check'>;
  /** REALLOCATE: mark the lead reallocated and copy it, as a fresh lead, into this allocation */
  reallocateTo?: { allocationId: number; callbackAt: Date | null };
  /**
   * Forward the update to these destinations, each one only where the lead's insert was forwarded
   * there (SPEC 10.2 point 5); queued in the update's transaction.
   */
  forward?: { destinations: readonly string[]; payload: UpdatePayload };
}

export type UpdateOutcome = { kind: 'updated'; leadId: string } | { kind: 'conflict' };

/** A Do-Not-Call entry; campaign 0 is the global list. */
export interface DncEntry {
  e164: string;
  campaignId: number;
  reason: string | null;
  source: string;
  purpose?: string | null;
}

/** Given fields replace the entry's; null clears reason or purpose. */
export interface DncChange {
  e164?: string;
  campaignId?: number;
  reason?: string | null;
  purpose?: string | null;
}

export interface DncQuery {
  id?: string;
  e164?: string;
  campaignId?: number;
  /** `blank` / `notBlank`, or the reason itself */
  reason?: { blank: boolean } | string;
  purpose?: string;
  /** entries inserted in [from, to) */
  insertedFrom?: Date;
  insertedTo?: Date;
  offset: number;
  limit: number;
}

export interface LeadQuery {
  leadId?: string;
  e164?: string;
  allocationId?: number;
  campaignId?: number;
  status?: string;
  /** only leads in this state */
  state?: LeadState;
  /** lead fields that must equal these values (trimmed, case-insensitive) */
  fields?: Record<string, string>;
  /** lead fields that must hold one of these texts (phones stored in either form) */
  fieldsAnyOf?: Record<string, string[]>;
  /** [from, to): half-open, so a caller's inclusive end day is the next day's start */
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  offset: number;
  limit: number;
}
