import type { LeadFields } from '../leads/scalar.js';

/**
 * The demo dialer's leads, in memory and bounded: the oldest lead is forgotten when a new one
 * would pass `capacity`, so a demo left running for days does not grow without end. It keeps
 * Noojee's two uniqueness rules within a campaign: the external id (112) and, unless the caller
 * allows duplicates, the phone numbers (105).
 *
 * Phones are compared by their last 9 digits, so the national `0412 345 678` and the E.164
 * `+61412345678` are one number. That is enough for the demo (its country is AU, whose national
 * numbers have 9 digits after the trunk 0); a real dialer reads them with its template's country
 * rules, as leadgate does with libphonenumber.
 */

export interface DialerLead {
  leadId: string;
  externalId: string | null;
  templateId: number;
  campaignId: number;
  allocationId: number | null;
  /** the phone fields' values, digits only, in field order */
  phones: string[];
  fields: LeadFields;
  disposition: string | null;
  receivedAt: string;
  updatedAt: string | null;
}

export interface NewDialerLead {
  externalId: string | null;
  templateId: number;
  campaignId: number;
  allocationId: number;
  phones: string[];
  fields: LeadFields;
}

export type TableInsert = { code: 0; leadId: string } | { code: 105 | 112; detail: string };

/** The key two phones are the same number by (see above). */
export const phoneKey = (digits: string): string => digits.slice(-9);

/** Dialer lead ids start here so that they do not read like leadgate's own lead ids. */
const FIRST_LEAD_ID = 1001;

export class DialerTable {
  /** insertion order is age order: the first entry is the oldest */
  private readonly leads = new Map<string, DialerLead>();
  /** `campaign:externalId` → lead id */
  private readonly byExternalId = new Map<string, string>();
  /** `campaign:phoneKey` → lead ids (several when duplicates were allowed or an update moved a phone) */
  private readonly byPhone = new Map<string, Set<string>>();
  private nextId = FIRST_LEAD_ID;

  constructor(
    private readonly capacity: number,
    private readonly now: () => Date,
  ) {}

  get size(): number {
    return this.leads.size;
  }

  findByExternalId(campaignId: number, externalId: string): DialerLead | undefined {
    const leadId = this.byExternalId.get(`${campaignId}:${externalId}`);
    return leadId === undefined ? undefined : this.leads.get(leadId);
  }

  insert(lead: NewDialerLead, allowDuplicates: boolean): TableInsert {
    if (lead.externalId !== null && this.findByExternalId(lead.campaignId, lead.externalId)) {
      return { code: 112, detail: `njExternalLeadId '${lead.externalId}' already belongs to a lead of campaign ${lead.campaignId}` };
    }
    if (!allowDuplicates) {
      const taken = lead.phones.find((digits) => (this.byPhone.get(`${lead.campaignId}:${phoneKey(digits)}`)?.size ?? 0) > 0);
      if (taken !== undefined) return { code: 105, detail: `a lead of campaign ${lead.campaignId} already has the phone number ${taken}` };
    }
    const stored: DialerLead = { ...lead, leadId: String(this.nextId++), disposition: null, receivedAt: this.now().toISOString(), updatedAt: null };
    this.leads.set(stored.leadId, stored);
    if (stored.externalId !== null) this.byExternalId.set(`${stored.campaignId}:${stored.externalId}`, stored.leadId);
    this.indexPhones(stored, 'add');
    this.forgetOldest();
    return { code: 0, leadId: stored.leadId };
  }

  /** Replaces a lead's fields, phones and disposition (the caller has applied `<No Change>`); phones are not de-duplicated (seed 001). */
  update(lead: DialerLead, change: { fields: LeadFields; phones: string[]; disposition: string }): void {
    this.indexPhones(lead, 'remove');
    lead.fields = change.fields;
    lead.phones = change.phones;
    lead.disposition = change.disposition;
    lead.updatedAt = this.now().toISOString();
    this.indexPhones(lead, 'add');
  }

  /** The newest `limit` leads, newest first. */
  newest(limit: number): DialerLead[] {
    const all = [...this.leads.values()];
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }

  private indexPhones(lead: DialerLead, how: 'add' | 'remove'): void {
    for (const digits of lead.phones) {
      const key = `${lead.campaignId}:${phoneKey(digits)}`;
      const ids = this.byPhone.get(key) ?? new Set<string>();
      if (how === 'add') ids.add(lead.leadId);
      else ids.delete(lead.leadId);
      if (ids.size > 0) this.byPhone.set(key, ids);
      else this.byPhone.delete(key);
    }
  }

  private forgetOldest(): void {
    while (this.leads.size > this.capacity) {
      const oldest = this.leads.values().next().value as DialerLead;
      this.leads.delete(oldest.leadId);
      this.indexPhones(oldest, 'remove');
      const externalKey = `${oldest.campaignId}:${oldest.externalId}`;
      if (oldest.externalId !== null && this.byExternalId.get(externalKey) === oldest.leadId) this.byExternalId.delete(externalKey);
    }
  }
}
