import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.js';
import { SETTINGS } from '../../src/cli/env-help.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/usage.js';
import { packageVersion } from '../../src/cli/version.js';
import { ROOT } from '../support/cli-process.js';
import { BASIC_RULES } from '../support/test-app.js';

// The parser in this process: fast enough for every usage error and for the commands' wiring.
// help.test.ts runs the real executable for the exit codes and the streams a user sees.

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `leadgate <argv>` in this process, with its output kept. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const sink = (key: keyof typeof out) => ({ write: (text: string) => ((out[key] += text), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const io: CliIo = { stdout: sink('stdout'), stderr: sink('stderr'), env };
  const code = await runCli(argv, io);
  return { code, ...out };
}

describe('runCli', () => {
  it('--help and --version write to the given stdout and answer 0', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await run(['rules', 'check', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: leadgate rules check \[options\] \[dir\]\n/);
  });

  it('answers every usage error with 2, a message on stderr and nothing on stdout, before a command runs', async () => {
    const target = ['--template', '1', '--campaign', '10', '--allocation', '100'];
    const cases: Array<[string[], string]> = [
      [[], 'Usage: leadgate [options] [command]'],
      [['rules'], 'Usage: leadgate rules [options] [command]'],
      [['nope'], "error: unknown command 'nope'"],
      [['rules', 'chek'], "error: unknown command 'chek'\n(Did you mean check?)"],
      [['help', 'nope'], 'Usage: leadgate [options] [command]'],
      [['--nope'], "error: unknown option '--nope'\n(leadgate --help shows the usage)"],
      [['rules', 'check', '--nope'], "error: unknown option '--nope'\n(leadgate rules check --help shows the usage)"],
      [['serve', 'extra'], "error: too many arguments for 'serve'"],
      [['migrate', 'extra'], "error: too many arguments for 'migrate'"],
      [['rules', 'check', 'a', 'b'], "error: too many arguments for 'check'"],
      [['rules', 'test'], "error: missing required argument 'lead.json'"],
      [['rules', 'test', 'lead.json'], "error: missing required argument 'crm-response.json'"],
      [['rules', 'test', 'lead.json', 'answer.json', '--rules'], "error: option '--rules <dir>' argument missing"],
      [['inject', ...target], "error: missing required argument 'file'"],
      [['inject', 'leads.csv', '--templte', '1'], "error: unknown option '--templte'\n(Did you mean --template?)"],
      [['inject', 'leads.csv', '--template', '1', '--campaign', '10'], 'error: required option --allocation <id> not specified'],
      [['inject', 'leads.csv', ...target, '--batch-size', 'many'], "error: option '--batch-size <rows>' argument 'many' is invalid. It must be an integer from 1 to 10000."],
      [['inject', 'leads.csv', ...target, '--progress-interval', '-1'], "error: option '--progress-interval <seconds>' argument '-1' is invalid."],
      [['inject', 'leads.csv', ...target, '--url', 'http://localhost:8080'], 'error: --url needs --api-key (or LEADGATE_API_KEY)\n(leadgate inject --help shows the usage)'],
      [['inject', 'leads.csv', ...target, '--api-key', 'k'], 'error: --api-key goes with --url'],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv);
      expect(result, `leadgate ${argv.join(' ')}`).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr, `leadgate ${argv.join(' ')}`).toContain(message);
    }
  });

  describe('runs the commands', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'leadgate-program-'));
      await writeFile(join(dir, 'lead.json'), '{"phone":"0412345678"}');
      await writeFile(join(dir, 'answer.json'), '{"customer":{"status":"Active"}}');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('rules check: 0 on the shipped rules, given or from RULES_DIR; 1 with the errors on a folder that does not load', async () => {
      const shipped = join(ROOT, 'rules');
      const demoFiles = 'connects/demo-crm.yaml, destinations/demo-dialer.yaml, duplicate-check.yaml, sources/demo-form.yaml';
      expect(await run(['rules', 'check', shipped])).toEqual({
        code: 0,
        stdout: `${shipped}: 5 file(s) OK\ndemo files, loaded only while LEADGATE_DEMO is on: ${demoFiles}\n`,
        stderr: '',
      });
      expect(await run(['rules', 'check', shipped], { LEADGATE_DEMO: '0' })).toEqual({
        code: 0,
        stdout: `${shipped}: 1 file(s) OK\ndemo files left out (LEADGATE_DEMO is off): ${demoFiles}\n`,
        stderr: '',
      });
      expect(await run(['rules', 'check'], { RULES_DIR: shipped })).toMatchObject({ code: 0, stdout: expect.stringContaining(`${shipped}: `) });
      const bad = await run(['rules', 'check', dir]);
      expect(bad).toMatchObject({ code: 1, stdout: '' });
      expect(bad.stderr).toContain('dialer.yaml: missing');
      expect(bad.stderr).toContain(`${dir}: 1 error(s)`);
    });

    it('rules check: a destination that does not load is 1, naming the file and the path', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'leadgate-program-rules-'));
      try {
        await cp(BASIC_RULES, folder, { recursive: true });
        await mkdir(join(folder, 'destinations'));
        const destination = (apiKey: string) =>
          `version: 1\nkind: noojee\nurl: https://pbx.example.com\ncredentials: { apiKey: "${apiKey}" }\nroutes:\n  - { match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }\nforward: [insert, dnc]\n`;
        await writeFile(join(folder, 'destinations/pbx.yaml'), destination('literal-key'));
        const bad = await run(['rules', 'check', folder]);
        expect(bad).toEqual({
          code: 1,
          stdout: '',
          stderr: [
            'destinations/pbx.yaml at forward[1]: Noojee has no DNC API: a noojee destination cannot forward dnc',
            `${folder}: 1 error(s)`,
            '',
          ].join('\n'),
        });
        await writeFile(join(folder, 'destinations/pbx.yaml'), destination('literal-key').replace('[insert, dnc]', '[insert]'));
        expect((await run(['rules', 'check', folder])).stderr).toBe(
          `destinations/pbx.yaml at credentials.apiKey: a secret must come from the environment: write \${env:NAME} (a literal secret is allowed only in a file marked demo: true)\n${folder}: 1 error(s)\n`,
        );
        await writeFile(join(folder, 'destinations/pbx.yaml'), destination('${env:PBX_KEY}').replace('[insert, dnc]', '[insert]'));
        expect(await run(['rules', 'check', folder], { PBX_KEY: 'k' })).toEqual({ code: 0, stdout: `${folder}: 2 file(s) OK\n`, stderr: '' });
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('rules test: the table and the decision, with --rules or RULES_DIR', async () => {
      const args = ['rules', 'test', join(dir, 'lead.json'), join(dir, 'answer.json')];
      const table = await run([...args, '--rules', join(ROOT, 'rules')]);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      expect(table.stdout).toMatch(/^0 +\$\.customer\.status +\["Active"\] +yes$/m);
      expect(table.stdout).toMatch(/^decision: \{.*"reason":"existing customer"\}$/m);
      expect(await run(args, { RULES_DIR: join(ROOT, 'rules') })).toEqual(table);
    });

    it('migrate without DATABASE_URL: 1; serve with a bad environment: the error, for the caller to report', async () => {
      expect(await run(['migrate'])).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining('migrate needs DATABASE_URL') });
      await expect(run(['serve'], { PORT: 'eighty' })).rejects.toThrow(/invalid environment:\nPORT/);
    });
  });
});

