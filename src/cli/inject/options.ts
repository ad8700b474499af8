import { Command, InvalidArgumentError } from 'commander';
import { applyConventions, USAGE_EXIT, type CliIo } from '../usage.js';

export const MAX_BATCH = 10_000;
const DECIMAL = /^\d+$/;
const TARGET = ['template', 'campaign', 'allocation'] as const;

export interface InjectOptions {
  file: string;
  templateId: string;
  campaignId: string;
  allocationId: string;
  url?: string;
  apiKey?: string;
  batchSize: number;
  allowDuplicates: boolean;
  json: boolean;
  progressIntervalMs: number;
}

interface ParsedFlags {
  template?: string;
  campaign?: string;
  allocation?: string;
  url?: string;
  apiKey?: string;
  batchSize: number;
  allowDuplicates?: true;
  json?: true;
  progressInterval: number;
}

export const INJECT_HELP = `
Where the rows go:
  Without --url, in this process, with the server's environment: the store
  from DATABASE_URL (unset: the embedded database in LEADGATE_DATA_DIR) and
  the rules from RULES_DIR.
  With --url, each batch is POSTed to a running server's injectLeads, with
  --api-key or, when that is not given, the environment variable
  LEADGATE_API_KEY. A batch answered 109 or 503 is sent again after its
  Retry-After (8 attempts); 401, 115, 116, 117 or 203 stop the import.

Files:
  .csv (the first row names the columns), .jsonl (one object per line) or
  .json (an array, read whole: at most 16 MiB). The file is streamed, at most
  two batches in memory.

Results:
  A progress bar on a terminal (otherwise a line every --progress-interval
  seconds) on stderr, then a table of result codes on stdout (--json: one
  JSON object). Rejected rows are written to <file>.rejected.csv with their
  code and message.
  Re-running is safe: the same file again creates nothing twice. ADD rows
  already imported are answered 112 and counted as such; the update rows
  applied are recorded in <file>.inject-state.json and skipped.

Exit codes:
  0  every row accepted or already imported
  1  some rows rejected, or the import stopped part-way (server gone after
     its retries, broken CSV, Ctrl-C)
  2  usage or configuration: arguments, file, environment, rules, target,
     API key

Examples:
  leadgate inject leads.csv --template 1 --campaign 10 --allocation 100
  leadgate inject leads.csv --template 1 --campaign 10 --allocation 100 \\
    --url http://localhost:8080 --api-key "$KEY"`;

function parseBatchSize(value: string): number {
  const size = Number(value);
  if (!DECIMAL.test(value) || size < 1 || size > MAX_BATCH) throw new InvalidArgumentError(`It must be an integer from 1 to ${MAX_BATCH}.`);
  return size;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('It must be a number of seconds above 0.');
  return seconds;
}

/** The options of a parsed command line, or why they do not go together (a usage error). */
function injectOptionsOf(file: string, flags: ParsedFlags, env: Record<string, string | undefined>): InjectOptions | string {
  const { template, campaign, allocation } = flags;
  if (template === undefined || campaign === undefined || allocation === undefined) {
    const missing = TARGET.filter((name) => flags[name] === undefined).map((name) => `--${name} <id>`);
    return `required option${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not specified`;
  }
  // read here rather than by commander's Option.env, which reads process.env and not `env` (a test's)
  const apiKey = flags.apiKey ?? env.LEADGATE_API_KEY;
  if (flags.url !== undefined && !apiKey) return '--url needs --api-key (or LEADGATE_API_KEY)';
  if (flags.url === undefined && flags.apiKey !== undefined) return '--api-key goes with --url';
  const options: InjectOptions = {
    file,
    templateId: template,
    campaignId: campaign,
    allocationId: allocation,
    batchSize: flags.batchSize,
    allowDuplicates: flags.allowDuplicates === true,
    json: flags.json === true,
    progressIntervalMs: flags.progressInterval * 1000,
  };
  if (flags.url !== undefined) {
    options.url = flags.url;
    options.apiKey = apiKey;
  }
  return options;
}

/** `leadgate inject`, its arguments, options and help; `run` gets the checked options. */
export function defineInjectCommand(env: Record<string, string | undefined>, run: (options: InjectOptions) => Promise<void> | void): Command {
  const command: Command = new Command('inject')
    .description("stream a file's rows through the lead injector (njAction ADD, MODIFY, REALLOCATE) in batches")
    .argument('<file>', 'the rows: file.csv, file.jsonl or file.json')
    // checked in the action, not as commander's requiredOption: that check comes before the one for
    // unknown options, and `--templte 1` should be answered with the typo, not a missing --template
    .optionsGroup('Target (required):')
    .option('--template <id>', 'fTemplateId of the rows')
    .option('--campaign <id>', 'fCampaignId')
    .option('--allocation <id>', 'fAllocationId')
    .optionsGroup('Against a running server:')
    .option('--url <url>', "the server's base URL (e.g. http://localhost:8080) or its injectLeads URL")
    .option('--api-key <key>', 'API key for --url (default: $LEADGATE_API_KEY)')
    .optionsGroup('Options:')
    .option('--batch-size <rows>', `rows per batch, 1 to ${MAX_BATCH}`, parseBatchSize, 500)
    .option('--allow-duplicates', 'inject with allowDuplicates=true (as the query parameter)')
    .option('--json', 'print the summary as one JSON object instead of a table')
    .option('--progress-interval <seconds>', 'seconds between progress lines when stderr is not a terminal', parseSeconds, 5)
    .addHelpText('after', INJECT_HELP)
    // not async: a usage error must throw while commander parses, also under the synchronous parse()
    .action((file: string, flags: ParsedFlags) => {
      const options = injectOptionsOf(file, flags, env);
      if (typeof options === 'string') command.error(`error: ${options}`, { exitCode: USAGE_EXIT, code: 'leadgate.usage' });
      return run(options);
    });
  return command;
}

const silent = { write: () => true } as unknown as NodeJS.WriteStream;

/**
 * The options of `leadgate inject <argv>`, parsed as the CLI parses them, for tests and callers
 * that want them without running the import. Throws the CommanderError (exit code 2, or 0 for
 * --help) the CLI would report.
 */
export function parseInjectArgs(argv: readonly string[], env: Record<string, string | undefined>): InjectOptions {
  let parsed: InjectOptions | undefined;
  const command = defineInjectCommand(env, (options) => {
    parsed = options;
  });
  applyConventions(command, { stdout: silent, stderr: silent, env } satisfies CliIo).parse(argv, { from: 'user' });
  return parsed!;
}
