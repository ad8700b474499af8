import { Command, InvalidArgumentError } from 'commander';
import { USAGE_EXIT } from '../usage.js';

/** Where the command works: a running server's admin API, or the store in this process. */
export type Target = { kind: 'server'; url: string; adminToken: string } | { kind: 'store' };

/** GET /admin/deliveries's query, as given (checked by the API's own schema, also in process). */
export interface ListQuery {
  state?: string;
  destination?: string;
  leadId?: string;
  phone?: string;
  templateId?: string;
  limit?: string;
  offset?: string;
}

export interface RetryFilterInput {
  state?: string;
  destination?: string;
  from?: string;
  to?: string;
}

export type DeliveriesOptions = { target: Target; json: boolean } & (
  | { action: 'list'; query: ListQuery }
  | { action: 'retryOne'; id: string }
  | { action: 'retryMany'; filter: RetryFilterInput }
);

const TARGET_HELP = `
Where it works:
  Without --url, in this process, on the store the server uses: DATABASE_URL
  (unset: the embedded database in LEADGATE_DATA_DIR, which only one process
  can hold: while a server runs on it, use --url). A --phone in national form
  is read with the country of the first template in RULES_DIR (or --template).
  With --url, through a running server's admin API, with --admin-token or,
  when that is not given, LEADGATE_ADMIN_TOKEN.

Exit codes:
  0  done
  1  failed: no such delivery, one that cannot be retried, the store or
     server unreachable, the data folder in use
  2  usage or configuration: arguments, environment, an admin token refused`;

const LIST_HELP = `${TARGET_HELP}

Output: a table, newest first, and how many match (--json: the API's answer,
{"total", "deliveries": [...]}).

Examples:
  leadgate deliveries list --state dead
  leadgate deliveries list --phone "0412 345 678" --json
  leadgate deliveries list --destination pbx --url http://localhost:8080`;

const RETRY_HELP = `
Puts dead or refused deliveries back in the queue, due at once, their attempt
count back to 0 (the attempts made stay in their history). Every retry is
written to the audit log. Give one delivery id, or a filter with at least one
of --state, --destination or --from: a retry of every dead and refused
delivery is asked for with --state dead and --state refused.
${TARGET_HELP}

Examples:
  leadgate deliveries retry 42
  leadgate deliveries retry --state dead --destination pbx
  leadgate deliveries retry --destination pbx --from 2026-03-04T08:00:00Z --to 2026-03-04T12:00:00Z`;

interface TargetFlags {
  url?: string;
  adminToken?: string;
  json?: true;
}

function decimal(value: string): string {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('It must be a whole number.');
  return value;
}

/** The target of the parsed flags, or why they do not go together. */
function targetOf(flags: TargetFlags, env: Record<string, string | undefined>): Target | string {
  // read here rather than by commander's Option.env, which reads process.env and not `env` (a test's)
  const token = flags.adminToken ?? env.LEADGATE_ADMIN_TOKEN;
  if (flags.url === undefined) return flags.adminToken === undefined ? { kind: 'store' } : '--admin-token goes with --url';
  if (!token) return '--url needs --admin-token (or LEADGATE_ADMIN_TOKEN)';
  return { kind: 'server', url: flags.url, adminToken: token };
}

function withTargetOptions(command: Command): Command {
  return command
    .optionsGroup('Where:')
    .option('--url <url>', "a running server's base URL (e.g. http://localhost:8080)")
    .option('--admin-token <token>', 'admin token for --url (default: $LEADGATE_ADMIN_TOKEN)')
    .optionsGroup('Output:')
    .option('--json', 'print JSON (the admin API\'s answer) instead of a table');
}

/** `leadgate deliveries list|retry`, their options and help; `run` gets the checked options. */
export function defineDeliveriesCommand(env: Record<string, string | undefined>, run: (options: DeliveriesOptions) => Promise<void> | void): Command {
  const deliveries = new Command('deliveries').description('see deliveries to the dialer and put dead or refused ones back in the queue');
  const usage = (command: Command, message: string): never => command.error(`error: ${message}`, { exitCode: USAGE_EXIT, code: 'leadgate.usage' });

  const list: Command = withTargetOptions(
    new Command('list')
      .description('list deliveries to the dialer, newest first: state, attempts, last answer, the dialer\'s lead id')
      .optionsGroup('Filter:')
      .option('--state <state>', 'queued, delivered, refused or dead')
      .option('--destination <name>', 'a destination (destinations/<name>.yaml)')
      .option('--lead-id <id>', "leadgate's lead id")
      .option('--phone <phone>', "a lead's phone, or a DNC delivery's number, in any form the template's country reads")
      .option('--template <id>', 'the template whose country reads a national --phone (default: the first)', decimal)
      .option('--limit <n>', 'at most this many, 1 to 1000 (default: 100)', decimal)
      .option('--offset <n>', 'skip this many (default: 0)', decimal),
  )
    .addHelpText('after', LIST_HELP)
    .action((flags: TargetFlags & { state?: string; destination?: string; leadId?: string; phone?: string; template?: string; limit?: string; offset?: string }) => {
      const target = targetOf(flags, env);
      if (typeof target === 'string') return usage(list, target);
      const query: ListQuery = {};
      const given: Array<[keyof ListQuery, string | undefined]> = [
        ['state', flags.state],
        ['destination', flags.destination],
        ['leadId', flags.leadId],
        ['phone', flags.phone],
        ['templateId', flags.template],
        ['limit', flags.limit],
        ['offset', flags.offset],
      ];
      for (const [key, value] of given) if (value !== undefined) query[key] = value;
      return run({ action: 'list', target, json: flags.json === true, query });
    });

  const retry: Command = withTargetOptions(
    new Command('retry')
      .description('put a dead or refused delivery (or every one a filter selects) back in the queue')
      .argument('[id]', 'the delivery id')
      .optionsGroup('Filter (instead of an id):')
      .option('--state <state>', 'dead or refused (default: both)')
      .option('--destination <name>', 'a destination')
      .option('--from <time>', 'created at or after (ISO 8601 with an offset, e.g. 2026-03-04T08:00:00Z)')
      .option('--to <time>', 'created before'),
  )
    .addHelpText('after', RETRY_HELP)
    .action((id: string | undefined, flags: TargetFlags & RetryFilterInput) => {
      const target = targetOf(flags, env);
      if (typeof target === 'string') return usage(retry, target);
      const { state, destination, from, to } = flags;
      const filtered = [state, destination, from, to].some((v) => v !== undefined);
      if (id !== undefined) {
        if (filtered) return usage(retry, 'give a delivery id or a filter (--state, --destination, --from, --to), not both');
        return run({ action: 'retryOne', target, json: flags.json === true, id });
      }
      if (state === undefined && destination === undefined && from === undefined) {
        return usage(retry, 'give a delivery id, or a filter with at least one of --state, --destination or --from');
      }
      const filter: RetryFilterInput = {};
      if (state !== undefined) filter.state = state;
      if (destination !== undefined) filter.destination = destination;
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      return run({ action: 'retryMany', target, json: flags.json === true, filter });
    });

  return deliveries.addCommand(list).addCommand(retry);
}