describe('packageVersion', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadgate-version-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("finds leadgate's package.json from the sources and from the build (dist/src/cli)", () => {
    expect(packageVersion(pathToFileURL(join(ROOT, 'src/cli/main.ts')).href)).toBe(VERSION);
    expect(packageVersion(pathToFileURL(join(ROOT, 'dist/src/cli/main.js')).href)).toBe(VERSION);
  });

  it('walks past a package.json of another name, and says so when there is none', async () => {
    await mkdir(join(dir, 'app/node_modules/tool/cli'), { recursive: true });
    await writeFile(join(dir, 'app/package.json'), JSON.stringify({ name: 'leadgate', version: '9.8.7' }));
    await writeFile(join(dir, 'app/node_modules/tool/package.json'), JSON.stringify({ name: 'tool', version: '1.0.0' }));
    expect(packageVersion(pathToFileURL(join(dir, 'app/node_modules/tool/cli/main.js')).href)).toBe('9.8.7');
    await mkdir(join(dir, 'elsewhere'));
    expect(() => packageVersion(pathToFileURL(join(dir, 'elsewhere/main.js')).href)).toThrow(/no package.json of leadgate above/);
  });
});

describe("serve's environment help", () => {
  it('describes every setting of the schema with the default the schema applies', () => {
    expect(Object.keys(SETTINGS).sort()).toEqual(Object.keys(envSchema.shape).sort());
    const defaults = envSchema.parse({}) as Record<string, unknown>;
    for (const [name, { default: shown }] of Object.entries(SETTINGS)) {
      const value = defaults[name];
      if (typeof value === 'number' || typeof value === 'string') expect(shown, name).toBe(String(value));
      else expect(shown, name).toMatch(/^(unset|on)\b/);
    }
    expect(defaults.LEADGATE_DEMO).toBe(true);
    expect(defaults.LEADGATE_API_KEYS).toEqual([]);
  });
});
