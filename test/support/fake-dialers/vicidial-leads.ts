/**
 * The fake VICIdial system's vicidial_list and DNC lists, and the functions `add_lead`,
 * `update_lead` and `add_dnc_phone` of VICIdial's NON-AGENT API, from `docs/NON-AGENT_API.txt`
 * (mirror ccabrerar/vicidial, document updated 2024-10-04), sections "add_lead", "update_lead" and
 * "add_dnc_phone": required fields, `duplicate_check` options (DUPLIST, DUPCAMP, DUPSYS, the
 * DUPPHONEALT*, DUPTITLEALTPHONE* and DUPNAMEPHONE* ones and the xDAY suffixes), `dnc_check`,
 * `campaign_dnc_check`, `list_exists_check`, `add_to_hopper`, update_lead's `search_method` /
 * `search_location` / `records` / `no_update` / `delete_lead` / `insert_if_not_found` /
 * `update_phone_number`, `--BLANK--`, and every answer text ("Example responses").
 * Where the document shows no text, it comes from that mirror's www/vicidial/non_agent_api.php
 * (build 241004-1518): `PHONE NUMBER IN DNC`, `PHONE NUMBER IN CAMPAIGN DNC`, the check order,
 * phone_number reduced to its digits, vendor_lead_code losing `;`, `#`, `"` and turning `+` into a
 * space, and no SUCCESS line at all when update_lead finds a lead but is given nothing to change.
 * Where the document and that code disagree, `style` picks: `documented` (default) answers the
 * document's example texts; `implementation` answers what the code prints (add_lead SUCCESS data
 * `phone|list|lead_id|gmt|user` instead of `phone|user|list|lead_id|gmt`, the permission, no-match
 * and DNC errors as `REASON: |user|...`, update_lead SUCCESS with its row counts).
 * Decided here, both being silent: vendor_lead_code is cut to 20 characters (the document's
 * "1-20 characters"; MySQL's non-strict mode truncates a longer value), "most recently loaded"
 * is the highest lead_id, custom fields are not modelled, the hopper is one NOTICE line.
 */

export type AnswerStyle = 'documented' | 'implementation';

export type VicidialLead = Record<string, string> & { lead_id: string; list_id: string; phone_number: string; vendor_lead_code: string };

export interface VicidialDnc {
  phone_number: string;
  /** a campaign id, or SYSTEM_INTERNAL for the system-wide list */
  campaign_id: string;
}

export interface Call {
  params: Record<string, string>;
  user: string;
  style: AnswerStyle;
  /** The user lacks modify_leads (add_lead, update_lead) or "modify lists" (add_dnc_phone) */
  noPermission: boolean;
}

const LEAD_FIELDS = [
  'vendor_lead_code', 'source_id', 'gmt_offset_now', 'title', 'first_name', 'middle_initial', 'last_name',
  'address1', 'address2', 'address3', 'city', 'state', 'province', 'postal_code', 'country_code', 'gender',
  'date_of_birth', 'alt_phone', 'email', 'security_phrase', 'comments', 'rank', 'owner', 'entry_list_id',
];
const UPDATE_FIELDS: Record<string, string> = {
  ...Object.fromEntries(LEAD_FIELDS.map((name) => [name, name])),
  user_field: 'user', list_id_field: 'list_id', status: 'status', called_count: 'called_count', phone_code: 'phone_code',
};

type Scope = 'LIST' | 'CAMP' | 'SYS';
interface DupCheck {
  key: string;
  scope: Scope;
  same: (lead: VicidialLead, p: Record<string, string>) => boolean;
  reason: string;
  data: (p: Record<string, string>, dup: VicidialLead, style: AnswerStyle) => string[];
}
const samePhone = (l: VicidialLead, p: Record<string, string>): boolean => l.phone_number === p.phone_number;
const phoneOrAlt = (l: VicidialLead, p: Record<string, string>): boolean => l.phone_number === p.phone_number || l.alt_phone === p.phone_number;
const titleAlt = (l: VicidialLead, p: Record<string, string>): boolean => l.title === (p.title ?? '') && l.alt_phone === (p.alt_phone ?? '');
const namePhone = (l: VicidialLead, p: Record<string, string>): boolean =>
  samePhone(l, p) && l.first_name === (p.first_name ?? '') && l.last_name === (p.last_name ?? '');
