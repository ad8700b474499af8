import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewLead } from '../../src/pipeline/ports.js';
import { createGroupCommit } from '../../src/store/group-commit.js';
import { INSERT_GROUP } from '../../src/store/insert-group.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let backend: TestBackend;
beforeAll(async () => {
  backend = await openTestBackend();
});
afterAll(async () => {
  await backend.close();
});

const store = (runner: SqlRunner, concurrentGroups: number, maxGroupSize: number) => createLeadStore(runner, { groupCommit: { concurrentGroups, maxGroupSize } });
const insertWith = (s: ReturnType<typeof store>) => async (l: NewLead) => (await s.insertLeads([l]))[0]!;

const lead = (phone: string, externalId: string | null = null): NewLead => newLead(phone, { externalId });

/**
 * The real store's runner, counting transactions, statements and group statements (several leads
 * in one statement, insert-group.ts), and failing the first `failures` group writes (a group
 * statement or a transaction).
 */
function countingRunner(runner: SqlRunner, failures = 0) {
  const seen = { transactions: 0, statements: 0, groupStatements: 0 };
  let groupWrites = 0;
  const fault = () => Promise.reject(new Error('injected fault in a group write'));
  const wrap = (inner: SqlRunner): SqlRunner => ({
    query: (text, params) => {
      seen.statements += 1;
      if (text === INSERT_GROUP) {
        seen.groupStatements += 1;
        if ((groupWrites += 1) <= failures) return fault();
      }
      return inner.query(text, params);
    },
    transaction: (fn) => {
      seen.transactions += 1;
      if ((groupWrites += 1) <= failures) return fault();
      return inner.transaction((tx) => fn(wrap(tx)));
    },
  });
  return { runner: wrap(runner), seen };
}

