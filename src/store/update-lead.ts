import { randomUUID } from 'node:crypto';
import type { LeadUpdate, StoredLead, UpdateOutcome } from '../pipeline/ports.js';
import { scopeKeys } from './dedupe-scopes.js';
import { LEAD_COLUMNS, toStoredLead, type LeadRow } from './lead-row.js';
import type { SqlRunner } from './sql-runner.js';

const FIND_BY_EXTERNAL_ID = `select ${LEAD_COLUMNS} from leads where campaign_id = $1 and external_id = $2 and state <> 'reallocated'`;
const FIND_BY_ID = `select ${LEAD_COLUMNS} from leads where id = $1::bigint`;

export async function findLeadByExternalId(runner: SqlRunner, campaignId: number, externalId: string): Promise<StoredLead | null> {
  const [row] = await runner.query<LeadRow>(FIND_BY_EXTERNAL_ID, [campaignId, externalId]);
  return row ? toStoredLead(row) : null;
}

export async function findLeadById(runner: SqlRunner, id: string): Promise<StoredLead | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const [row] = await runner.query<LeadRow>(FIND_BY_ID, [id]);
  return row ? toStoredLead(row) : null;
}

/** The version check makes a concurrent update that read the same version lose (110). */
const UPDATE_LEAD = `
with before as (select allocation_id from leads where id = $1::bigint)
update leads set fields = $3::text::jsonb, phones = $4::text[], disposition = $5::text, callback_at = $6::timestamptz,
  priority = $7::int, contact_hours = $8::text, state = $9::text, version = version + 1, updated_at = now(),
  status = case when $10::boolean then $11::text else status end, allocation_id = coalesce($12::int, allocation_id)
where id = $1::bigint and version = $2::int
returning campaign_id, allocation_id, template_id, external_id, created_at, (select allocation_id from before) as old_allocation_id`;

/** A lead moved to another allocation (Convoso's list_id) leaves its old allocation's scope, for every key. */
const LEAVE_ALLOCATION = `
with phones as (delete from phone_claims where lead_id = $1::bigint and scope = $2::text)
delete from key_claims where lead_id = $1::bigint and scope = $2::text`;

/**
 * Phones the lead no longer has stop being its phones; new ones are registered, never
 * de-duplicated (seed rule), counting from the lead's creation as its other claims do.
 */
const RECLAIM_PHONES = `
with dropped as (
  delete from phone_claims where lead_id = $1::bigint and e164 <> all($2::text[])
)
insert into phone_claims (scope, e164, lead_id, created_at)
select s, p, $1::bigint, $4::timestamptz from unnest($3::text[]) as s cross join unnest($2::text[]) as p
on conflict do nothing`;

/** The same for the other match keys, when the update says what the lead now claims. */
const RECLAIM_KEYS = `
with wanted as (
  select * from unnest($2::text[], $3::text[]) as w(key, value)
), dropped as (
  delete from key_claims c where c.lead_id = $1::bigint
    and (c.scope <> $4::text or not exists (select 1 from wanted w where w.key = c.key and w.value = c.value))
)
insert into key_claims (scope, key, value, lead_id, created_at)
select $4::text, key, value, $1::bigint, $5::timestamptz from wanted
on conflict do nothing`;

const INSERT_CALL_RECORD = `
insert into call_records (lead_id, disposition, changes, source) values ($1::bigint, $2::text, $3::text::jsonb, $4::text)`;

const ADD_TO_DNC = `
insert into dnc (e164, campaign_id, reason, source) select p, 0, $2::text, $3::text from unnest($1::text[]) as p
on conflict do nothing`;

const ENQUEUE = `
insert into outbox (delivery_id, kind, target, payload)
select d, 'webhook', t, p from jsonb_to_recordset($1::text::jsonb) as r(d text, t text, p jsonb)`;

/** The update follows the lead's insert to each destination it was forwarded to (SPEC 10.2 point 5). */
const FORWARD_UPDATE = `
insert into deliveries (lead_id, destination, event, route, payload)
select $1::bigint, i.destination, 'update', i.route, $3::text::jsonb
from (select distinct on (destination) destination, route from deliveries
      where lead_id = $1::bigint and event = 'insert' and destination = any($2::text[]) order by destination, id) i`;

/**
 * The copy takes over the external id and the campaign-wide and global claims (phones and other
 * keys, counting from the copy's creation); the original keeps its claims in its own allocation,
 * where it still exists (as reallocated).
 */
