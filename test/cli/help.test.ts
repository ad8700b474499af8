import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.js';
import { ROOT, runCli as runLeadgate, type CliRun } from '../support/cli-process.js';

// The real executable, one process per command line (about 0.4 s of CPU under tsx each), so
// few of them, run a few at a time by it.concurrent; program.test.ts checks the rest in process.

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface HelpCase {
  path: string[];
  usage: string;
  /** what the help must explain: arguments, options with defaults, environment, behaviour */
  mentions: Array<string | RegExp>;
}

const COMMANDS: HelpCase[] = [
  { path: [], usage: 'Usage: leadgate [options] [command]', mentions: ['-V, --version', 'serve', 'rules', 'inject [options] <file>', 'deliveries', 'migrate', 'help [command]', 'Exit codes:'] },
  {
    path: ['serve'],
    usage: 'Usage: leadgate serve [options]',
    mentions: [
      // every setting the process reads, each on a line of its own
      ...Object.keys(envSchema.shape).map((key) => new RegExp(`^  ${key}  `, 'm')),
      /^ {2}PORT +listen port \(default: 8080\)$/m,
      /^ {2}LEADGATE_DATA_DIR +.*\(default: \.\/data\)$/m,
      /^ {2}RULES_DIR +.*\(default: \.\/rules\)$/m,
      /^ {2}LOG_LEVEL +.*\(default: info\)$/m,
      "'demo', while the demo is on",
      'SIGTERM',
    ],
  },
  { path: ['rules'], usage: 'Usage: leadgate rules [options] [command]', mentions: ['check [dir]', 'test [options] <lead.json> <crm-response.json>'] },
  { path: ['rules', 'check'], usage: 'Usage: leadgate rules check [options] [dir]', mentions: ['Arguments:', 'dir', '$RULES_DIR, else ./rules', 'exit 1'] },
  {
    path: ['rules', 'test'],
    usage: 'Usage: leadgate rules test [options] <lead.json> <crm-response.json>',
    mentions: ['lead.json', 'crm-response.json', '--rules <dir>', '$RULES_DIR, else ./rules'],
  },
  {
    path: ['inject'],
    usage: 'Usage: leadgate inject [options] <file>',
    mentions: [
      '--template <id>',
      '--campaign <id>',
      '--allocation <id>',
      '--url <url>',
      '--api-key <key>',
      '(default: $LEADGATE_API_KEY)',
      '--batch-size <rows>',
      '1 to 10000 (default: 500)',
      '--allow-duplicates',
      '--json',
      '--progress-interval <seconds>',
      '(default: 5)',
      'Without --url, in this process',
      'LEADGATE_API_KEY.',
      '<file>.rejected.csv',
      'Re-running is safe',
      '  2  usage or configuration',
    ],
  },
  { path: ['deliveries'], usage: 'Usage: leadgate deliveries [options] [command]', mentions: ['list [options]', 'retry [options] [id]'] },
  {
    path: ['deliveries', 'list'],
    usage: 'Usage: leadgate deliveries list [options]',
    mentions: ['--state <state>', '--destination <name>', '--lead-id <id>', '--phone <phone>', '--limit <n>', '--offset <n>', '--url <url>', '(default: $LEADGATE_ADMIN_TOKEN)', '--json', 'Without --url, in this process', 'Exit codes:'],
  },
  {
    path: ['deliveries', 'retry'],
    usage: 'Usage: leadgate deliveries retry [options] [id]',
    mentions: ['id', '--state <state>', '--destination <name>', '--from <time>', '--to <time>', '--url <url>', 'written to the audit log', 'Give one delivery id, or a filter with at least one'],
  },
  { path: ['migrate'], usage: 'Usage: leadgate migrate [options]', mentions: ['DATABASE_URL', 'exit 1 without it'] },
];

const name = (path: string[]) => ['leadgate', ...path].join(' ');

