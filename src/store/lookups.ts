import type { DncEntry, LeadQuery } from '../pipeline/ports.js';
import { LEAD_COLUMNS, toStoredLead, type LeadRow } from './lead-row.js';
import type { SqlRunner } from './sql-runner.js';

const LEAD_FILTER = `
  ($1::text is null or phones @> array[$1::text])
  and ($2::int is null or allocation_id = $2::int)
  and ($3::text is null or status = $3::text)
  and ($4::timestamptz is null or created_at >= $4::timestamptz)
  and ($5::timestamptz is null or created_at < $5::timestamptz)`;
const COUNT_LEADS = `select count(*)::int as total from leads where ${LEAD_FILTER}`;
const PAGE_LEADS = `select ${LEAD_COLUMNS} from leads where ${LEAD_FILTER} order by id offset $6 limit $7`;

export async function searchLeads(runner: SqlRunner, q: LeadQuery) {
  const filter = [q.e164 ?? null, q.allocationId ?? null, q.status ?? null, q.createdFrom?.toISOString() ?? null, q.createdTo?.toISOString() ?? null];
  const [count] = await runner.query<{ total: number }>(COUNT_LEADS, filter);
  const rows = await runner.query<LeadRow>(PAGE_LEADS, [...filter, q.offset, q.limit]);
  return { total: count?.total ?? 0, entries: rows.map(toStoredLead) };
}

const ADD_DNC = `
insert into dnc (e164, campaign_id, reason, source)
select e164, campaign_id, reason, source from jsonb_to_recordset($1::text::jsonb) as r(e164 text, campaign_id int, reason text, source text)
on conflict do nothing returning e164`;

export async function addDnc(runner: SqlRunner, entries: readonly DncEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await runner.query(ADD_DNC, [JSON.stringify(entries.map((e) => ({ e164: e.e164, campaign_id: e.campaignId, reason: e.reason, source: e.source })))]);
  return rows.length;
}

const FIND_DNC = `
with hits as (
  select * from dnc where ($1::text is null or e164 = $1::text) and ($2::int is null or campaign_id = $2::int)
)
select (select count(*)::int from hits) as total,
       coalesce((select json_agg(json_build_object('e164', e164, 'campaignId', campaign_id, 'reason', reason, 'source', source, 'createdAt', created_at)
                 order by created_at, e164) from (select * from hits order by created_at, e164 offset $3 limit $4) page), '[]') as entries`;

export async function findDnc(runner: SqlRunner, q: { e164?: string; campaignId?: number; offset: number; limit: number }) {
  const [row] = await runner.query<{ total: number; entries: Array<DncEntry & { createdAt: string }> }>(FIND_DNC, [q.e164 ?? null, q.campaignId ?? null, q.offset, q.limit]);
  return { total: row?.total ?? 0, entries: (row?.entries ?? []).map((e) => ({ ...e, createdAt: new Date(e.createdAt) })) };
}

export async function removeDnc(runner: SqlRunner, e164: string, campaignId: number): Promise<number> {
  return (await runner.query('delete from dnc where e164 = $1 and campaign_id = $2 returning e164', [e164, campaignId])).length;
}
