import { parseCallbackDate, zonedWallClockToInstant } from '../leads/callback-date.js';
import { isNoChange } from '../leads/no-change.js';
import { keyClaims, PHONE_KEY } from '../leads/match-keys.js';
import { parsePhone } from '../leads/phone.js';
import { isScalar, scalarText, type LeadFields, type Scalar } from '../leads/scalar.js';
import { classifyFieldName, type SystemField } from '../leads/system-fields.js';
import { isStorableText, storableText } from '../lib/storable.js';
import { failure, type LeadResult } from './lead-result.js';
import type { LeadUpdate, NewLead } from './ports.js';
import type { ContactHours } from '../ruleset/dialer.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';
import type { Target } from './target.js';

export const DEFAULT_PRIORITY = 10;

export interface SplitFields {
  system: Partial<Record<SystemField, Scalar>>;
  plain: LeadFields;
}

/** Bounds on one lead, so a hostile body cannot make one lead cost unbounded memory or work. */
export const LEAD_LIMITS = { fields: 500, fieldNameLength: 200, textLength: 10_000 } as const;

/** Separates `nj*` system fields (any case) from the lead's own fields; 204 for anything malformed. */
export function splitFields(raw: unknown): { ok: true; fields: SplitFields } | { ok: false; result: LeadResult } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, result: failure(204, 'a lead must be a JSON object of field names to values') };
  }
  const entries = Object.entries(raw);
  if (entries.length > LEAD_LIMITS.fields) {
    return { ok: false, result: failure(204, `a lead may have at most ${LEAD_LIMITS.fields} fields, got ${entries.length}`) };
  }
  const system: SplitFields['system'] = {};
  // No prototype: a field named `__proto__` or `constructor` is data, never an object's machinery.
  const plain: LeadFields = Object.create(null) as LeadFields;
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > LEAD_LIMITS.fieldNameLength) {
      return { ok: false, result: failure(204, `field names must be 1 to ${LEAD_LIMITS.fieldNameLength} characters long`) };
    }
    if (typeof value === 'string' && value.length > LEAD_LIMITS.textLength) {
      return { ok: false, result: failure(204, `field '${name}' is longer than ${LEAD_LIMITS.textLength} characters`) };
    }
    if (name === '__proto__') return { ok: false, result: failure(204, "'__proto__' is not allowed as a field name") };
    if (!isStorableText(name) || (typeof value === 'string' && !isStorableText(value))) {
      return { ok: false, result: failure(204, `field '${storableText(name)}' holds a NUL character or an unpaired surrogate`) };
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return { ok: false, result: failure(204, `field '${name}' holds a number out of range`) };
    }
    if (!isScalar(value)) {
      return { ok: false, result: failure(204, `field '${name}' must be a string, number, boolean or null`) };
    }
    const kind = classifyFieldName(name);
    if (kind.kind === 'unknownSystem') return { ok: false, result: failure(204, `unknown system field '${name}'`) };
    if (kind.kind === 'system') {
      if (kind.name in system) return { ok: false, result: failure(204, `system field '${kind.name}' is given twice`) };
      system[kind.name] = value;
    } else {
      plain[name] = value;
    }
  }
  return { ok: true, fields: { system, plain } };
}

const isBlank = (value: Scalar | undefined) => scalarText(value).trim() === '';

/** The first field, in the lead's order, that holds `<No Change>`. */
function firstNoChange(fields: Partial<Record<string, Scalar>>): string | undefined {
  for (const name of Object.keys(fields)) if (isNoChange(fields[name])) return name;
  return undefined;
}

/**
 * Turns one inserted lead into a `NewLead`, or the first failing check in the SPEC's order:
 * 204 → 108 → 102 → 202 → 114 → 111 → 201. (104, 112 and 105 are the store's, race-free.)
 */
export interface InsertContext {
  target: Target;
  /** every contact-hours entry of the rules, keyed by lower-case name */
  contactHours: ReadonlyMap<string, ContactHours>;
  allowDuplicates: boolean;
  /** the de-duplication scope to check instead of the template's (Convoso's check_dup) */
  dedupe?: DedupeScope;
  /** the status the caller gives the new lead (Convoso's `status`); a duplicate-check row's status wins */
  status?: string;
}

export type ValidatedLead = {
  ok: true;
  lead: NewLead;
  /** the lead as a CRM adaptor sees it: its fields, system fields by canonical name, phones in E.164 */
  crmView: () => LeadFields;
};