const where: Record<Scope, string> = { LIST: 'IN LIST', CAMP: 'IN CAMPAIGN LISTS', SYS: 'IN SYSTEM' };
const withList = (scope: Scope, fields: string[], dup: VicidialLead): string[] => (scope === 'LIST' ? fields : [...fields, dup.list_id]);
const phoneType = (p: Record<string, string>, dup: VicidialLead): string => (dup.phone_number === p.phone_number ? 'PHONE' : 'ALT');

/** In the order the code runs them; the first that finds a lead answers */
const DUP_CHECKS: DupCheck[] = (['LIST', 'CAMP', 'SYS'] as const)
  .map((scope): DupCheck => ({
    key: `DUP${scope}`, scope, same: samePhone, reason: `DUPLICATE PHONE NUMBER ${where[scope]}`,
    data: (p, dup) => withList(scope, [p.phone_number!, p.list_id!, dup.lead_id], dup),
  }))
  .concat((['LIST', 'CAMP', 'SYS'] as const).map((scope) => ({
    key: `DUPPHONEALT${scope}`, scope, same: phoneOrAlt, reason: `DUPLICATE PHONE NUMBER ${where[scope]}`,
    data: (p, dup) => [...withList(scope, [p.phone_number!, p.list_id!, dup.lead_id], dup), phoneType(p, dup)],
  })))
  .concat((['LIST', 'CAMP', 'SYS'] as const).map((scope) => ({
    key: `DUPTITLEALTPHONE${scope}`, scope, same: titleAlt, reason: `DUPLICATE TITLE ALT_PHONE ${where[scope]}`,
    data: (p, dup) => withList(scope, [p.title ?? '', p.alt_phone ?? '', p.list_id!, dup.lead_id], dup),
  })))
  .concat((['LIST', 'CAMP', 'SYS'] as const).map((scope) => ({
    key: `DUPNAMEPHONE${scope}`, scope, same: namePhone, reason: `DUPLICATE NAME PHONE ${where[scope]}`,
    // the document's LIST example carries the duplicate's list too; the code's does not
    data: (p, dup, style) =>
      withList(style === 'documented' ? 'CAMP' : scope, [p.first_name ?? '', p.last_name ?? '', p.phone_number!, p.list_id!, dup.lead_id], dup),
  })));

export class VicidialSystem {
  readonly leads: VicidialLead[] = [];
  readonly dnc: VicidialDnc[] = [];
  private nextLeadId = 100001;
  private nextHopperId = 1;

  /** `lists`: list id → campaign id; undefined = every list exists and is its own campaign */
  constructor(private readonly lists: Record<string, string> | undefined, private readonly gmtOffset: string) {}

  addLead({ params, user, style, noPermission }: Call): string {
    const listId = params.list_id || '999';
    const p: Record<string, string> = { ...params, list_id: listId, phone_code: params.phone_code || '1' };
    if (noPermission) return permissionError('add_lead', 'ADD LEADS TO THE SYSTEM', user, style);
    if (/Y/i.test(p.list_exists_check ?? '') && !this.listExists(listId)) {
      return line('ERROR', 'add_lead NOT A DEFINED LIST ID, LIST EXISTS CHECK ENABLED', [p.phone_number ?? '', listId]);
    }
    const phone = p.phone_number ?? '';
    if (phone.length < 6 || phone.length > 16) return line('ERROR', 'add_lead INVALID PHONE NUMBER LENGTH', [phone, user]);
    if ((p.dnc_check === 'Y' || p.dnc_check === 'AREACODE') && this.onDnc(phone, 'SYSTEM_INTERNAL', p.dnc_check)) {
      return line('ERROR', 'add_lead PHONE NUMBER IN DNC', [phone, user]);
    }
    const campaignDnc = p.campaign_dnc_check;
    if ((campaignDnc === 'Y' || campaignDnc === 'AREACODE') && this.onDnc(phone, p.campaign_id ?? '', campaignDnc)) {
      return line('ERROR', 'add_lead PHONE NUMBER IN CAMPAIGN DNC', [phone, p.campaign_id ?? '', user]);
    }
    const duplicate = this.findDuplicate(p, style);
    if (duplicate) return duplicate;
    const lead = this.store(p, user);
    const data = style === 'documented' ? [phone, user, listId, lead.lead_id, this.gmtOffset] : [phone, listId, lead.lead_id, this.gmtOffset, user];
    let answer = line('SUCCESS', 'add_lead LEAD HAS BEEN ADDED', data);
    if (p.add_to_hopper === 'Y') answer += line('NOTICE', 'add_lead ADDED TO HOPPER', [phone, user, lead.lead_id, String(this.nextHopperId++)]);
    return answer;
  }

