import { readFile } from 'node:fs/promises';
import { parseEnv } from '../config/env.js';
import { dryRunTable } from '../pipeline/dry-run.js';
import { formatRuleErrors } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';
import type { CliIo } from './usage.js';

const cell = (value: unknown, width: number) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return (text.length > width ? `${text.slice(0, width - 1)}…` : text).padEnd(width);
};

/** `leadgate rules test <lead.json> <crm-response.json>`: the admin dry run, printed as a table. */
export async function rulesTestCommand(rulesDir: string | undefined, leadFile: string, answerFile: string, io: CliIo): Promise<number> {
  const loaded = compileRuleSet(await readRulesDir(rulesDir ?? parseEnv(io.env).RULES_DIR), io.env);
  if (!loaded.ok) {
    io.stderr.write(`${formatRuleErrors(loaded.errors)}\n`);
    return 1;
  }
  const lead: unknown = JSON.parse(await readFile(leadFile, 'utf8'));
  const crmResponse: unknown = JSON.parse(await readFile(answerFile, 'utf8'));
  const result = await dryRunTable(loaded.rules, undefined, { lead, crmResponse });
  if (!result.ok) {
    io.stderr.write(`${result.error}\n`);
    return 1;
  }
  const say = (line: string) => io.stdout.write(`${line}\n`);
  say(`${cell('row', 4)} ${cell('key', 28)} ${cell('values found', 36)} matched`);
  for (const row of result.rows) {
    say(`${cell(row.index, 4)} ${cell(row.key, 28)} ${cell(row.values, 36)} ${row.matched ? 'yes' : 'no'}`);
  }
  say(`\ndecision: ${JSON.stringify(result.decision)}`);
  return 0;
}
