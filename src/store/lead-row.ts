import type { NewLead, StoredLead } from '../pipeline/ports.js';

/** The columns every read of a whole lead selects, and their mapping to `StoredLead`. */
export const LEAD_COLUMNS = `id::text, template_id, campaign_id, allocation_id, external_id, status, disposition, callback_at,
       priority, contact_hours, fields, phones, state, version, created_at`;

export interface LeadRow {
  id: string;
  template_id: number;
  campaign_id: number;
  allocation_id: number;
  external_id: string | null;
  status: string | null;
  disposition: string | null;
  callback_at: Date | null;
  priority: number;
  contact_hours: string;
  fields: StoredLead['fields'];
  phones: string[];
  state: StoredLead['state'];
  version: number;
  created_at: Date;
}

export function toStoredLead(row: LeadRow): StoredLead & { createdAt: Date } {
  return {
    id: row.id,
    templateId: row.template_id,
    campaignId: row.campaign_id,
    allocationId: row.allocation_id,
    externalId: row.external_id,
    status: row.status,
    disposition: row.disposition,
    callbackAt: row.callback_at,
    priority: row.priority,
    contactHours: row.contact_hours,
    fields: row.fields,
    phones: row.phones,
    state: row.state,
    version: row.version,
    createdAt: row.created_at,
  };
}

/**
 * A new lead's columns as the multi-lead insert statements read them (jsonb_to_recordset), `ord`
 * its place in the input. Null values are left out (`?? undefined`): an absent key reads as null,
 * and the JSON is that much shorter to write, send and parse. Callers add their statement's own
 * fields to the object.
 */
export function newLeadInput(lead: NewLead, ord: number, createdAt: string | null | undefined): Record<string, unknown> {
  return {
    ord,
    template_id: lead.templateId,
    campaign_id: lead.campaignId,
    allocation_id: lead.allocationId,
    external_id: lead.externalId ?? undefined,
    status: lead.status ?? undefined,
    callback_at: lead.callbackAt?.toISOString(),
    priority: lead.priority,
    contact_hours: lead.contactHours,
    fields: lead.fields,
    phones: lead.phones,
    created_at: createdAt ?? undefined,
  };
}