  updateLead({ params: p, user, style, noPermission }: Call): string {
    if (noPermission) return permissionError('update_lead', 'UPDATE LEADS IN THE SYSTEM', user, style);
    const method = (p.search_method ?? '').length < 6 ? 'LEAD_ID' : p.search_method!;
    const byLeadId = method.includes('LEAD_ID') && !!p.lead_id;
    const byVendor = method.includes('VENDOR_LEAD_CODE') && !!p.vendor_lead_code;
    const phone = p.phone_number ?? '';
    const byPhone = method.includes('PHONE_NUMBER') && phone.length > 5 && phone.length < 19;
    const asked = [p.lead_id ?? '', p.vendor_lead_code ?? '', phone];
    if (!byLeadId && !byVendor && !byPhone) return line('ERROR', 'update_lead NO VALID SEARCH METHOD', [user, method, ...asked]);

    const inScope = this.searchScope(p);
    const records = Number(p.records) > 0 ? Number(p.records) : 1;
    const pick = (test: (lead: VicidialLead) => boolean): VicidialLead[] =>
      this.leads.filter((lead) => inScope(lead) && test(lead)).sort((a, b) => Number(b.lead_id) - Number(a.lead_id)).slice(0, records);
    let found = byLeadId ? pick((lead) => lead.lead_id === p.lead_id) : [];
    if (found.length === 0 && byVendor) found = pick((lead) => lead.vendor_lead_code === p.vendor_lead_code);
    if (found.length === 0 && byPhone) found = pick((lead) => lead.phone_number === phone);

    if (found.length === 0) {
      const soft = p.no_update === 'Y' || p.insert_if_not_found === 'Y';
      const noMatch = style === 'documented'
        ? line(soft ? 'NOTICE' : 'ERROR', 'update_lead NO MATCHES FOUND IN THE SYSTEM', [user, ...asked])
        : `${soft ? 'NOTICE' : 'ERROR'}: update_lead NO MATCHES FOUND IN THE SYSTEM: |${[user, ...asked].join('|')}\n`;
      if (p.no_update === 'Y' || p.insert_if_not_found !== 'Y') return noMatch;
      return noMatch + this.insertNotFound(p, user);
    }
    const first = found[0]!;
    if (p.no_update === 'Y') {
      const data = [user, p.lead_id || first.lead_id, p.vendor_lead_code ?? '', phone, first.list_id, first.entry_list_id ?? '0'];
      return `NOTICE: update_lead LEADS FOUND IN THE SYSTEM: |${data.join('|')}\n`;
    }
    return found.map((lead) => this.applyUpdate(lead, p, user, style)).join('');
  }

  addDncPhone({ params: p, user, style, noPermission }: Call): string {
    const phone = p.phone_number ?? '';
    const campaign = p.campaign_id ?? '';
    if (noPermission) return permissionError('add_dnc_phone', 'ADD DNC NUMBERS', user, style, false);
    const say = (result: string, reason: string, doc: string[]): string =>
      style === 'documented' ? line(result, reason, doc) : `${result}: ${reason}: |${[user, phone, campaign].join('|')}\n`;
    if (phone.length < 6 || campaign.length < 1) return say('ERROR', 'add_dnc_phone YOU MUST USE ALL REQUIRED FIELDS', [user, phone, campaign]);
    if (this.dnc.some((entry) => entry.phone_number === phone && entry.campaign_id === campaign)) {
      return say('ERROR', 'add_dnc_phone DNC NUMBER ALREADY EXISTS', [user, phone]);
    }
    this.dnc.push({ phone_number: phone, campaign_id: campaign });
    return line('SUCCESS', 'add_dnc_phone DNC NUMBER HAS BEEN ADDED', [user, phone, campaign]);
  }

  private applyUpdate(lead: VicidialLead, p: Record<string, string>, user: string, style: AnswerStyle): string {
    if (p.delete_lead === 'Y') {
      this.leads.splice(this.leads.indexOf(lead), 1);
      return line('SUCCESS', 'update_lead LEAD HAS BEEN DELETED', [lead.phone_number, user, lead.list_id, lead.lead_id, this.gmtOffset]);
    }
    let changed = 0;
    for (const [param, field] of Object.entries(UPDATE_FIELDS)) {
      const value = p[param];
      if (value === undefined || value === '') continue;
      const stored = value === '--BLANK--' ? '' : value;
      lead[field] = field === 'vendor_lead_code' ? varchar20(stored) : stored;
      changed++;
    }
    if (p.update_phone_number === 'Y' && p.phone_number) {
      lead.phone_number = p.phone_number;
      changed++;
    }
    if (changed === 0) return '';
    const data = style === 'documented' ? [user, lead.lead_id] : [user, lead.lead_id, '1', '0', '0', ''];
    return line('SUCCESS', 'update_lead LEAD HAS BEEN UPDATED', data);
  }

