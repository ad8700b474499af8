import type { LeadQuery } from '../../pipeline/ports.js';
import type { Dialer } from '../../ruleset/dialer.js';
import { ALT_PHONES, e164Of } from './fields.js';
import { convosoError, type ConvosoAnswer } from './render.js';

const ID = /^\s*\d{1,18}\s*$/;

/** offset and limit as Convoso reads them: whole numbers, limit from 1 to `max` (7231, 7258). */
export function paging(p: Record<string, string>, defaults: { limit: number; max: number }): { offset: number; limit: number } | ConvosoAnswer {
  const offset = p.offset?.trim() ? Number(p.offset.trim()) : 0;
  const limit = p.limit?.trim() ? Number(p.limit.trim()) : defaults.limit;
  if (!Number.isSafeInteger(offset) || offset < 0 || !/^\s*\d*\s*$/.test(p.offset ?? '')) return convosoError('invalidOffset');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > defaults.max || !/^\s*\d*\s*$/.test(p.limit ?? '')) return convosoError('invalidLimit', `limit must be a whole number from 1 to ${defaults.max}`);
  return { offset, limit };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/;

/**
 * A Convoso date, `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, in UTC, as a half-open bound: a start is
 * the instant itself; an end given as a day covers that whole day, given with a time that second.
 */
export function dateBound(text: string | undefined, name: string, end: boolean): Date | undefined | ConvosoAnswer {
  const t = text?.trim();
  if (!t) return undefined;
  const m = DATE.exec(t);
  const at = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0))) : undefined;
  const real = at && at.getUTCDate() === Number(m![3]) && at.getUTCHours() === Number(m![4] ?? 0) && at.getUTCMinutes() === Number(m![5] ?? 0) && at.getUTCSeconds() === Number(m![6] ?? 0);
  if (!at || !real) return convosoError('invalidDate', `${name} must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got '${t}'`);
  if (!end) return at;
  return new Date(at.getTime() + (m![4] === undefined ? 86_400_000 : 1000));
}

/** Convoso's search filters that are plain lead fields, compared trimmed and case-insensitively. */
export const FIELD_FILTERS = [
  'owner_id',
  'user_id',
  'created_by',
  'last_modified_by',
  'first_name',
  'last_name',
  'email',
  'address1',
  'address2',
  'city',
  'state',
  'province',
  'postal_code',
  'country',
  'gender',
  'date_of_birth',
] as const;

export const DATE_FILTERS = ['created_at_start_date', 'created_at_end_date', 'updated_at_start_date', 'updated_at_end_date'] as const;

const isAnswer = (value: unknown): value is ConvosoAnswer => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/** Every documented /v1/leads/search filter as a store query (SPEC 4); a filter that cannot match answers no leads. */
export function leadQuery(p: Record<string, string>, dialer: Dialer): { query: LeadQuery } | ConvosoAnswer {
  const page = paging(p, { limit: 10, max: 2000 });
  if (isAnswer(page)) return page;
  // created_at_start / created_at_end: the names leadgate read before, still understood
  const bounds = [
    dateBound(p.created_at_start_date ?? p.created_at_start, 'created_at_start_date', false),
    dateBound(p.created_at_end_date ?? p.created_at_end, 'created_at_end_date', true),
    dateBound(p.updated_at_start_date, 'updated_at_start_date', false),
    dateBound(p.updated_at_end_date, 'updated_at_end_date', true),
  ];
  const refused = bounds.find(isAnswer);
  if (refused) return refused;
  const [createdFrom, createdTo, updatedFrom, updatedTo] = bounds as Array<Date | undefined>;

  const query: LeadQuery = { ...page, createdFrom, createdTo, updatedFrom, updatedTo };
  const nothing = (): { query: LeadQuery } => ({ query: { ...query, leadId: '0' } });
  const leadId = p.lead_id?.trim();
  if (leadId) {
    if (!ID.test(leadId)) return nothing();
    query.leadId = leadId;
  }
  const listId = p.list_id?.trim();
  if (listId) {
    if (!/^\d{1,9}$/.test(listId) || !dialer.allocations.has(Number(listId))) return convosoError('noSuchList');
    query.allocationId = Number(listId);
  }
  if (p.status?.trim()) query.status = p.status.trim();
  // a national number without phone_code is read as Convoso reads it: calling code 1
  const phone = e164Of(p.phone_number, p.phone_code || '1', 'US');
  if (phone === null) return convosoError('invalidPhone');
  if (phone) query.e164 = phone;
  const fields: Record<string, string> = {};
  for (const name of FIELD_FILTERS) if (p[name]?.trim()) fields[name] = p[name];
  query.fields = fields;
  const anyOf: Record<string, string[]> = {};
  for (const name of ALT_PHONES) {
    const text = p[name]?.trim();
    if (!text) continue;
    const e164 = e164Of(text, p.phone_code || '1', 'US');
    anyOf[name] = e164 ? [text, e164] : [text];
  }
  query.fieldsAnyOf = anyOf;
  return { query };
}
