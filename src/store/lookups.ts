import type { DncChange, DncEntry, DncQuery, LeadQuery } from '../pipeline/ports.js';
import { LEAD_COLUMNS, toStoredLead, type LeadRow } from './lead-row.js';
import type { SqlRunner } from './sql-runner.js';

/*
 * One statement shape for every combination of filters: a filter left null matches all. Field
 * filters come as one jsonb object (name → value), compared trimmed and case-insensitively, so a
 * new Convoso filter needs no new SQL. `order by leads.id`: the bare `id` would be the text output
 * column, and ids would sort as text (1, 10, 11, 2).
 */
const LEAD_FILTER = `
  ($1::text is null or phones @> array[$1::text])
  and ($2::int is null or allocation_id = $2::int)
  and ($3::text is null or status = $3::text)
  and ($4::timestamptz is null or created_at >= $4::timestamptz)
  and ($5::timestamptz is null or created_at < $5::timestamptz)
  and ($6::bigint is null or leads.id = $6::bigint)
  and ($7::int is null or campaign_id = $7::int)
  and ($8::text is null or state = $8::text)
  and ($9::timestamptz is null or updated_at >= $9::timestamptz)
  and ($10::timestamptz is null or updated_at < $10::timestamptz)
  and not exists (select 1 from jsonb_each_text($11::text::jsonb) f where lower(btrim(coalesce(fields->>f.key, ''))) <> lower(btrim(f.value)))
  and not exists (select 1 from jsonb_each($12::text::jsonb) f where not (f.value ? coalesce(fields->>f.key, '')))`;
const COUNT_LEADS = `select count(*)::int as total from leads where ${LEAD_FILTER}`;
const PAGE_LEADS = `select ${LEAD_COLUMNS}, updated_at from leads where ${LEAD_FILTER} order by leads.id offset $13 limit $14`;

export async function searchLeads(runner: SqlRunner, q: LeadQuery) {
  const iso = (d: Date | undefined) => d?.toISOString() ?? null;
  const filter = [
    q.e164 ?? null,
    q.allocationId ?? null,
    q.status ?? null,
    iso(q.createdFrom),
    iso(q.createdTo),
    q.leadId ?? null,
    q.campaignId ?? null,
    q.state ?? null,
    iso(q.updatedFrom),
    iso(q.updatedTo),
    JSON.stringify(q.fields ?? {}),
    JSON.stringify(q.fieldsAnyOf ?? {}),
  ];
  const [count] = await runner.query<{ total: number }>(COUNT_LEADS, filter);
  const rows = await runner.query<LeadRow & { updated_at: Date }>(PAGE_LEADS, [...filter, q.offset, q.limit]);
  return { total: count?.total ?? 0, entries: rows.map((row) => ({ ...toStoredLead(row), updatedAt: row.updated_at })) };
}

const ADD_DNC = `
insert into dnc (e164, campaign_id, reason, source, purpose)
select e164, campaign_id, reason, source, purpose from jsonb_to_recordset($1::text::jsonb) as r(e164 text, campaign_id int, reason text, source text, purpose text)
on conflict do nothing returning id::text`;

const dncRecord = (e: DncEntry) => ({ e164: e.e164, campaign_id: e.campaignId, reason: e.reason, source: e.source, purpose: e.purpose ?? null });

export async function addDnc(runner: SqlRunner, entries: readonly DncEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await runner.query(ADD_DNC, [JSON.stringify(entries.map(dncRecord))]);
  return rows.length;
}

export async function insertDnc(runner: SqlRunner, entry: DncEntry): Promise<string | null> {
  const [row] = await runner.query<{ id: string }>(ADD_DNC, [JSON.stringify([dncRecord(entry)])]);
  return row?.id ?? null;
}

/** One statement: a change that would make the entry equal another one hits the primary key (clash). */
const UPDATE_DNC = `
update dnc set e164 = coalesce($2::text, e164), campaign_id = coalesce($3::int, campaign_id),
  reason = case when $4::boolean then $5::text else reason end, purpose = case when $6::boolean then $7::text else purpose end
where id = $1::bigint returning id`;

export async function updateDnc(runner: SqlRunner, id: string, change: DncChange): Promise<'updated' | 'notFound' | 'clash'> {
  if (!/^\d{1,18}$/.test(id)) return 'notFound';
  try {
    const rows = await runner.query(UPDATE_DNC, [id, change.e164 ?? null, change.campaignId ?? null, change.reason !== undefined, change.reason ?? null, change.purpose !== undefined, change.purpose ?? null]);
    return rows.length > 0 ? 'updated' : 'notFound';
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') return 'clash';
    throw error;
  }
}

const FIND_DNC = `
with hits as (
  select * from dnc where ($1::text is null or e164 = $1::text) and ($2::int is null or campaign_id = $2::int)
    and ($5::bigint is null or id = $5::bigint)
    and ($6::text is null or ($6 = 'blank' and coalesce(reason, '') = '') or ($6 = 'notBlank' and coalesce(reason, '') <> '') or ($6 = 'is' and reason = $7::text))
    and ($8::text is null or purpose = $8::text)
    and ($9::timestamptz is null or created_at >= $9::timestamptz) and ($10::timestamptz is null or created_at < $10::timestamptz)
)
select (select count(*)::int from hits) as total,
       coalesce((select json_agg(json_build_object('id', id::text, 'e164', e164, 'campaignId', campaign_id, 'reason', reason, 'purpose', purpose, 'source', source, 'createdAt', created_at)
                 order by id) from (select * from hits order by id offset $3 limit $4) page), '[]') as entries`;

export async function findDnc(runner: SqlRunner, q: DncQuery) {
  const reason = q.reason === undefined ? null : typeof q.reason === 'string' ? 'is' : q.reason.blank ? 'blank' : 'notBlank';
  const [row] = await runner.query<{ total: number; entries: Array<DncEntry & { id: string; createdAt: string }> }>(FIND_DNC, [
    q.e164 ?? null,
    q.campaignId ?? null,
    q.offset,
    q.limit,
    q.id !== undefined && /^\d{1,18}$/.test(q.id) ? q.id : q.id !== undefined ? '-1' : null,
    reason,
    typeof q.reason === 'string' ? q.reason : null,
    q.purpose ?? null,
    q.insertedFrom?.toISOString() ?? null,
    q.insertedTo?.toISOString() ?? null,
  ]);
  return { total: row?.total ?? 0, entries: (row?.entries ?? []).map((e) => ({ ...e, createdAt: new Date(e.createdAt) })) };
}

export async function removeDnc(runner: SqlRunner, e164: string, campaignId: number): Promise<number> {
  return (await runner.query('delete from dnc where e164 = $1 and campaign_id = $2 returning e164', [e164, campaignId])).length;
}
