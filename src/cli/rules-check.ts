import { parseEnv } from '../config/env.js';
import { formatRuleErrors } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';
import type { CliIo } from './usage.js';

/** `leadgate rules check [dir]`: loads the folder as the server would; 1 and every error if it does not load. */
export async function rulesCheckCommand(dirArgument: string | undefined, io: CliIo): Promise<number> {
  const dir = dirArgument ?? parseEnv(io.env).RULES_DIR;
  const result = compileRuleSet(await readRulesDir(dir), io.env);
  if (!result.ok) {
    io.stderr.write(`${formatRuleErrors(result.errors)}\n${dir}: ${result.errors.length} error(s)\n`);
    return 1;
  }
  const { loaded, skipped } = result.rules.demoFiles;
  io.stdout.write(`${dir}: ${result.rules.files.length} file(s) OK\n`);
  // An admin checking a production folder must see what only the demo brings, and what it leaves out.
  if (loaded.length > 0) io.stdout.write(`demo files, loaded only while LEADGATE_DEMO is on: ${loaded.join(', ')}\n`);
  if (skipped.length > 0) io.stdout.write(`demo files left out (LEADGATE_DEMO is off): ${skipped.join(', ')}\n`);
  return 0;
}
