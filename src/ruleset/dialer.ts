import type { CountryCode } from 'libphonenumber-js';
import { isValidTimeZone } from '../leads/callback-date.js';
import { matchKey, PHONE_KEY, type MatchKey } from '../leads/match-keys.js';
import { isSupportedCountry } from '../leads/phone.js';
import { classifyFieldName } from '../leads/system-fields.js';
import { dialerSchema, type DedupeScope, type DispositionAction } from './dialer-schema.js';
import { compileCriteria, type Criterion } from './criteria.js';
import { zodErrorToRuleErrors, type RuleError } from './rule-error.js';

export interface ContactHours {
  name: string;
  timeZone: string;
}

export interface Disposition {
  code: string;
  actions: DispositionAction[];
}

export interface Template {
  id: number;
  name: string;
  country: CountryCode;
  phoneFields: readonly string[];
  contactHours: ContactHours;
  /** the de-duplication scope (`dedupe` short form, or the long form's `scope`) */
  dedupe: DedupeScope;
  /** only leads created in the last this many days count as duplicates; null = forever */
  dedupeWindowDays: number | null;
  /** the long form's `on`, in order; the short form is `[phone]` */
  matchKeys: readonly MatchKey[];
  /** keyed by lower-case code: disposition codes match case-insensitively */
  dispositions: ReadonlyMap<string, Disposition>;
}

export interface Allocation {
  id: number;
  name: string;
  campaign: Campaign;
}

export interface Campaign {
  id: number;
  name: string;
  template: Template;
  allocations: ReadonlyMap<number, Allocation>;
  /** keyed by lower-case name */
  allocationsByName: ReadonlyMap<string, Allocation>;
}

export interface Dialer {
  contactHours: ReadonlyMap<string, ContactHours>;
  templates: ReadonlyMap<number, Template>;
  campaigns: ReadonlyMap<number, Campaign>;
  allocations: ReadonlyMap<number, Allocation>;
  /** Convoso criteria keys, keyed as written (keys are case-sensitive, as Convoso's are) */
  criteria: ReadonlyMap<string, Criterion>;
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; errors: RuleError[] };

/** Validates `dialer.yaml` (shape, then cross-references) and builds the lookup maps. */
export function compileDialer(raw: unknown, file: string): Compiled<Dialer> {
  const parsed = dialerSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrorToRuleErrors(file, parsed.error) };
  const doc = parsed.data;
  const errors: RuleError[] = [];
  const fail = (path: string, message: string) => errors.push({ file, path, message });

  const contactHours = new Map<string, ContactHours>();
  doc.contactHours.forEach((entry, i) => {
    if (!isValidTimeZone(entry.timeZone)) fail(`contactHours[${i}].timeZone`, `unknown IANA time zone '${entry.timeZone}'`);
    if (contactHours.has(entry.name.toLowerCase())) fail(`contactHours[${i}].name`, `duplicate contact hours name '${entry.name}'`);
    contactHours.set(entry.name.toLowerCase(), entry);
  });

  const templates = new Map<number, Template>();
  doc.templates.forEach((t, i) => {
    const at = `templates[${i}]`;
    if (templates.has(t.id)) fail(`${at}.id`, `duplicate template id ${t.id}`);
    if (!isSupportedCountry(t.country)) fail(`${at}.country`, `unknown region code '${t.country}'`);
    const hours = contactHours.get(t.contactHours.toLowerCase());
    if (!hours) fail(`${at}.contactHours`, `names no contactHours entry: '${t.contactHours}'`);
    const dispositions = new Map<string, Disposition>();
    t.dispositions.forEach((d, j) => {
      if (dispositions.has(d.code.toLowerCase())) fail(`${at}.dispositions[${j}].code`, `duplicate disposition code '${d.code}'`);
      dispositions.set(d.code.toLowerCase(), d);
    });
    const matchKeys = t.dedupe.on.map((key) => matchKey(key));
    const seenKeys = new Set<string>();
    matchKeys.forEach((key, j) => {
      const path = `${at}.dedupe.on[${j}]`;
      if (seenKeys.has(key.name)) fail(path, `key '${key.name}' is listed twice`);
      seenKeys.add(key.name);
      if (new Set(key.fields).size !== key.fields.length) fail(path, `key '${key.name}' names a field twice`);
      for (const field of key.fields) {
        if (field !== PHONE_KEY && t.phoneFields.includes(field)) {
          fail(path, `'${field}' is a phone field: use 'phone', which means any of the template's phone fields (${t.phoneFields.join(', ')})`);
        }
        if (classifyFieldName(field).kind !== 'plain') fail(path, `'${field}' is a system field; match keys are lead fields or 'phone'`);
      }
    });
    templates.set(t.id, {
      id: t.id,
      name: t.name,
      country: t.country as CountryCode,
      phoneFields: t.phoneFields,
      contactHours: hours ?? { name: t.contactHours, timeZone: 'UTC' },
      dedupe: t.dedupe.scope,
      dedupeWindowDays: t.dedupe.windowDays ?? null,
      matchKeys,
      dispositions,
    });
  });

  const campaigns = new Map<number, Campaign>();
  const allocations = new Map<number, Allocation>();
  doc.campaigns.forEach((c, i) => {
    const at = `campaigns[${i}]`;
    if (campaigns.has(c.id)) fail(`${at}.id`, `duplicate campaign id ${c.id}`);
    const template = templates.get(c.templateId);
    if (!template) {
      fail(`${at}.templateId`, `names no template: ${c.templateId}`);
      return;
    }
    const byId = new Map<number, Allocation>();
    const byName = new Map<string, Allocation>();
    const campaign: Campaign = { id: c.id, name: c.name, template, allocations: byId, allocationsByName: byName };
    c.allocations.forEach((a, j) => {
      if (allocations.has(a.id)) fail(`${at}.allocations[${j}].id`, `duplicate allocation id ${a.id}`);
      if (byName.has(a.name.toLowerCase())) fail(`${at}.allocations[${j}].name`, `duplicate allocation name '${a.name}' in the campaign`);
      const allocation: Allocation = { id: a.id, name: a.name, campaign };
      byId.set(a.id, allocation);
      byName.set(a.name.toLowerCase(), allocation);
      allocations.set(a.id, allocation);
    });
    campaigns.set(c.id, campaign);
  });

  // A reallocate action must land somewhere in every campaign that uses the template.
  doc.templates.forEach((t, i) => {
    t.dispositions.forEach((d, j) => {
      d.actions.forEach((action, k) => {
        if (typeof action !== 'object' || !('reallocate' in action)) return;
        for (const campaign of campaigns.values()) {
          if (campaign.template.id === t.id && !campaign.allocationsByName.has(action.reallocate.toLowerCase())) {
            fail(
              `templates[${i}].dispositions[${j}].actions[${k}].reallocate`,
              `campaign ${campaign.id} has no allocation named '${action.reallocate}'`,
            );
          }
        }
      });
    });
  });

  const criteria = compileCriteria(doc.criteria, allocations, fail);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { contactHours, templates, campaigns, allocations, criteria } };
}
