/** The narrow SQL surface the store's hand-written statements need, over postgres.js or PGlite. */
export interface SqlRunner {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * `statements` in one transaction, in order, each with a snapshot of its own, sent together with
   * the transaction's begin and commit: one round trip instead of one per statement. Only for
   * statements whose parameters do not depend on each other's answers. Absent: runTogether runs
   * them one by one in `transaction`.
   */
  pipeline?(statements: readonly Statement[]): Promise<unknown[][]>;
}

export interface Statement {
  text: string;
  params?: readonly unknown[];
}

/** The statements in one transaction, pipelined where the runner can (SqlRunner.pipeline); each one's rows. */
export function runTogether(runner: SqlRunner, statements: readonly Statement[]): Promise<unknown[][]> {
  if (runner.pipeline) return runner.pipeline(statements);
  return runner.transaction(async (tx) => {
    const answers: unknown[][] = [];
    for (const statement of statements) answers.push(await tx.query(statement.text, statement.params));
    return answers;
  });
}

export interface StoreBackend {
  kind: 'pglite' | 'postgres';
  runner: SqlRunner;
  close(): Promise<void>;
}

/** Error fields both drivers report, under their own names. */
export function databaseErrorInfo(error: unknown): { code?: string; constraint?: string; detail?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as { code?: unknown; constraint_name?: unknown; constraint?: unknown; detail?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    detail: typeof e.detail === 'string' ? e.detail : undefined,
    constraint:
      typeof e.constraint_name === 'string' ? e.constraint_name : typeof e.constraint === 'string' ? e.constraint : undefined,
  };
}

export const UNIQUE_VIOLATION = '23505';
/** serialization failure and deadlock: the transaction was rolled back and may simply run again */
export const RETRYABLE_TRANSACTION_CODES = new Set(['40001', '40P01']);

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57P01', '57P02', '57P03', '53300',
]);

/** Errors that mean "the database is not reachable right now", not "this statement is wrong". */
export function isConnectionError(error: unknown): boolean {
  const { code } = databaseErrorInfo(error);
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && /PGlite is closed/i.test(error.message);
}
