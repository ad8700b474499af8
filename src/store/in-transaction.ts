import { databaseErrorInfo, RETRYABLE_TRANSACTION_CODES, type SqlRunner } from './sql-runner.js';

const ATTEMPTS = 3;

/** Runs `work` again when PostgreSQL rolled it back for a deadlock or a serialization failure. */
export async function retryingRollbacks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const { code } = databaseErrorInfo(error);
      if (attempt >= ATTEMPTS || !code || !RETRYABLE_TRANSACTION_CODES.has(code)) throw error;
    }
  }
}

/** Runs `fn` in a transaction, again when PostgreSQL rolled it back for a deadlock. */
export function inTransaction<T>(runner: SqlRunner, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  return retryingRollbacks(() => runner.transaction(fn));
}
