import { AsyncLocalStorage } from 'node:async_hooks';
import { runTogether, type SqlRunner } from '../sql-runner.js';

/**
 * One SqlRunner for the app's whole life whose statements go to the connection of the request
 * they run for. On Workers a database socket belongs to the request that opened it (another
 * request may not use it), so each request brings its own postgres.js client; the app, its
 * routes, rules and CRM client are built once per isolate and never see the difference.
 */
export interface RequestScope {
  runner: SqlRunner;
  run<T>(runner: SqlRunner, fn: () => T): T;
}

export function createRequestScope(): RequestScope {
  const storage = new AsyncLocalStorage<SqlRunner>();
  const current = (): SqlRunner => {
    const runner = storage.getStore();
    if (!runner) throw new Error('the store was used outside a request scope');
    return runner;
  };
  return {
    runner: {
      query: <R extends object>(text: string, params?: readonly unknown[]) => current().query<R>(text, params),
      transaction: <T>(fn: (tx: SqlRunner) => Promise<T>) => current().transaction(fn),
      pipeline: (statements) => runTogether(current(), statements),
    },
    run: (runner, fn) => storage.run(runner, fn),
  };
}
