import { INSERT_DECISION_OUTCOME, type DecisionWithoutLead, type InsertOutcome, type LeadStore, type NewLead } from '../pipeline/ports.js';
import { applyDecisionEffects } from './decision-effects.js';
import { scopeKeys } from './dedupe-scopes.js';
import { guardedRunner } from './guarded-runner.js';
import { insertLeadBatch } from './insert-batch.js';
import { insertOneLead } from './insert-one.js';
import { precheckLeads } from './precheck.js';
import { addDnc, findDnc, removeDnc, searchLeads } from './lookups.js';
import { findLeadByExternalId, findLeadById, updateLeadInTransaction } from './update-lead.js';
import { databaseErrorInfo, RETRYABLE_TRANSACTION_CODES, type SqlRunner } from './sql-runner.js';

const TRANSACTION_ATTEMPTS = 3;

/** Runs `fn` in a transaction, again when PostgreSQL rolled it back for a deadlock. */
async function inTransaction<T>(runner: SqlRunner, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runner.transaction(fn);
    } catch (error) {
      const { code } = databaseErrorInfo(error);
      if (attempt >= TRANSACTION_ATTEMPTS || !code || !RETRYABLE_TRANSACTION_CODES.has(code)) throw error;
    }
  }
}

const hasEffects = (lead: NewLead) => lead.addToDnc !== undefined || lead.decision !== undefined;

export function createLeadStore(backendRunner: SqlRunner): LeadStore {
  const runner = guardedRunner(backendRunner);
  return {
    async insertLeads(leads: readonly NewLead[]): Promise<InsertOutcome[]> {
      if (leads.length === 0) return [];
      // The hot path: a plain single lead is one statement and one round trip.
      if (leads.length === 1 && !hasEffects(leads[0]!)) return [await insertOneLead(runner, leads[0]!)];
      return inTransaction(runner, async (tx) => {
        const outcomes = await insertLeadBatch(tx, leads);
        const effects = leads.flatMap((lead, i) => {
          const outcome = outcomes[i]!;
          if (!hasEffects(lead)) return [];
          const created = outcome.kind === 'inserted';
          return [
            {
              phones: lead.phones,
              leadId: created ? outcome.leadId : null,
              outcome: INSERT_DECISION_OUTCOME[outcome.kind],
              addToDnc: created ? lead.addToDnc : undefined,
              decision: lead.decision,
            },
          ];
        });
        await applyDecisionEffects(tx, effects);
        return outcomes;
      });
    },
    precheckLeads: (leads) => precheckLeads(runner, leads),
    async recordDecisions(entries: readonly DecisionWithoutLead[]) {
      if (entries.length === 0) return;
      await inTransaction(runner, (tx) => applyDecisionEffects(tx, entries.map((e) => ({ ...e, leadId: null }))));
    },
    findLeadByExternalId: (campaignId, externalId) => findLeadByExternalId(runner, campaignId, externalId),
    findLeadById: (id) => findLeadById(runner, id),
    async findLeadByPhone(phones, scope, target) {
      const [row] = await runner.query<{ lead_id: string }>('select lead_id::text from phone_claims where scope = $1 and e164 = any($2::text[]) order by lead_id limit 1', [
        scopeKeys(target)[scope],
        phones,
      ]);
      return row?.lead_id ?? null;
    },
    applyRecheck: (recheck) =>
      inTransaction(runner, async (tx) => {
        if (recheck.status !== undefined) await tx.query('update leads set status = $2, updated_at = now() where id = $1::bigint', [recheck.leadId, recheck.status]);
        await applyDecisionEffects(tx, [{ ...recheck, outcome: 'rechecked' }]);
      }),
    searchLeads: (query) => searchLeads(runner, query),
    addDnc: (entries) => addDnc(runner, entries),
    findDnc: (query) => findDnc(runner, query),
    removeDnc: (e164, campaignId) => removeDnc(runner, e164, campaignId),
    // A lost race writes nothing: the version-checked UPDATE is the transaction's first statement.
    updateLead: (update) => inTransaction(runner, (tx) => updateLeadInTransaction(tx, update)),
    async ping() {
      await runner.query('select 1');
    },
  };
}
