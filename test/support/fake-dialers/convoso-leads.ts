import { digits } from './server.js';

/**
 * The fake Convoso account's leads and DNC list, and what `/v1/leads/insert`, `/v1/leads/update`,
 * `/v1/leads/search` and `/v1/dnc/insert` do to them, as SPEC section 4 describes Convoso's API
 * (no Convoso API reference is among the seeds; seed 004 only places the duplicate check "in
 * tandem with inserting a Lead through API"). From SPEC 4: the codes and their texts (6001, 6002,
 * 6006, 6007, 6008, 6009, 6010, 6023, 6079, 7231, 7258), `check_dup` 0-4, `check_dnc`,
 * `update_if_found` with `lead_id` / `search_list_id` / `search_campaign_id`, `status`, the search
 * filters, `offset` / `limit` limits and answer shape with string ids in ascending id order.
 * Decided here, SPEC 4 being silent:
 * - a valid phone number is 7 to 15 digits once non-digits are dropped; phones compare by digits;
 * - check order on insert: 6007, 6002, 6008, 6079, update_if_found, 6010, 6009;
 * - a new lead's status is `NEW` unless `status` is given; times are `YYYY-MM-DD HH:MM:SS` UTC;
 * - `check_dnc` looks at the global list (campaign "0") and the list's campaign;
 * - `check_dup` 4 is 1 here (this fake never closes a lead);
 * - a list's campaign comes from the `lists` option; a list not named there is its own campaign;
 * - update_if_found leaves the found lead in its list;
 * - update answers `{"success":true,"data":{"lead_id"}}` like insert; an unknown search filter
 *   compares with the stored field of that name.
 */

export type ConvosoLead = Record<string, string> & { id: string; list_id: string; phone_number: string };

export interface DncEntry {
  id: string;
  phone_number: string;
  phone_code: string;
  campaign_id: string;
  reason: string;
  purpose: string;
}

export type ConvosoAnswer =
  | { success: true; data?: Record<string, unknown>; id?: string }
  | { success: false; code: number; text: string };

const fail = (code: number, text: string): ConvosoAnswer => ({ success: false, code, text });
const NOT_LEAD_FIELDS = new Set([
  'auth_token', 'check_dup', 'check_dup_archive', 'check_dnc', 'update_if_found',
  'search_list_id', 'search_campaign_id', 'lead_id', 'id', 'created_at', 'modified_at',
]);

export class ConvosoAccount {
  readonly leads: ConvosoLead[] = [];
  readonly dnc: DncEntry[] = [];
  private nextLeadId = 5001;
  private nextDncId = 1;

  /** `lists`: list id → campaign id; undefined = any list id exists */
  constructor(private readonly lists: Record<string, string> | undefined) {}

  insert(params: Record<string, string>): ConvosoAnswer {
    const listId = params.list_id ?? '';
    const phone = digits(params.phone_number ?? '');
    if (!listId || !params.phone_number) return fail(6007, 'The Lead requires a phone number and list id');
    if (!this.listExists(listId)) return fail(6002, 'No such List');
    if (!validPhone(phone)) return fail(6008, 'The phone number is invalid');
    if (params.email && !validEmail(params.email)) return fail(6079, 'Invalid email');
    if (truthy(params.update_if_found)) {
      const found = this.findForUpdate(params, phone);
      // the found lead stays in its list: list_id names where a new lead would have gone
      const { list_id: _target, ...changes } = params;
      if (found) return this.update({ ...changes, lead_id: found.id });
    }
    if (truthy(params.check_dnc) && this.onDnc(phone, listId)) return fail(6010, 'The phone number is on the DNC list');
    if (this.duplicate(phone, listId, params.check_dup ?? '0')) return fail(6009, 'The phone number already exists');
    const now = timestamp();
    const lead: ConvosoLead = {
      ...leadFields(params),
      id: String(this.nextLeadId++),
      list_id: listId,
      phone_number: phone,
      phone_code: params.phone_code || '1',
      status: params.status || 'NEW',
      created_at: now,
      modified_at: now,
    };
    this.leads.push(lead);
    return { success: true, data: { lead_id: lead.id } };
  }