  private insertNotFound(p: Record<string, string>, user: string): string {
    const listId = p.list_id_field || p.list_id || '';
    const phone = p.phone_number ?? '';
    if (phone.length < 6 || phone.length > 18 || !p.phone_code || listId.length < 3) {
      return line('ERROR', 'update_lead INVALID DATA FOR LEAD INSERTION', [user, phone, p.phone_code ?? '', listId, 'Y']);
    }
    const lead = this.store({ ...p, list_id: listId }, user);
    return line('SUCCESS', 'update_lead LEAD HAS BEEN ADDED', [phone, user, listId, lead.lead_id, this.gmtOffset]);
  }

  private store(p: Record<string, string>, user: string): VicidialLead {
    const lead: VicidialLead = {
      ...Object.fromEntries(LEAD_FIELDS.map((name) => [name, p[name] ?? ''])),
      lead_id: String(this.nextLeadId++),
      list_id: p.list_id!,
      phone_number: p.phone_number!,
      phone_code: p.phone_code!,
      vendor_lead_code: varchar20(p.vendor_lead_code ?? ''),
      gender: p.gender || 'U',
      status: 'NEW',
      user,
      entry_date: new Date().toISOString(),
      gmt_offset_now: this.gmtOffset,
    };
    this.leads.push(lead);
    return lead;
  }

  private findDuplicate(p: Record<string, string>, style: AnswerStyle): string | undefined {
    const asked = (p.duplicate_check ?? '').toUpperCase();
    const days = /(360|180|90|60|30|28|21|15|14|7|3|2|1)DAY/.exec(asked);
    const since = days ? Date.now() - Number(days[1]) * 86_400_000 : -Infinity;
    for (const check of DUP_CHECKS) {
      if (!asked.includes(check.key)) continue;
      const dup = this.leads.find(
        (lead) => Date.parse(lead.entry_date ?? '') > since && this.sameScope(check.scope, lead.list_id, p.list_id!) && check.same(lead, p),
      );
      if (dup) return line('ERROR', `add_lead ${check.reason}`, check.data(p, dup, style));
    }
    return undefined;
  }

  private searchScope(p: Record<string, string>): (lead: VicidialLead) => boolean {
    const listId = p.list_id ?? '';
    const location = (p.search_location ?? '').length < 4 || listId.length < 3 || Number(listId) < 99 ? 'SYSTEM' : p.search_location!;
    if (location.includes('LIST')) return (lead) => lead.list_id === listId;
    if (location.includes('CAMPAIGN')) return (lead) => this.sameScope('CAMP', lead.list_id, listId);
    return () => true;
  }

  private sameScope(scope: Scope, leadList: string, list: string): boolean {
    if (scope === 'SYS') return true;
    if (scope === 'LIST' || !this.lists?.[list]) return leadList === list;
    return this.lists[leadList] === this.lists[list];
  }

  private listExists(listId: string): boolean {
    return !this.lists || listId in this.lists;
  }

  private onDnc(phone: string, campaign: string, mode: string): boolean {
    const areacode = `${phone.slice(0, 3)}XXXXXXX`;
    return this.dnc.some(
      (entry) => entry.campaign_id === campaign && (entry.phone_number === phone || (mode === 'AREACODE' && entry.phone_number === areacode)),
    );
  }
}

/** vicidial_list.vendor_lead_code is VARCHAR(20): a longer value is cut when stored, not when searched */
const varchar20 = (value: string): string => value.slice(0, 20);

export function line(result: string, reason: string, data: string[]): string {
  return `${result}: ${reason} - ${data.join('|')}\n`;
}

function permissionError(fn: string, what: string, user: string, style: AnswerStyle, closingBar = true): string {
  const reason = `${fn} USER DOES NOT HAVE PERMISSION TO ${what}`;
  if (style === 'documented') return line('ERROR', reason, [user, '0']);
  return `ERROR: ${reason}: |${user}|0${closingBar ? '|' : ''}\n`;
}