const REALLOCATE = `
with original as (
  update leads set state = 'reallocated' where id = $1::bigint
  returning template_id, campaign_id, external_id, status, priority, contact_hours, fields, phones
), copy as (
  insert into leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
  select template_id, campaign_id, $2::int, external_id, null, $3::timestamptz, priority, contact_hours, fields, phones from original
  returning id, phones, created_at
), moved as (
  update phone_claims set lead_id = (select id from copy), created_at = (select created_at from copy)
  where lead_id = $1::bigint and scope = any($4::text[])
), moved_keys as (
  update key_claims set lead_id = (select id from copy), created_at = (select created_at from copy)
  where lead_id = $1::bigint and scope = any($4::text[])
)
select (select id::text from copy) as id`;

/** The copy's own allocation: its phones, and the keys the original claimed in its allocation. */
const CLAIM_COPY_ALLOCATION = `
with copy as (select id, created_at from leads where id = $1::bigint), phones as (
  insert into phone_claims (scope, e164, lead_id, created_at)
  select $2::text, p, copy.id, copy.created_at from copy cross join unnest($3::text[]) as p on conflict do nothing
)
insert into key_claims (scope, key, value, lead_id, created_at)
select $2::text, c.key, c.value, copy.id, copy.created_at from copy cross join key_claims c
where c.lead_id = $4::bigint and c.scope = $5::text
on conflict do nothing`;

export async function updateLeadInTransaction(tx: SqlRunner, update: LeadUpdate): Promise<UpdateOutcome> {
  const [updated] = await tx.query<{ campaign_id: number; allocation_id: number; template_id: number; created_at: Date; old_allocation_id: number }>(UPDATE_LEAD, [
    update.leadId,
    update.expectedVersion,
    JSON.stringify(update.fields),
    update.phones,
    update.disposition,
    update.callbackAt?.toISOString() ?? null,
    update.priority,
    update.contactHours,
    update.state,
    update.status !== undefined,
    update.status ?? null,
    update.allocationId ?? null,
  ]);
  if (!updated) return { kind: 'conflict' };
  if (updated.old_allocation_id !== updated.allocation_id) {
    await tx.query(LEAVE_ALLOCATION, [update.leadId, scopeKeys({ campaignId: updated.campaign_id, allocationId: updated.old_allocation_id }).allocation]);
  }
  const keys = scopeKeys({ campaignId: updated.campaign_id, allocationId: updated.allocation_id });
  const createdAt = new Date(updated.created_at).toISOString();
  await tx.query(RECLAIM_PHONES, [update.leadId, update.phones, [keys.allocation, keys.campaign, keys.global], createdAt]);
  if (update.keys) {
    const claims = update.keys.claims;
    await tx.query(RECLAIM_KEYS, [update.leadId, claims.map((c) => c.key), claims.map((c) => c.value), keys[update.keys.scope], createdAt]);
  }
  await tx.query(INSERT_CALL_RECORD, [update.leadId, update.callRecord.disposition, JSON.stringify(update.callRecord.changes), update.callRecord.source]);
  if (update.addToDnc && update.phones.length > 0) await tx.query(ADD_TO_DNC, [update.phones, update.addToDnc.reason, update.addToDnc.source]);
  if (update.webhooks.length > 0) {
    await tx.query(ENQUEUE, [JSON.stringify(update.webhooks.map((w) => ({ d: randomUUID(), t: w.connect, p: w.payload })))]);
  }
  if (update.forward && update.forward.destinations.length > 0) {
    await tx.query(FORWARD_UPDATE, [update.leadId, update.forward.destinations, JSON.stringify(update.forward.payload)]);
  }
  if (!update.reallocateTo) return { kind: 'updated', leadId: update.leadId };

  const [copy] = await tx.query<{ id: string }>(REALLOCATE, [
    update.leadId,
    update.reallocateTo.allocationId,
    update.reallocateTo.callbackAt?.toISOString() ?? null,
    [keys.campaign, keys.global],
  ]);
  const target = scopeKeys({ campaignId: updated.campaign_id, allocationId: update.reallocateTo.allocationId });
  await tx.query(CLAIM_COPY_ALLOCATION, [copy!.id, target.allocation, update.phones, update.leadId, keys.allocation]);
  return { kind: 'updated', leadId: copy!.id };
}