  update(params: Record<string, string>): ConvosoAnswer {
    const lead = this.leads.find((l) => l.id === params.lead_id);
    if (!lead) return fail(6001, 'No such Lead');
    if (params.list_id !== undefined && !this.listExists(params.list_id)) return fail(6002, 'No such List');
    if (params.list_id !== undefined && this.campaignOf(params.list_id) !== this.campaignOf(lead.list_id)) {
      return fail(6002, 'No such List');
    }
    if (params.phone_number !== undefined && !validPhone(digits(params.phone_number))) return fail(6008, 'The phone number is invalid');
    if (params.email && !validEmail(params.email)) return fail(6079, 'Invalid email');
    Object.assign(lead, leadFields(params), { modified_at: timestamp() });
    if (params.list_id !== undefined) lead.list_id = params.list_id;
    if (params.phone_number !== undefined) lead.phone_number = digits(params.phone_number);
    return { success: true, data: { lead_id: lead.id } };
  }

  search(params: Record<string, string>): ConvosoAnswer {
    const offset = params.offset ?? '0';
    const limit = params.limit ?? '10';
    if (!/^\d+$/.test(offset)) return fail(7231, 'Invalid offset value');
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 2000) return fail(7258, 'Invalid limit value');
    const matches = this.leads.filter((lead) => matchesFilters(lead, params)).sort((a, b) => Number(a.id) - Number(b.id));
    const entries = matches.slice(Number(offset), Number(offset) + Number(limit));
    return { success: true, data: { offset, limit, total: String(matches.length), entries } };
  }

  addDnc(params: Record<string, string>): ConvosoAnswer {
    const phone = digits(params.phone_number ?? '');
    if (!phone) return fail(6023, 'Required fields are missed');
    const campaignId = params.campaign_id || '0';
    if (campaignId !== '0' && this.lists && !Object.values(this.lists).includes(campaignId)) {
      return fail(6006, 'Invalid Campaign ID');
    }
    if (this.dnc.some((entry) => entry.phone_number === phone && entry.campaign_id === campaignId)) {
      return fail(6008, 'The phone number already exists.');
    }
    const entry: DncEntry = {
      id: String(this.nextDncId++),
      phone_number: phone,
      phone_code: params.phone_code || '1',
      campaign_id: campaignId,
      reason: params.reason ?? '',
      purpose: params.purpose ?? '',
    };
    this.dnc.push(entry);
    return { success: true, id: entry.id };
  }

  private listExists(listId: string): boolean {
    return !this.lists || listId in this.lists;
  }

  private campaignOf(listId: string): string {
    return this.lists?.[listId] ?? `list:${listId}`;
  }

  private onDnc(phone: string, listId: string): boolean {
    const campaign = this.campaignOf(listId);
    return this.dnc.some((entry) => entry.phone_number === phone && (entry.campaign_id === '0' || entry.campaign_id === campaign));
  }

  private duplicate(phone: string, listId: string, checkDup: string): boolean {
    const scope = checkDup === 'true' ? '1' : checkDup;
    const samePhone = this.leads.filter((lead) => lead.phone_number === phone);
    if (scope === '1' || scope === '4') return samePhone.length > 0;
    if (scope === '2') return samePhone.some((lead) => lead.list_id === listId);
    if (scope === '3') return samePhone.some((lead) => this.campaignOf(lead.list_id) === this.campaignOf(listId));
    return false;
  }

  private findForUpdate(params: Record<string, string>, phone: string): ConvosoLead | undefined {
    if (params.lead_id) return this.leads.find((lead) => lead.id === params.lead_id);
    return this.leads.find(
      (lead) =>
        lead.phone_number === phone &&
        (!params.search_list_id || lead.list_id === params.search_list_id) &&
        (!params.search_campaign_id || this.campaignOf(lead.list_id) === params.search_campaign_id),
    );
  }
}

function matchesFilters(lead: ConvosoLead, params: Record<string, string>): boolean {
  for (const [name, value] of Object.entries(params)) {
    if (name === 'auth_token' || name === 'offset' || name === 'limit' || value === '') continue;
    const range = /^(created_at|updated_at)_(start|end)_date$/.exec(name);
    if (range) {
      const stamp = lead[range[1] === 'created_at' ? 'created_at' : 'modified_at'] ?? '';
      const bound = value.length === 10 ? `${value} ${range[2] === 'start' ? '00:00:00' : '23:59:59'}` : value;
      if (range[2] === 'start' ? stamp < bound : stamp > bound) return false;
      continue;
    }
    const field = name === 'lead_id' ? 'id' : name;
    const stored = lead[field] ?? '';
    if (name.includes('phone') ? digits(stored) !== digits(value) : stored !== value) return false;
  }
  return true;
}

function leadFields(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !NOT_LEAD_FIELDS.has(name)));
}

const truthy = (value: string | undefined): boolean => value === '1' || value?.toLowerCase() === 'true';
const validPhone = (phone: string): boolean => phone.length >= 7 && phone.length <= 15;
const validEmail = (email: string): boolean => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
const timestamp = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');
