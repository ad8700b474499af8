import { readFile } from 'node:fs/promises';
import { dryRunTable } from '../pipeline/dry-run.js';
import { formatRuleErrors } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';

const cell = (value: unknown, width: number) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return (text.length > width ? `${text.slice(0, width - 1)}…` : text).padEnd(width);
};

/** `leadgate rules test <lead.json> <crm-response.json>`: the admin dry run, printed as a table. */
export async function rulesTestCommand(rulesDir: string, leadFile: string, answerFile: string): Promise<number> {
  const loaded = compileRuleSet(await readRulesDir(rulesDir), process.env);
  if (!loaded.ok) {
    console.error(formatRuleErrors(loaded.errors));
    return 1;
  }
  const lead: unknown = JSON.parse(await readFile(leadFile, 'utf8'));
  const crmResponse: unknown = JSON.parse(await readFile(answerFile, 'utf8'));
  const result = await dryRunTable(loaded.rules, undefined, { lead, crmResponse });
  if (!result.ok) {
    console.error(result.error);
    return 1;
  }
  console.log(`${cell('row', 4)} ${cell('key', 28)} ${cell('values found', 36)} matched`);
  for (const row of result.rows) {
    console.log(`${cell(row.index, 4)} ${cell(row.key, 28)} ${cell(row.values, 36)} ${row.matched ? 'yes' : 'no'}`);
  }
  console.log(`\ndecision: ${JSON.stringify(result.decision)}`);
  return 0;
}