export function validateNewLead(raw: unknown, context: InsertContext): ValidatedLead | { ok: false; result: LeadResult } {
  const { target } = context;
  const split = splitFields(raw);
  if (!split.ok) return split;
  const { system, plain } = split.fields;

  const action = scalarText(system.njAction).trim();
  if (action !== '' && action.toUpperCase() !== 'ADD') {
    return { ok: false, result: failure(204, `njAction '${action}' is only accepted by injectLeads; inserts are ADD`) };
  }
  for (const name of ['njDisposition', 'njAllocationName'] as const) {
    if (!isBlank(system[name])) return { ok: false, result: failure(204, `${name} applies to updates, not inserts`) };
  }

  const noChange = firstNoChange(system) ?? firstNoChange(plain);
  if (noChange !== undefined) return { ok: false, result: failure(108, `field '${noChange}' holds <No Change>, which only updates accept`) };

  const { template } = target;
  const phones: string[] = [];
  const phoneByField: Record<string, string> = {};
  let invalidPhone: { field: string; text: string } | undefined;
  for (const field of template.phoneFields) {
    const parsed = parsePhone(plain[field], template.country);
    if (parsed.kind === 'valid') {
      phoneByField[field] = parsed.e164;
      if (!phones.includes(parsed.e164)) phones.push(parsed.e164);
    }
    if (parsed.kind === 'invalid' && !invalidPhone) invalidPhone = { field, text: parsed.text };
  }
  if (phones.length === 0) {
    return { ok: false, result: failure(102, `none of the phone fields (${template.phoneFields.join(', ')}) holds a usable ${template.country} number`) };
  }
  if (invalidPhone) {
    return { ok: false, result: failure(202, `field '${invalidPhone.field}': '${invalidPhone.text}' is not a valid ${template.country} phone number`) };
  }

  const wallClock = isBlank(system.njCallBackDate) ? null : parseCallbackDate(system.njCallBackDate);
  if (!isBlank(system.njCallBackDate) && !wallClock) {
    return { ok: false, result: failure(114, `njCallBackDate '${scalarText(system.njCallBackDate)}' is not 'yyyy/MM/dd HH:mm[:ss]' or not a real date`) };
  }

  let contactHours = template.contactHours;
  if (!isBlank(system.njContactHours)) {
    const named = context.contactHours.get(scalarText(system.njContactHours).trim().toLowerCase());
    if (!named) return { ok: false, result: failure(111, `njContactHours '${scalarText(system.njContactHours)}' names no contact hours`) };
    contactHours = named;
  }

  let priority = DEFAULT_PRIORITY;
  if (!isBlank(system.njPriority)) {
    const parsed = parsePriority(system.njPriority);
    if (parsed === null) return { ok: false, result: failure(201, `njPriority '${scalarText(system.njPriority)}' is not an integer from 0 to 100`) };
    priority = parsed;
  }

  return {
    ok: true,
    crmView: () => ({ ...plain, ...(system as LeadFields), ...phoneByField }),
    lead: {
      templateId: template.id,
      campaignId: target.campaign.id,
      allocationId: target.allocation.id,
      externalId: isBlank(system.njExternalLeadId) ? null : scalarText(system.njExternalLeadId).trim(),
      status: context.status ?? null,
      callbackAt: wallClock ? zonedWallClockToInstant(wallClock, contactHours.timeZone) : null,
      priority,
      contactHours: contactHours.name,
      fields: plain,
      phones,
      ...leadDedupe(template, context, plain, phones),
    },
  };
}

/**
 * The lead's de-duplication (SPEC 3.1): the phone key checked in the template's scope (or the one
 * the caller chose: Convoso's check_dup), the other keys claimed and checked in the template's
 * scope, all within the template's window; `allowDuplicates` checks none of them (the claims are
 * still registered, so later leads are checked against this one).
 */
export function leadDedupe(
  template: Target['template'],
  context: Pick<InsertContext, 'allowDuplicates' | 'dedupe'>,
  fields: LeadFields,
  phones: readonly string[],
): Pick<NewLead, 'dedupe' | 'windowDays' | 'keys'> {
  const phoneKey = template.matchKeys.some((key) => key.name === PHONE_KEY);
  const dedupe: DedupeScope = context.allowDuplicates ? 'none' : (context.dedupe ?? (phoneKey ? template.dedupe : 'none'));
  const claims = template.dedupe === 'none' ? [] : keyClaims(template.matchKeys, fields, phones);
  const result: Pick<NewLead, 'dedupe' | 'windowDays' | 'keys'> = { dedupe };
  if (template.dedupeWindowDays !== null) result.windowDays = template.dedupeWindowDays;
  if (claims.length > 0 && template.dedupe !== 'none') result.keys = { scope: template.dedupe, check: !context.allowDuplicates, claims };
  return result;
}

/** What an updated lead claims for the template's match keys other than the phone (absent: the template has none). */
export function updatedKeys(template: Target['template'], fields: LeadFields, phones: readonly string[]): LeadUpdate['keys'] {
  if (template.dedupe === 'none' || !template.matchKeys.some((key) => key.name !== PHONE_KEY)) return undefined;
  return { scope: template.dedupe, claims: keyClaims(template.matchKeys, fields, phones) };
}

export function parsePriority(value: Scalar | undefined): number | null {
  const text = scalarText(value).trim();
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= 100 ? n : null;
}
