import { scalarText } from '../leads/scalar.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import { insertLeads, type EntryPoint, type PipelineDeps } from './insert-leads.js';
import { failure, type LeadResult } from './lead-result.js';
import type { Target } from './target.js';
import { updateLead } from './update-lead.js';

export interface InjectCommand {
  entry: EntryPoint;
  rules: RuleSet;
  target: Target;
  allowDuplicates: boolean;
  rows: readonly unknown[];
  /** written on call records */
  source: string;
}

type RowAction = 'ADD' | 'MODIFY' | 'REALLOCATE';

function actionOf(row: unknown): RowAction | { invalid: string } {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'ADD'; // the insert path answers 204
  const key = Object.keys(row).find((k) => k.toLowerCase() === 'njaction');
  const value = key === undefined ? '' : scalarText((row as Record<string, never>)[key]).trim().toUpperCase();
  if (value === '' || value === 'ADD') return 'ADD';
  if (value === 'MODIFY' || value === 'REALLOCATE') return value;
  return { invalid: value };
}

/**
 * The lead injector (SPEC 2.4): rows run in order, so a MODIFY sees the leads ADDed before it.
 * Consecutive ADD rows go to the store together, as one batch.
 */
export async function injectLeads(deps: PipelineDeps, command: InjectCommand): Promise<LeadResult[]> {
  const results: LeadResult[] = new Array(command.rows.length);
  let adds: number[] = [];
  const flushAdds = async () => {
    if (adds.length === 0) return;
    const indexes = adds;
    adds = [];
    const inserted = await insertLeads(deps, { ...command, leads: indexes.map((i) => command.rows[i]) });
    inserted.forEach((result, k) => (results[indexes[k]!] = result));
  };

  for (const [index, row] of command.rows.entries()) {
    const action = actionOf(row);
    if (action === 'ADD') {
      adds.push(index);
      continue;
    }
    await flushAdds();
    results[index] =
      typeof action === 'object'
        ? failure(204, `unknown njAction '${action.invalid}': use ADD, MODIFY or REALLOCATE`)
        : await updateLead(deps, { rules: command.rules, campaign: command.target.campaign, raw: row, action, source: command.source });
  }
  await flushAdds();
  return results;
}
