#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseEnv } from '../config/env.js';
import { startNodeServer } from '../entry/node.js';
import { formatRuleErrors, RuleLoadError } from '../ruleset/rule-error.js';
import { compileRuleSet } from '../ruleset/rule-set.js';
import { readRulesDir } from '../ruleset/read-rules-dir.js';
import { migratePostgres } from '../store/backends/postgres.js';
import { injectCommand } from './inject/command.js';
import { rulesTestCommand } from './rules-test.js';

const USAGE = `usage: leadgate <command>
  serve                 run the gateway (what npm start runs)
  rules check [dir]     load and validate a rules folder exactly as the server would
  rules test <lead.json> <crm-response.json> [--rules dir]
                        dry-run the duplicate-check table on a CRM answer
  inject <file.csv|file.json> --template N --campaign N --allocation N [--url U --api-key K]
         [--batch-size 500] [--allow-duplicates]
                        stream a file's rows through the lead injector (leadgate inject --help)
  migrate               apply the database migrations to DATABASE_URL`;

async function serveCommand(): Promise<void> {
  const env = parseEnv(process.env);
  const server = await startNodeServer(env, process.env);
  let stopping = false;
  const stop = () => {
    // A second signal means "now": skip the graceful wait.
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function rulesCheckCommand(dir: string): Promise<number> {
  const result = compileRuleSet(await readRulesDir(dir), process.env);
  if (!result.ok) {
    console.error(formatRuleErrors(result.errors));
    console.error(`${dir}: ${result.errors.length} error(s)`);
    return 1;
  }
  console.log(`${dir}: ${result.rules.files.length} file(s) OK`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  // inject has options of its own, so it parses its arguments itself
  if (argv[0] === 'inject') return injectCommand(argv.slice(1));
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { rules: { type: 'string' } } });
  const [command, sub, arg] = positionals;
  switch (command) {
    case 'serve':
      await serveCommand();
      return -1;
    case 'rules':
      if (sub === 'check') return rulesCheckCommand(arg ?? parseEnv(process.env).RULES_DIR);
      if (sub === 'test' && arg && positionals[3]) return rulesTestCommand(values.rules ?? parseEnv(process.env).RULES_DIR, arg, positionals[3]);
      break;
    case 'migrate': {
      const env = parseEnv(process.env);
      if (!env.DATABASE_URL) {
        console.error('migrate needs DATABASE_URL (the embedded store migrates itself at start)');
        return 1;
      }
      await migratePostgres(env.DATABASE_URL);
      console.log('migrations applied');
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof RuleLoadError ? error.message : error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
