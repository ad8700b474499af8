/** Runs a compiled duplicate-check table against the CRM's parsed JSON answer (SPEC 3.3). */
import type { CompiledTable } from './compile.js';
import { matches } from './match.js';
import type { Outcome } from './schema.js';

interface LeadOutcome {
  createLead: boolean;
  status?: string;
  addToDnc: boolean;
  success: boolean;
  reason?: string;
}

/** The first matching row decided; `values` are what its key found. */
export type RowDecision = LeadOutcome & { source: 'row'; rowIndex: number; key: string; values: unknown[] };
export type NoMatchDecision = LeadOutcome & { source: 'noMatch' };
/** The CRM call failed: the table was not evaluated. `reject` means answer 206 without a lead. */
export type OnErrorDecision = (LeadOutcome & { source: 'onError' }) | { source: 'onError'; reject: true };

export type TableDecision = RowDecision | NoMatchDecision;
export type DuplicateCheckDecision = TableDecision | OnErrorDecision;

export interface RowExplanation {
  index: number;
  key: string;
  values: unknown[];
  matched: boolean;
}

/** What `POST /admin/rules/test` shows: the decision, and every row evaluated. */
export interface TableExplanation {
  decision: TableDecision;
  rows: RowExplanation[];
}

export function evaluateTable(table: CompiledTable, answer: unknown): TableDecision {
  for (const row of table.rows) {
    const values = row.path.values(answer);
    if (matches(row.condition, values)) return rowDecision(table, row.index, values);
  }
  return noMatchDecision(table);
}

export function explainTable(table: CompiledTable, answer: unknown): TableExplanation {
  const rows = table.rows.map((row) => {
    const values = row.path.values(answer);
    return { index: row.index, key: row.key, values, matched: matches(row.condition, values) };
  });
  const first = rows.find((r) => r.matched);
  return { decision: first ? rowDecision(table, first.index, first.values) : noMatchDecision(table), rows };
}

export function onErrorDecision(table: CompiledTable): OnErrorDecision {
  const { onError } = table;
  if ('reject' in onError) return { source: 'onError', reject: true };
  const decision: LeadOutcome & { source: 'onError' } = { source: 'onError', ...required(onError) };
  return withOptional(decision, onError);
}

function rowDecision(table: CompiledTable, index: number, values: unknown[]): RowDecision {
  const row = table.rows[index]!;
  return withOptional({ source: 'row', rowIndex: index, key: row.key, values, ...required(row.outcome) }, row.outcome);
}

function noMatchDecision(table: CompiledTable): NoMatchDecision {
  return withOptional({ source: 'noMatch', ...required(table.noMatch) }, table.noMatch);
}

function required(outcome: Outcome): LeadOutcome {
  return { createLead: outcome.createLead, addToDnc: outcome.addToDnc, success: outcome.success };
}

/** Adds only the optional fields that are set, so decisions serialise and compare cleanly. */
function withOptional<T extends LeadOutcome>(decision: T, outcome: Outcome): T {
  if (outcome.status !== undefined) decision.status = outcome.status;
  if (outcome.reason !== undefined) decision.reason = outcome.reason;
  return decision;
}