const runs = new Map<string, Promise<CliRun>>();
/** runLeadgate, once per command line: the help tests share runs. */
function runOnce(args: string[]): Promise<CliRun> {
  const key = JSON.stringify(args);
  if (!runs.has(key)) runs.set(key, runLeadgate(args));
  return runs.get(key)!;
}

describe('--help and -h on every command', () => {
  for (const command of COMMANDS) {
    it.concurrent(`${name(command.path)}: --help and -h print the same help to stdout and exit 0`, async () => {
      const [long, short] = await Promise.all([runOnce([...command.path, '--help']), runOnce([...command.path, '-h'])]);
      expect(long).toMatchObject({ code: 0, stderr: '' });
      expect(long.stdout.startsWith(`${command.usage}\n`), long.stdout).toBe(true);
      // commander wraps descriptions at 80 columns: join the continuation lines back to their item
      const unwrapped = long.stdout.replace(/\n {4,}/g, ' ');
      for (const text of [...command.mentions, '-h, --help']) {
        if (typeof text === 'string') expect(unwrapped).toContain(text);
        else expect(unwrapped).toMatch(text);
      }
      expect(short).toEqual(long);
    });
  }

  it.concurrent('`leadgate help <command>` is the same help', async () => {
    const [viaHelp, viaFlag, nested, nestedFlag] = await Promise.all([
      runOnce(['help', 'inject']),
      runOnce(['inject', '--help']),
      runOnce(['rules', 'help', 'test']),
      runOnce(['rules', 'test', '--help']),
    ]);
    expect(viaHelp).toEqual(viaFlag);
    expect(nested).toEqual(nestedFlag);
    expect(viaHelp.code).toBe(0);
  });
});

describe('--version', () => {
  it.concurrent.each([['--version'], ['-V']])('%s prints exactly the package.json version and exits 0', async (flag) => {
    expect(await runLeadgate([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('usage errors exit 2 with a message on stderr', () => {
  for (const command of COMMANDS) {
    it.concurrent(`${name(command.path)} --no-such-option`, async () => {
      const run = await runLeadgate([...command.path, '--no-such-option']);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain("error: unknown option '--no-such-option'");
      expect(run.stderr).toContain(`(${name(command.path)} --help shows the usage)`);
    });
  }

  // the rest of the usage errors are checked in this process, in program.test.ts
  const cases: Array<[string[], string]> = [
    [['nope'], "error: unknown command 'nope'"],
    [['rules', 'test', 'lead.json'], "error: missing required argument 'crm-response.json'"],
    [
      ['inject', 'leads.csv', '--template', '1', '--campaign', '10', '--allocation', '100', '--batch-size', '0'],
      "error: option '--batch-size <rows>' argument '0' is invalid. It must be an integer from 1 to 10000.",
    ],
  ];
  for (const [args, message] of cases) {
    it.concurrent(name(args), async () => {
      const run = await runLeadgate(args);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain(message);
    });
  }

  it.concurrent('leadgate with no command, and rules with no subcommand, print their help to stderr', async () => {
    const [bare, rules] = await Promise.all([runLeadgate([]), runLeadgate(['rules'])]);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr.startsWith('Usage: leadgate [options] [command]\n')).toBe(true);
    expect(rules).toMatchObject({ code: 2, stdout: '' });
    expect(rules.stderr.startsWith('Usage: leadgate rules [options] [command]\n')).toBe(true);
  });
});

describe('failures exit 1', () => {
  it.concurrent('a command that fails (migrate without DATABASE_URL) and one that throws (serve with a bad environment)', async () => {
    const [migrate, serve] = await Promise.all([runLeadgate(['migrate']), runLeadgate(['serve'], { PORT: 'eighty' })]);
    expect(migrate).toMatchObject({ code: 1, stdout: '' });
    expect(migrate.stderr).toContain('migrate needs DATABASE_URL');
    expect(serve).toMatchObject({ code: 1, stdout: '' });
    expect(serve.stderr).toMatch(/^invalid environment:\nPORT/);
  });
});