const leadCount = async (prefix: string) =>
  (await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones[1] like $1`, [`${prefix}%`]))[0]!.n;

describe('group commit of single-lead inserts', () => {
  it('writes a lone lead at once with the one-statement insert, no transaction', async () => {
    const { runner, seen } = countingRunner(backend.runner);
    const insert = insertWith(store(runner, 2, 50));
    expect(await insert(lead('+61417000001'))).toMatchObject({ kind: 'inserted' });
    expect(seen).toEqual({ transactions: 0, statements: 1, groupStatements: 0 });
  });

  it('groups leads that arrive while the slots are busy, with the outcomes of one-by-one inserts', async () => {
    const { runner, seen } = countingRunner(backend.runner);
    const insert = insertWith(store(runner, 1, 100));
    const phones = Array.from({ length: 30 }, (_, i) => `+614160100${String(i).padStart(2, '0')}`);
    // every phone twice, and one external id shared by two different phones
    const leads = [...phones.map((p) => lead(p)), ...phones.map((p) => lead(p)), lead('+61416019998', 'G-1'), lead('+61416019999', 'G-1')];
    const outcomes = await Promise.all(leads.map((l) => insert(l)));
    expect(outcomes.slice(0, 30).every((o) => o.kind === 'inserted')).toBe(true);
    expect(outcomes.slice(30, 60).every((o) => o.kind === 'duplicate')).toBe(true);
    expect(outcomes.slice(60).map((o) => o.kind)).toEqual(['inserted', 'duplicateExternalId']);
    const ids = outcomes.flatMap((o) => (o.kind === 'inserted' ? [o.leadId] : []));
    expect(new Set(ids).size).toBe(31);
    // the first lead went alone; the other 61 waited for it and went together, through the batch
    // path's transaction (phones twice in one group: which lead wins is that path's order)
    expect(seen.groupStatements).toBe(0);
    expect(seen.transactions).toBe(1);
    expect(await leadCount('+614160')).toBe(31);
  });

  it('retries a failed group lead by lead, so one fault fails no neighbour', async () => {
    const { runner, seen } = countingRunner(backend.runner, 1);
    const insert = insertWith(store(runner, 1, 50));
    const phones = Array.from({ length: 10 }, (_, i) => `+614160200${String(i).padStart(2, '0')}`);
    const outcomes = await Promise.all(phones.map((p) => insert(lead(p))));
    expect(outcomes.map((o) => o.kind)).toEqual(Array<string>(10).fill('inserted'));
    expect(seen.groupStatements).toBe(1);
    expect(seen.transactions).toBe(0);
    expect(await leadCount('+614160200')).toBe(10);
  });

  it('splits a long queue into groups of at most maxGroupSize', async () => {
    const { runner, seen } = countingRunner(backend.runner);
    const insert = insertWith(store(runner, 1, 10));
    const phones = Array.from({ length: 41 }, (_, i) => `+614160300${String(i).padStart(2, '0')}`);
    const outcomes = await Promise.all(phones.map((p) => insert(lead(p))));
    expect(outcomes.every((o) => o.kind === 'inserted')).toBe(true);
    expect(seen).toEqual({ transactions: 0, statements: 5, groupStatements: 4 }); // 1 alone, then 40 in groups of 10
  });

  it('groups leads carrying a duplicate-check decision with plain ones, writing every record and DNC addition', async () => {
    const { runner, seen } = countingRunner(backend.runner);
    const insert = insertWith(store(runner, 1, 50));
    const decision = { entryPoint: 'noojee', connect: 'crm', request: {}, crmStatus: 200, latencyMs: 3, answer: '{}', matchedRow: 0, values: ['x'], decision: { createLead: true } };
    const leads = Array.from({ length: 12 }, (_, i) => {
      const l = lead(`+614160400${String(i).padStart(2, '0')}`);
      return i % 3 === 0 ? l : { ...l, decision, ...(i % 3 === 2 ? { addToDnc: { reason: 'crm says no' } } : {}) };
    });
    const outcomes = await Promise.all(leads.map((l) => insert(l)));
    expect(outcomes.every((o) => o.kind === 'inserted')).toBe(true);
    expect(seen).toEqual({ transactions: 0, statements: 2, groupStatements: 1 }); // the first (plain) lead alone, the other 11 in one statement
    const records = await backend.runner.query<{ n: number }>(`select count(*)::int as n from decision_records where phone like '+614160400%' and outcome = 'created'`);
    expect(records[0]!.n).toBe(8);
    const dnc = await backend.runner.query<{ n: number }>(`select count(*)::int as n from dnc where e164 like '+614160400%'`);
    expect(dnc[0]!.n).toBe(4);
  });
});

describe('gathering over an event-loop turn (the embedded store)', () => {
  /** A writer that answers at once, as PGlite's synchronous statements do, recording each write's size. */
  const recordingWriter = () => {
    const writes: number[] = [];
    return {
      writes,
      writer: {
        one: (n: number) => {
          writes.push(1);
          return Promise.resolve(n * 2);
        },
        many: (ns: readonly number[]) => {
          writes.push(ns.length);
          return Promise.resolve(ns.map((n) => n * 2));
        },
      },
    };
  };

  it('writes the items of one turn as one group, in order, each with its own answer', async () => {
    const { writes, writer } = recordingWriter();
    const submit = createGroupCommit(writer, { concurrentGroups: 1, maxGroupSize: 50, gatherTurn: true });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i)));
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(writes).toEqual([10]);
  });

  it('without it the first item of the turn goes alone', async () => {
    const { writes, writer } = recordingWriter();
    const submit = createGroupCommit(writer, { concurrentGroups: 1, maxGroupSize: 50 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i)));
    expect(writes).toEqual([1, 9]);
  });

  it('items of later turns go in later groups', async () => {
    const { writes, writer } = recordingWriter();
    const submit = createGroupCommit(writer, { concurrentGroups: 1, maxGroupSize: 50, gatherTurn: true });
    const first = [submit(1), submit(2), submit(3)];
    await new Promise((resolve) => setImmediate(resolve));
    const second = [submit(4), submit(5)];
    expect(await Promise.all([...first, ...second])).toEqual([2, 4, 6, 8, 10]);
    expect(writes).toEqual([3, 2]);
  });
});
