import { Command, CommanderError } from 'commander';
import { defineDeliveriesCommand } from './deliveries/options.js';
import { environmentHelp } from './env-help.js';
import { defineInjectCommand } from './inject/options.js';
import { applyConventions, processIo, type CliIo } from './usage.js';
import { packageVersion } from './version.js';

/** How a run of the CLI ends: its exit code, or 'serving' while the server it started runs on. */
export type CliResult = number | 'serving';

const RULES_DIR_DEFAULT = 'default: $RULES_DIR, else ./rules';

const PROGRAM_HELP = `
Run 'leadgate <command> --help' for a command's arguments and options.

Exit codes: 0 done (also --help and --version), 1 failed, 2 usage error
(unknown command or option, missing or bad argument); inject's are in
'leadgate inject --help'.`;

const SERVE_HELP = `${environmentHelp()}

SIGTERM or SIGINT stops it gracefully (requests in flight get
LEADGATE_SHUTDOWN_TIMEOUT_MS), a second signal at once. Exit code 1 if it
cannot start (environment, rules, store).`;

const MIGRATE_HELP = `
Needs DATABASE_URL (exit 1 without it). The server migrates at start too,
under an advisory lock; run this before a deploy without a Node process
(Cloudflare Workers).`;

/**
 * The command tree. The commands' modules are imported when their command runs, so that --help,
 * --version and usage errors answer without loading the server, the store, the rules engine or zod.
 */
export function buildProgram(io: CliIo, finish: (result: CliResult) => void): Command {
  const program = new Command('leadgate')
    .description('Lead-ingestion gateway for call centres: run the server, check rules, import files.')
    .version(packageVersion(import.meta.url), '-V, --version', 'print the version')
    .addHelpText('after', PROGRAM_HELP);

  program
    .command('serve')
    .description('run the gateway: the HTTP server (what npm start runs)')
    .addHelpText('after', SERVE_HELP)
    .action(async () => {
      const { serveCommand } = await import('./serve.js');
      await serveCommand(io.env);
      finish('serving');
    });

  const rules = program.command('rules').description('check a rules folder, or dry-run its duplicate-check table');
  rules
    .command('check')
    .summary('validate a rules folder as the server loads it')
    .description('load and validate a rules folder exactly as the server would; print every error (file at path: message) and exit 1 if there is one')
    .argument('[dir]', `the rules folder (${RULES_DIR_DEFAULT})`)
    .action(async (dir: string | undefined) => {
      const { rulesCheckCommand } = await import('./rules-check.js');
      finish(await rulesCheckCommand(dir, io));
    });
  rules
    .command('test')
    .summary('dry-run the duplicate-check table on a lead and a CRM answer')
    .description('dry-run the duplicate-check table (duplicate-check.yaml) on a lead and a CRM answer, without a server or CRM: print what each row found and the decision')
    .argument('<lead.json>', 'the lead, as a JSON file')
    .argument('<crm-response.json>', "the CRM's answer to the lookup, as a JSON file")
    .option('--rules <dir>', `the rules folder (${RULES_DIR_DEFAULT})`)
    .action(async (lead: string, answer: string, options: { rules?: string }) => {
      const { rulesTestCommand } = await import('./rules-test.js');
      finish(await rulesTestCommand(options.rules, lead, answer, io));
    });

  program.addCommand(
    defineInjectCommand(io.env, async (options) => {
      const { runInject } = await import('./inject/command.js');
      finish(await runInject(options, io));
    }),
  );

  program.addCommand(
    defineDeliveriesCommand(io.env, async (options) => {
      const { runDeliveries } = await import('./deliveries/command.js');
      finish(await runDeliveries(options, io));
    }),
  );

  program
    .command('migrate')
    .description('apply the database migrations (drizzle/) to DATABASE_URL and exit')
    .addHelpText('after', MIGRATE_HELP)
    .action(async () => {
      const { migrateCommand } = await import('./migrate.js');
      finish(await migrateCommand(io));
    });

  return applyConventions(program, io);
}

/**
 * Runs `leadgate <argv>` in this process: the exit code (0 for --help and --version, 2 for a usage
 * error), or 'serving'. A command's own failure (an exception) is thrown for the caller to report.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<CliResult> {
  let result: CliResult | undefined;
  const program = buildProgram(io, (r) => (result = r));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  if (result === undefined) throw new Error(`leadgate ${argv.join(' ')}: the command ended without an exit code`);
  return result;
}
