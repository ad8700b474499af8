import { parse as pgliteParse, protocol, type PGlite } from '@electric-sql/pglite';
import { concatChunks } from '../../lib/bytes.js';

const { serialize } = protocol;

/**
 * Most statements kept prepared per PGlite instance. The store's statements are fixed texts (a few
 * dozen); the bound only matters for a caller that builds texts, whose plans would otherwise pile
 * up in the WASM memory, which never shrinks.
 */
const MAX_PREPARED = 128;

/** SQLSTATE invalid_sql_statement_name: the named statement is gone (DEALLOCATE, DISCARD ALL) */
const NO_SUCH_STATEMENT = '26000';

interface Prepared {
  name: string;
  /** parameter type OIDs, to serialise the values as PGlite's own query() does */
  types: number[];
}

interface Statements {
  byText: Map<string, Prepared>;
  sequence: number;
  /** names of statements evicted from the cache, closed with the next message sent */
  toClose: string[];
}

const perInstance = new WeakMap<PGlite, Statements>();

/** in the statements' names: another copy of this module (a second bundle) on the same PGlite keeps names of its own */
const MODULE_TAG = Math.random().toString(36).slice(2, 8);

function statementsOf(pg: PGlite): Statements {
  let statements = perInstance.get(pg);
  if (!statements) {
    statements = { byText: new Map(), sequence: 0, toClose: [] };
    perInstance.set(pg, statements);
  }
  return statements;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => concatChunks(parts, parts.reduce((length, part) => length + part.byteLength, 0));

/** The Close messages of the statements evicted since the last message (sent ahead of it). */
function closing(statements: Statements): Uint8Array[] {
  return statements.toClose.splice(0).map((name) => serialize.close({ type: 'S', name }));
}

async function prepare(pg: PGlite, statements: Statements, text: string, syncToFs: boolean): Promise<Prepared> {
  const name = `leadgate_${MODULE_TAG}_${(statements.sequence += 1)}`;
  const { messages } = await pg.execProtocol(
    concat([...closing(statements), serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]),
    { syncToFs },
  );
  const prepared = { name, types: pgliteParse.parseDescribeStatementResults(messages) };
  statements.byText.set(text, prepared);
  if (statements.byText.size > MAX_PREPARED) {
    const [oldestText, oldest] = statements.byText.entries().next().value!;
    statements.byText.delete(oldestText);
    statements.toClose.push(oldest.name);
  }
  return prepared;
}

async function execute<R>(pg: PGlite, prepared: Prepared, params: readonly unknown[], syncToFs: boolean, closes: Uint8Array[]): Promise<R[]> {
  const values = params.map((value, i) => {
    if (value === null || value === undefined) return null;
    const serializer = pg.serializers[prepared.types[i]!];
    return serializer ? serializer(value) : String(value);
  });
  // Bind, Describe, Execute and Sync in one message: PostgreSQL's main loop runs them in one pass
  const { messages } = await pg.execProtocol(
    concat([...closes, serialize.bind({ statement: prepared.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]),
    { syncToFs },
  );
  return pgliteParse.parseResults(messages, pg.parsers)[0]!.rows as R[];
}

/**
 * One statement as a named prepared statement: parsed, analysed and planned by PostgreSQL the first
 * time its text is seen on this PGlite instance, then only bound and executed, as postgres.js does
 * on a server connection. PGlite's own query() sends every statement as the unnamed one, so each
 * call re-parses and re-plans it; for the single-lead insert (one statement of a dozen CTEs) that
 * was about two thirds of the CPU the embedded store spent per lead (bench/experiments/pglite-prepared.ts).
 *
 * The caller holds PGlite's locks (see preparedQuery); `inTransaction` says whether the statement
 * runs inside a transaction, where PGlite, too, leaves the file system sync to the commit.
 * Errors are PGlite's own (DatabaseError, with the statement and its parameters attached, as its
 * query() attaches them).
 */
async function runPrepared<R>(pg: PGlite, text: string, params: readonly unknown[], inTransaction: boolean): Promise<R[]> {
  await pg._checkReady(); // a close() may have run while this statement waited for the lock
  const statements = statementsOf(pg);
  const syncToFs = !inTransaction;
  try {
    const cached = statements.byText.get(text);
    if (!cached) return await execute<R>(pg, await prepare(pg, statements, text, syncToFs), params, syncToFs, []);
    // most recently used last: eviction takes the statement used longest ago
    statements.byText.delete(text);
    statements.byText.set(text, cached);
    try {
      return await execute<R>(pg, cached, params, syncToFs, closing(statements));
    } catch (error) {
      if ((error as { code?: unknown }).code !== NO_SUCH_STATEMENT) throw error;
      // deallocated behind our back: prepared again next time; and now, unless the error has
      // aborted a transaction (nothing ran, so nothing runs twice)
      statements.byText.delete(text);
      if (inTransaction) throw error;
      return await execute<R>(pg, await prepare(pg, statements, text, syncToFs), params, syncToFs, []);
    }
  } catch (error) {
    if (error instanceof Error && 'severity' in error) Object.assign(error, { query: text, params: [...params] });
    throw error;
  }
}

/** A statement outside any transaction: waits for PGlite's transaction and query locks, as PGlite's query() does. */
export function preparedQuery<R>(pg: PGlite, text: string, params: readonly unknown[]): Promise<R[]> {
  return pg._runExclusiveTransaction(() => pg._runExclusiveQuery(() => runPrepared<R>(pg, text, params, false)));
}

/** A statement inside a PGlite transaction (whose lock the transaction holds): takes the query lock only. */
export function preparedQueryInTransaction<R>(pg: PGlite, text: string, params: readonly unknown[]): Promise<R[]> {
  return pg._runExclusiveQuery(() => runPrepared<R>(pg, text, params, true));
}
