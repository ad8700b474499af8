import type { AdminStore, AuditEntry, DecisionQuery, StoredAuditEntry, StoredDecision } from '../admin/ports.js';
import type { DncEntry } from '../pipeline/ports.js';
import { guardedRunner } from './guarded-runner.js';
import { addDnc, removeDnc } from './lookups.js';
import type { SqlRunner } from './sql-runner.js';

const INSERT_AUDIT = `
insert into audit_log (actor, action, target, before_sha256, after_sha256, detail, request_id)
values ($1, $2, $3, $4, $5, $6::text::jsonb, $7)`;

/** One audit row; callers run it in the transaction of the change it records. */
export function writeAudit(runner: SqlRunner, e: AuditEntry) {
  return runner.query(INSERT_AUDIT, [e.actor, e.action, e.target, e.beforeSha256 ?? null, e.afterSha256 ?? null, e.detail ? JSON.stringify(e.detail) : null, e.requestId ?? null]);
}

const DECISION_FILTER = `
  ($1::text is null or phone = $1::text)
  and ($2::text is null or outcome = $2::text)
  and ($3::text is null or connect = $3::text)
  and ($4::timestamptz is null or created_at >= $4::timestamptz)
  and ($5::timestamptz is null or created_at < $5::timestamptz)`;
const DECISION_COLUMNS = `id::text as id, lead_id::text as "leadId", phone, entry_point as "entryPoint", connect, request,
  crm_status as "crmStatus", latency_ms as "latencyMs", answer, matched_row as "matchedRow", values, outcome, decision,
  matched_on as "matchedOn", matched_lead_id::text as "matchedLeadId", created_at as "createdAt"`;

const AUDIT_COLUMNS = `id::text as id, actor, action, target, before_sha256 as "beforeSha256", after_sha256 as "afterSha256", detail,
  request_id as "requestId", created_at as "createdAt"`;

const toDate = (value: unknown) => (value instanceof Date ? value : new Date(String(value)));

/** The admin API's statements; decisions newest first, so the first page is what just happened. */
export function createAdminStore(backendRunner: SqlRunner): AdminStore {
  const runner = guardedRunner(backendRunner);
  return {
    async findDecisions(q: DecisionQuery) {
      const filter = [q.e164 ?? null, q.outcome ?? null, q.connect ?? null, q.from?.toISOString() ?? null, q.to?.toISOString() ?? null];
      const [count] = await runner.query<{ total: number }>(`select count(*)::int as total from decision_records where ${DECISION_FILTER}`, filter);
      const rows = await runner.query<StoredDecision>(
        `select ${DECISION_COLUMNS} from decision_records where ${DECISION_FILTER} order by id desc offset $6 limit $7`,
        [...filter, q.offset, q.limit],
      );
      return { total: count?.total ?? 0, entries: rows.map((r) => ({ ...r, createdAt: toDate(r.createdAt) })) };
    },
    async listAudit(q) {
      const [count] = await runner.query<{ total: number }>('select count(*)::int as total from audit_log');
      const rows = await runner.query<StoredAuditEntry>(`select ${AUDIT_COLUMNS} from audit_log order by id desc offset $1 limit $2`, [q.offset, q.limit]);
      return { total: count?.total ?? 0, entries: rows.map((r) => ({ ...r, createdAt: toDate(r.createdAt) })) };
    },
    recordAudit: async (entry) => {
      await writeAudit(runner, entry);
    },
    addDnc: (entry: DncEntry, audit) =>
      runner.transaction(async (tx) => {
        const added = (await addDnc(tx, [entry])) === 1;
        await writeAudit(tx, { ...audit, detail: { ...audit.detail, added } });
        return added;
      }),
    removeDnc: (e164, campaignId, audit) =>
      runner.transaction(async (tx) => {
        const removed = (await removeDnc(tx, e164, campaignId)) > 0;
        if (removed) await writeAudit(tx, audit);
        return removed;
      }),
    createApiKey: (key, audit) =>
      runner.transaction(async (tx) => {
        const [row] = await tx.query<{ id: string }>('insert into api_keys (key_hash, prefix, label) values ($1, $2, $3) returning id::text as id', [key.keyHash, key.prefix, key.label]);
        await writeAudit(tx, audit(row!.id));
        return row!.id;
      }),
    revokeApiKey: (id, audit) =>
      runner.transaction(async (tx) => {
        const [row] = await tx.query<{ key_hash: string }>(
          'update api_keys set revoked_at = now() where id = $1::bigint and revoked_at is null returning key_hash',
          [id],
        );
        if (row) await writeAudit(tx, audit);
        return row?.key_hash ?? null;
      }),
    async findApiKey(keyHash) {
      const [row] = await runner.query<{ id: string }>('select id::text as id from api_keys where key_hash = $1 and revoked_at is null', [keyHash]);
      return row ?? null;
    },
    async listApiKeys() {
      const rows = await runner.query<{ id: string; prefix: string; label: string | null; createdAt: unknown; revokedAt: unknown }>(
        'select id::text as id, prefix, label, created_at as "createdAt", revoked_at as "revokedAt" from api_keys order by id',
      );
      return rows.map((r) => ({ ...r, createdAt: toDate(r.createdAt), revokedAt: r.revokedAt == null ? null : toDate(r.revokedAt) }));
    },
  };
}
