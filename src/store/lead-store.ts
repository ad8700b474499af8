import { insertDecisionOutcome, type DecisionWithoutLead, type InsertOutcome, type LeadStore, type NewLead, type Precheck } from '../pipeline/ports.js';
import { applyDecisionEffects, hasDecisionEffects } from './decision-effects.js';
import { scopeKeys } from './dedupe-scopes.js';
import { createBackfillRunner, type BackfillRunnerOptions } from './dedupe-backfill.js';
import { guardedRunner } from './guarded-runner.js';
import { insertLeadBatch } from './insert-batch.js';
import { precheckLeads } from './precheck.js';
import { closeLead, findClosedLeadByPhone } from './close-lead.js';
import { addDnc, findDnc, insertDnc, removeDnc, searchLeads, updateDnc } from './lookups.js';
import { findLeadByExternalId, findLeadById, updateLeadInTransaction } from './update-lead.js';
import { createGroupCommit, DEFAULT_GROUP_COMMIT, type GroupCommitOptions } from './group-commit.js';
import { inTransaction, retryingRollbacks } from './in-transaction.js';
import { insertOneLead } from './insert-one.js';
import { fitsOneStatement, insertGroup } from './insert-group.js';
import type { SqlRunner } from './sql-runner.js';

export interface LeadStoreOptions {
  groupCommit?: GroupCommitOptions;
  /** how the prechecks of concurrent single-lead requests go in one statement (default PRECHECK_GROUPING) */
  precheckGrouping?: GroupCommitOptions;
  /**
   * Creation time of new leads (and the "now" their windows count back from); absent: the
   * database's now(). Tests inject one to stand at a window's edge.
   */
  clock?: () => Date;
  /** the background build of claims a rules change asks for (dedupe-backfill.ts); false: none */
  backfill?: false | BackfillRunnerOptions;
}

/*
 * One precheck at a time: a precheck is a read with no commit to wait for, so its round trip is
 * short, and every precheck that arrives meanwhile goes in the next statement. On a busy machine
 * each round trip costs a wake-up of a PostgreSQL backend; with the inserts' four slots most
 * prechecks found a free one and went alone (bench dupcheck: leadgate 1.14 -> 0.91 ms and
 * PostgreSQL 0.50 -> 0.44 ms CPU per checked insert).
 */
export const PRECHECK_GROUPING: GroupCommitOptions = { concurrentGroups: 1, maxGroupSize: 200 };

export function createLeadStore(backendRunner: SqlRunner, options: LeadStoreOptions = {}): LeadStore {
  const runner = guardedRunner(backendRunner);
  const backfill = options.backfill === false ? undefined : createBackfillRunner(runner, options.backfill ?? {});
  const writeBatch = (leads: readonly NewLead[]) =>
    inTransaction(runner, async (tx) => {
      const outcomes = await insertLeadBatch(tx, leads, options.clock);
      const effects = leads.flatMap((lead, i) => {
        const outcome = outcomes[i]!;
        if (!hasDecisionEffects(lead)) return [];
        const created = outcome.kind === 'inserted';
        return [
          {
            phones: lead.phones,
            leadId: created ? outcome.leadId : null,
            outcome: insertDecisionOutcome(outcome),
            addToDnc: created ? lead.addToDnc : undefined,
            decision: lead.decision,
            duplicate: outcome,
          },
        ];
      });
      await applyDecisionEffects(tx, effects);
      return outcomes;
    });
  // A lone lead is one statement and one round trip, its duplicate-check effects included; that
  // statement can still deadlock with a concurrent group that locks the same external ids in
  // another order, hence the retry.
  const writeOne = (lead: NewLead): Promise<InsertOutcome> => retryingRollbacks(() => insertOneLead(runner, lead, options.clock));
  // A group of single leads is one statement when it can be (insert-group.ts), the taken leads it
  // could not answer then written alone; the batch path when it cannot be, or when that statement
  // met a conflict and wrote nothing.
  const writeGroup = async (leads: readonly NewLead[]): Promise<InsertOutcome[]> => {
    const grouped = fitsOneStatement(leads) ? await insertGroup(runner, leads, options.clock) : null;
    if (!grouped) return writeBatch(leads);
    return Promise.all(grouped.map(async (outcome, i) => outcome ?? writeOne(leads[i]!)));
  };
  const insertSingle = createGroupCommit({ one: writeOne, many: writeGroup }, options.groupCommit ?? DEFAULT_GROUP_COMMIT);
  // The prechecks of concurrent single-lead requests are grouped the same way: one statement (one
  // round trip, one parse of its input) answers every precheck that waited for a free slot.
  const precheckMany = (leads: readonly NewLead[]) => precheckLeads(runner, leads, options.clock);
  const precheckSingle = createGroupCommit(
    { one: async (lead: NewLead): Promise<Precheck> => (await precheckMany([lead]))[0] ?? null, many: precheckMany },
    options.precheckGrouping ?? PRECHECK_GROUPING,
  );

  return {
    async insertLeads(leads: readonly NewLead[]): Promise<InsertOutcome[]> {
      if (leads.length === 0) return [];
      // single leads from concurrent requests are group-committed; a batch is its own group
      if (leads.length === 1) return [await insertSingle(leads[0]!)];
      return writeBatch(leads);
    },
    async precheckLeads(leads: readonly NewLead[]) {
      return leads.length === 1 ? [await precheckSingle(leads[0]!)] : precheckMany(leads);
    },
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
    closeLead: (leadId, source, status) => closeLead(runner, leadId, source, status),
    findClosedLeadByPhone: (phones, scope, target) => findClosedLeadByPhone(runner, phones, scope, target),
    addDnc: (entries) => addDnc(runner, entries),
    insertDnc: (entry) => insertDnc(runner, entry),
    updateDnc: (id, change) => updateDnc(runner, id, change),
    findDnc: (query) => findDnc(runner, query),
    removeDnc: (e164, campaignId) => removeDnc(runner, e164, campaignId),
    // A lost race writes nothing: the version-checked UPDATE is the transaction's first statement.
    updateLead: (update) => inTransaction(runner, (tx) => updateLeadInTransaction(tx, update)),
    async ping() {
      await runner.query('select 1');
    },
    noteRules: (templates) => backfill?.noteRules(templates),
  };
}
