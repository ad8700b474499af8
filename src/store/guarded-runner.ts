import { StoreUnavailableError } from '../pipeline/ports.js';
import { isConnectionError, type SqlRunner, type Statement } from './sql-runner.js';

function guard(error: unknown): never {
  throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
}

/** Turns connection failures into StoreUnavailableError, which callers answer as retryable. */
export function guardedRunner(runner: SqlRunner): SqlRunner {
  return {
    query: <R extends object>(text: string, params?: readonly unknown[]) => runner.query<R>(text, params).catch(guard),
    transaction: <T>(fn: (tx: SqlRunner) => Promise<T>) => runner.transaction(fn).catch(guard),
    ...(runner.pipeline ? { pipeline: (statements: readonly Statement[]) => runner.pipeline!(statements).catch(guard) } : {}),
  };
}
