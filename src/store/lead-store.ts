import type { InsertOutcome, LeadStore, NewLead } from '../pipeline/ports.js';
import { insertLeadBatch } from './insert-batch.js';
import { insertOneLead } from './insert-one.js';
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

export function createLeadStore(runner: SqlRunner): LeadStore {
  return {
    async insertLeads(leads: readonly NewLead[]): Promise<InsertOutcome[]> {
      if (leads.length === 0) return [];
      if (leads.length === 1) return [await insertOneLead(runner, leads[0]!)];
      return inTransaction(runner, (tx) => insertLeadBatch(tx, leads));
    },
    async ping() {
      await runner.query('select 1');
    },
  };
}
