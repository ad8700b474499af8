import type { LeadFields } from '../leads/scalar.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';

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
  /** the scope in which a phone already taken makes this lead a duplicate; 'none' skips the check */
  dedupe: DedupeScope;
}

export type InsertOutcome =
  | { kind: 'inserted'; leadId: string }
  | { kind: 'dnc' }
  | { kind: 'duplicateExternalId' }
  | { kind: 'duplicatePhone' };

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
  /** Cheap round trip that proves the store answers (readiness). */
  ping(): Promise<void>;
}
