import { digits } from './server.js';

/**
 * The fake Noojee dialer's own lead table and the per-lead checks of insertLeadFast and
 * updateLeadFast, from the vendor documents only:
 * - seed 002 (insertLeadsFast) and 003 (InsertLeadFast): 102 no phone fields, 104 DNC, 105 a lead
 *   with this phone number already exists (skipped when `allowDuplicates` is true), 108 `<NO CHANGE>`
 *   in an insert, 111 unknown Contact Hours, 112 njExternalLeadId already exists in the Campaign,
 *   114 bad callback date.
 * - seed 001 (UpdateLeadFast): njDisposition (106 unknown, 107 omitted or `<No Change>` while the
 *   lead has none), at least one phone field even if only `<No Change>` (102), njCallBackDate
 *   "yyyy/MM/dd HH:mm", fields given as `<No Change>` keep their value; seed 000: a modified phone
 *   is NOT de-duplicated; 101 when njExternalLeadId matches no lead.
 * Decided here, the documents being silent:
 * - the order of the checks (108, 102, 114, 111, 104, 112, 105 on insert; 101, 102, 107/106, 114,
 *   111 on update): one order, so a test gets one answer;
 * - phones compare by their digits; the duplicate scope is the campaign (as 112's is);
 * - `<No Change>` is matched case-insensitively and trimmed (the seeds spell it `<No Change>` and
 *   `<NO CHANGE>`); njCallBackDate also accepts seconds (seed 000's example data has them);
 * - njPriority is stored, not validated (no code exists for a bad one).
 */

export interface NoojeeLead {
  leadId: string;
  templateId: number;
  campaignId: number;
  allocationId: number;
  externalId: string | undefined;
  disposition: string | undefined;
  /** Every field of the lead as last written (values as strings), nj* fields included */
  fields: Record<string, string>;
  /** How many updateLeadFast calls changed it */
  updates: number;
}

export interface LeadRules {
  phoneFields: readonly string[];
  dispositions: readonly string[];
  contactHours: readonly string[];
}

export interface Target {
  templateId: number;
  campaignId: number;
  allocationId: number;
  allowDuplicates: boolean;
}

export type Outcome = { code: number; leadId?: string };

const NO_CHANGE = /^\s*<no change>\s*$/i;
const CALLBACK_DATE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/;

export function asFields(raw: unknown): Record<string, string> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    fields[key] = value === null || value === undefined ? '' : String(value);
  }
  return fields;
}

export class NoojeeLeadTable {
  readonly leads: NoojeeLead[] = [];
  readonly dnc = new Set<string>();
  private nextLeadId = 1001;

  constructor(private readonly rules: LeadRules) {}

  insert(fields: Record<string, string>, target: Target): Outcome {
    if (Object.values(fields).some((value) => NO_CHANGE.test(value))) return { code: 108 };
    const phones = this.phonesOf(fields);
    if (phones.length === 0) return { code: 102 };
    const common = this.checkCommonFields(fields);
    if (common) return { code: common };
    if (phones.some((phone) => this.dnc.has(phone))) return { code: 104 };
    const externalId = fields.njExternalLeadId?.trim() || undefined;
    const inCampaign = this.leads.filter((lead) => lead.campaignId === target.campaignId);
    if (externalId && inCampaign.some((lead) => lead.externalId === externalId)) return { code: 112 };
    if (!target.allowDuplicates && inCampaign.some((lead) => this.phonesOf(lead.fields).some((p) => phones.includes(p)))) {
      return { code: 105 };
    }
    const lead: NoojeeLead = {
      leadId: String(this.nextLeadId++),
      templateId: target.templateId,
      campaignId: target.campaignId,
      allocationId: target.allocationId,
      externalId,
      disposition: undefined,
      fields: { ...fields },
      updates: 0,
    };
    this.leads.push(lead);
    return { code: 0, leadId: lead.leadId };
  }

  update(fields: Record<string, string>, campaignId: number): Outcome {
    const externalId = fields.njExternalLeadId?.trim();
    const lead = externalId ? this.leads.find((l) => l.campaignId === campaignId && l.externalId === externalId) : undefined;
    if (!lead) return { code: 101 };
    if (!this.rules.phoneFields.some((name) => (fields[name] ?? '').trim() !== '')) return { code: 102 };
    const asked = fields.njDisposition;
    let disposition = lead.disposition;
    if (asked === undefined || NO_CHANGE.test(asked)) {
      if (!disposition) return { code: 107 };
    } else {
      disposition = this.rules.dispositions.find((d) => d.toLowerCase() === asked.trim().toLowerCase());
      if (!disposition) return { code: 106 };
    }
    const common = this.checkCommonFields(fields);
    if (common) return { code: common };
    for (const [key, value] of Object.entries(fields)) {
      if (!NO_CHANGE.test(value)) lead.fields[key] = value;
    }
    lead.disposition = disposition;
    lead.updates++;
    return { code: 0, leadId: lead.leadId };
  }

  private checkCommonFields(fields: Record<string, string>): number | undefined {
    const callBack = fields.njCallBackDate;
    if (callBack !== undefined && !NO_CHANGE.test(callBack) && callBack.trim() !== '' && !isCallbackDate(callBack.trim())) {
      return 114;
    }
    const hours = fields.njContactHours;
    if (hours !== undefined && !NO_CHANGE.test(hours) && hours.trim() !== '' && !this.rules.contactHours.includes(hours.trim())) {
      return 111;
    }
    return undefined;
  }

  private phonesOf(fields: Record<string, string>): string[] {
    return this.rules.phoneFields.map((name) => digits(fields[name] ?? '')).filter((phone) => phone !== '');
  }
}

function isCallbackDate(text: string): boolean {
  const match = CALLBACK_DATE.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60
  );
}
