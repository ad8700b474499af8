import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedUpdates } from '../../src/cli/inject/applied-updates.js';
import { runInject } from '../../src/cli/inject/command.js';
import { parseInjectArgs } from '../../src/cli/inject/options.js';
import { injectUrl, openHttpSender } from '../../src/cli/inject/http-sender.js';
import { actionOf, derivedExternalId, prepareRow } from '../../src/cli/inject/prepare-row.js';
import { InputError, openRows, type SourceRow } from '../../src/cli/inject/read-rows.js';
import { csvLine, RejectedFile } from '../../src/cli/inject/rejected-file.js';
import { InjectStop } from '../../src/cli/inject/sender.js';
import { LOCK_FILE } from '../../src/store/backends/data-dir-lock.js';
import { pgliteRunner } from '../../src/store/backends/pglite.js';
import { databaseIdentity } from '../../src/cli/inject/in-process.js';
import { PGlite } from '@electric-sql/pglite';
import { BASIC_RULES } from '../support/test-app.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leadgate-inject-parts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function readAll(path: string): Promise<SourceRow[]> {
  const reader = await openRows(path);
  const rows: SourceRow[] = [];
  for await (const row of reader.rows()) rows.push(row);
  return rows;
}

describe('reading rows', () => {
  it('reads CSV with a BOM, CRLF, quoted commas and line breaks, values as strings, header names trimmed', async () => {
    const path = await file('a.csv', Buffer.from('\uFEFFphone, firstName ,note\r\n0412000001,Ada,"a, ""b""\r\nc"\r\n\r\n0412000002,,007\r\n', 'utf8'));
    const rows = await readAll(path);
    expect(rows).toEqual([
      { number: 1, value: { phone: '0412000001', firstName: 'Ada', note: 'a, "b"\r\nc' }, cells: ['0412000001', 'Ada', 'a, "b"\r\nc'] },
      { number: 2, value: { phone: '0412000002', firstName: '', note: '007' }, cells: ['0412000002', '', '007'] },
    ]);
  });

  it('marks a row with the wrong number of cells instead of stopping, and keeps __proto__ a plain field', async () => {
    const rows = await readAll(await file('b.csv', 'phone,__proto__\n0412000001\n0412000002,x,y\n0412000003,z\n'));
    expect(rows.map((r) => r.problem)).toEqual(['the row has 1 cells, the header has 2', 'the row has 3 cells, the header has 2; extra cells: ["y"]', undefined]);
    const last = rows[2]!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(last)).toBe(Object.prototype);
    expect(Object.keys(last)).toEqual(['phone', '__proto__']);
  });

  it('refuses files it cannot use, before anything is sent', async () => {
    await expect(openRows(await file('empty.csv', ''))).rejects.toThrow(/empty/);
    await expect(openRows(await file('dup.csv', 'phone,phone\n1,2\n'))).rejects.toThrow(/names column 'phone' twice/);
    await expect(openRows(await file('leads.txt', 'x'))).rejects.toThrow(/unknown file type/);
    await expect(openRows(join(dir, 'missing.csv'))).rejects.toBeInstanceOf(InputError);
    await expect(openRows(await file('obj.json', '"just a string"'))).rejects.toThrow(/array of lead objects/);
  });

  it('stops with the line number on broken CSV quoting', async () => {
    const reader = await openRows(await file('quote.csv', 'phone,note\n0412000001,ok\n0412000002,"bad"x\n'));
    const read = async () => {
      for await (const _row of reader.rows());
    };
    await expect(read()).rejects.toThrow(/quote.csv: .*line 3/);
  });

  it('streams JSON lines (blank lines skipped, a line that is not JSON marked) and reads a .json array', async () => {
    const lines = await readAll(await file('a.jsonl', '{"phone":"0412000001"}\n\nnope\r\n{"phone":1}'));
    expect(lines).toEqual([
      { number: 1, value: { phone: '0412000001' } },
      { number: 2, value: 'nope', problem: expect.stringMatching(/^the line is not JSON/) },
      { number: 3, value: { phone: 1 } },
    ]);
    const array = await readAll(await file('a.json', ' [{"phone":"0412000001"}, 5]'));
    expect(array).toEqual([
      { number: 1, value: { phone: '0412000001' } },
      { number: 2, value: 5 },
    ]);
    // a .json file of one object per line is read as JSON lines
    expect((await openRows(await file('lines.json', '{"phone":"1"}\n{"phone":"2"}\n'))).format).toBe('jsonl');
  });
});

describe('preparing rows', () => {
  it('derives the external id of an ADD row without one from its content, whatever the column order', () => {
    const a = prepareRow({ phone: '0412000001', firstName: 'Ada' });
    const b = prepareRow({ firstName: 'Ada', phone: '0412000001', NjExternalLeadId: '  ' });
    expect(a.derivedId).toMatch(/^row:[0-9a-f]{24}$/);
    expect(prepareRow({ firstName: 'Ada', phone: '0412000001' }).derivedId).toBe(a.derivedId);
    expect(b.derivedId).toBe(derivedExternalId({ firstName: 'Ada', phone: '0412000001', NjExternalLeadId: '  ' }));
    expect(a.send).toEqual({ phone: '0412000001', firstName: 'Ada', njExternalLeadId: a.derivedId });
    // the row's own spelling of the field is the one set, so the lead never has the field twice
    expect(Object.keys(b.send as object)).toEqual(['firstName', 'phone', 'NjExternalLeadId']);
    expect(derivedExternalId({ b: '1', a: '2' })).toBe(derivedExternalId({ a: '2', b: '1' }));
    expect(derivedExternalId({ a: '1' })).not.toBe(derivedExternalId({ a: '2' }));
  });

  it('leaves rows with an id, update rows and unknown actions as they are', () => {
    const withId = { phone: '1', njExternalLeadId: 'X-1' };
    expect(prepareRow(withId)).toEqual({ action: 'ADD', send: withId });
    const modify = { njAction: ' modify ', njExternalLeadId: '' };
    expect(prepareRow(modify)).toEqual({ action: 'MODIFY', send: modify });
    expect(actionOf({ NJACTION: 'Reallocate' })).toBe('REALLOCATE');
    expect(actionOf({ njAction: 'DELETE' })).toBe('OTHER');
    expect(prepareRow(5)).toEqual({ action: 'ADD', send: 5 });
  });
});

describe('the rejected file', () => {
  it('is valid CSV that gives back the cells exactly, with code and message', async () => {
    const path = join(dir, 'r.csv.rejected.csv');
    const out = new RejectedFile(path, 'csv', () => ['phone', 'note']);
    await out.write({ number: 1, value: {}, cells: ['0412', 'quote " comma , break\nend'] }, 105, 'DUPLICATE: already, "there"');
    await out.write({ number: 2, value: {}, cells: [' lead space', ''] }, 202, 'INVALID_PHONE_NUMBER');
    await out.close();
    const text = await readFile(path, 'utf8');
    expect(parse(text)).toEqual([
      ['phone', 'note', 'code', 'message'],
      ['0412', 'quote " comma , break\nend', '105', 'DUPLICATE: already, "there"'],
      [' lead space', '', '202', 'INVALID_PHONE_NUMBER'],
    ]);
    expect(csvLine(['plain', 'a"b'])).toBe('plain,"a""b"\r\n');
  });
});

describe('applied updates', () => {
  it('remembers applied update rows for the same run only', async () => {
    const path = join(dir, 'f.csv.inject-state.json');
    const run = AppliedUpdates.runKey({ file: 'abc', destination: 'x' });
    const first = await AppliedUpdates.open(path, run);
    expect(first.resumed).toBe(false);
    first.add(3);
    first.add(100_000);
    await first.save();
    const again = await AppliedUpdates.open(path, run);
    expect([again.resumed, again.has(3), again.has(4), again.has(100_000)]).toEqual([true, true, false, true]);
    const other = await AppliedUpdates.open(path, AppliedUpdates.runKey({ file: 'abc', destination: 'y' }));
    expect([other.resumed, other.has(3)]).toEqual([false, false]);
  });

  it('stops rather than take a state file it cannot read or understand for "nothing applied"', async () => {
    const run = AppliedUpdates.runKey({ file: 'abc', destination: 'x' });
    // a folder where the file should be: unreadable as a file, whoever runs the test (root reads through chmod 000)
    const folder = join(dir, 'folder.inject-state.json');
    await mkdir(folder);
    await expect(AppliedUpdates.open(folder, run)).rejects.toMatchObject({ name: 'InjectStop', exitCode: 2, message: expect.stringContaining(`cannot read ${folder}`) });
    const garbage = await file('garbage.inject-state.json', 'not json');
    await expect(AppliedUpdates.open(garbage, run)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('not a state file leadgate wrote') });
    const foreign = await file('foreign.inject-state.json', '{"version":2}');
    await expect(AppliedUpdates.open(foreign, run)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('delete it to apply the update rows again') });
  });
});

describe('the database a run is kept for', () => {
  it('is the cluster and the database oid, and a store that cannot say stops the import instead of keeping state under an empty id', async () => {
    const pg = await PGlite.create();
    const runner = pgliteRunner(pg);
    expect(await databaseIdentity(runner)).toMatch(/^\d+\/\d+$/);
    await pg.close();
    await expect(databaseIdentity(runner)).rejects.toMatchObject({ name: 'InjectStop', exitCode: 2, message: expect.stringContaining("cannot identify the lead store's database") });
  });
});

describe('arguments', () => {
  const env = {};
  const target = ['--template', '1', '--campaign', '10', '--allocation', '100'];
  /** The error parseInjectArgs throws for `argv`, as the CLI would report it. */
  const refusal = (argv: string[], environment: Record<string, string> = env) => {
    try {
      parseInjectArgs(argv, environment);
    } catch (error) {
      expect(error).toBeInstanceOf(CommanderError);
      return error as CommanderError;
    }
    throw new Error(`accepted: ${argv.join(' ')}`);
  };

  it('parses the options, with their defaults', () => {
    expect(parseInjectArgs(['f.csv', ...target], env)).toEqual({
      file: 'f.csv',
      templateId: '1',
      campaignId: '10',
      allocationId: '100',
      batchSize: 500,
      allowDuplicates: false,
      json: false,
      progressIntervalMs: 5000,
    });
    expect(parseInjectArgs(['f.csv', ...target, '--url', 'http://x', '--batch-size', '20', '--allow-duplicates', '--json', '--progress-interval', '0.5'], { LEADGATE_API_KEY: 'k' })).toMatchObject({
      url: 'http://x',
      apiKey: 'k',
      batchSize: 20,
      allowDuplicates: true,
      json: true,
      progressIntervalMs: 500,
    });
    // the option wins over the environment
    expect(parseInjectArgs(['f.csv', ...target, '--url', 'http://x', '--api-key', 'given'], { LEADGATE_API_KEY: 'k' }).apiKey).toBe('given');
    expect(parseInjectArgs(['f.csv', ...target, '--batch-size', '10000'], env).batchSize).toBe(10_000);
  });

  it('refuses bad arguments as usage errors (exit code 2) naming what is wrong', () => {
    const cases: Array<[string[], RegExp]> = [
      [['f.csv', '--template', '1', '--campaign', '10'], /required option --allocation <id> not specified/],
      [['f.csv', '--campaign', '10'], /required options --template <id>, --allocation <id> not specified/],
      [target, /missing required argument 'file'/],
      [['f.csv', 'g.csv', ...target], /too many arguments/],
      [['f.csv', ...target, '--batch-size', '0'], /'--batch-size <rows>' argument '0' is invalid\. It must be an integer from 1 to 10000/],
      [['f.csv', ...target, '--batch-size', '10001'], /argument '10001' is invalid/],
      [['f.csv', ...target, '--batch-size', '1e3'], /argument '1e3' is invalid/],
      [['f.csv', ...target, '--progress-interval', '0'], /'--progress-interval <seconds>' argument '0' is invalid/],
      [['f.csv', ...target, '--progress-interval', ' '], /argument ' ' is invalid/],
      [['f.csv', ...target, '--url', 'http://x'], /--url needs --api-key \(or LEADGATE_API_KEY\)/],
      [['f.csv', ...target, '--api-key', 'k'], /--api-key goes with --url/],
      [['f.csv', '--nope', ...target], /unknown option '--nope'/],
    ];
    for (const [argv, message] of cases) {
      const error = refusal(argv);
      expect(error.message, argv.join(' ')).toMatch(message);
      expect(error.exitCode, argv.join(' ')).toBe(2);
    }
    // LEADGATE_API_KEY alone is not an --api-key without --url
    expect(parseInjectArgs(['f.csv', ...target], { LEADGATE_API_KEY: 'k' }).apiKey).toBeUndefined();
    expect(refusal(['--help'])).toMatchObject({ exitCode: 0, code: 'commander.helpDisplayed' });
  });

  it('exits 2 on a file it cannot read', async () => {
    let err = '';
    const sink = (write: (text: string) => void) => ({ write: (text: string) => (write(text), true), isTTY: false }) as unknown as NodeJS.WriteStream;
    const options = parseInjectArgs([join(dir, 'missing.csv'), ...target], env);
    const code = await runInject(options, { stdout: sink(() => {}), stderr: sink((text) => (err += text)), env: {} });
    expect({ code, err }).toMatchObject({ code: 2, err: expect.stringContaining('cannot read') });
  });

  it('an unreadable state file stops the import before any row, and the store it opened is closed again', async () => {
    let err = '';
    const sink = (write: (text: string) => void) => ({ write: (text: string) => (write(text), true), isTTY: false }) as unknown as NodeJS.WriteStream;
    const csv = await file('state-broken.csv', 'phone\n0412345001\n');
    await mkdir(`${csv}.inject-state.json`);
    const dataDir = join(dir, 'state-broken-data');
    const io = { stdout: sink(() => {}), stderr: sink((text) => (err += text)), env: { LEADGATE_DATA_DIR: dataDir, RULES_DIR: BASIC_RULES } };
    expect(await runInject(parseInjectArgs([csv, ...target], env), io)).toBe(2);
    expect(err).toContain(`cannot read ${csv}.inject-state.json`);
    // the sender was closed: the embedded store's folder is free again
    await expect(stat(join(dataDir, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('--url answers', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let script: Array<{ status: number; body: unknown; headers?: Record<string, string> }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        seen.push(`${req.url} ${body}`);
        const rows = JSON.parse(body) as unknown[];
        const next = script.shift() ?? { status: 200, body: { code: 0, message: 'OK', results: rows.map((_, index) => ({ index, code: 0, message: 'OK', leadId: String(index + 1) })) } };
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(JSON.stringify(next.body));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = () =>
    openHttpSender({ url: base, apiKey: 'k&1', templateId: '1', campaignId: '10', allocationId: '100', allowDuplicates: true, warn: () => {} });

  it('builds the injectLeads URL from a base URL', () => {
    const url = injectUrl('http://h:8080/', { apiKey: 'a b', fTemplateId: '1' });
    expect(url.toString()).toBe('http://h:8080/servicemanager/rest/CampaignAPI/injectLeads?apiKey=a+b&fTemplateId=1');
    expect(injectUrl('http://h/servicemanager/rest/CampaignAPI/injectLeads', {}).pathname).toBe('/servicemanager/rest/CampaignAPI/injectLeads');
    expect(() => injectUrl('ftp://h', {})).toThrow(InjectStop);
  });

  it('checks the key and target first, retries a batch answered 109 or 503, and reads the results', async () => {
    seen.length = 0;
    script = [];
    const sender = await open();
    expect(seen[0]).toBe('/servicemanager/rest/CampaignAPI/injectLeads?apiKey=k%261&fTemplateId=1&fCampaignId=10&fAllocationId=100&allowDuplicates=true []');
    expect(sender.destination).toBe(`${base}/servicemanager/rest/CampaignAPI/injectLeads`);
    script = [
      { status: 400, body: { code: 109, message: 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS' }, headers: { 'retry-after': '0' } },
      { status: 503, body: { code: 207, message: 'STORE_UNAVAILABLE' }, headers: { 'retry-after': '0' } },
    ];
    const results = await sender.send([{ phone: '1' }, { phone: '2' }]);
    expect(results).toEqual([
      { code: 0, message: 'OK', leadId: '1' },
      { code: 0, message: 'OK', leadId: '2' },
    ]);
    expect(seen).toHaveLength(4);
    await sender.close();
  });

  it('stops with exit 2 on 401 and on an unknown target, naming neither the key', async () => {
    script = [{ status: 401, body: { code: 401, message: 'UNAUTHORIZED' } }];
    await expect(open()).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/HTTP 401 401 UNAUTHORIZED \(check --api-key\)/) });
    script = [{ status: 400, body: { code: 116, message: 'TEMPLATE_ID_REQUIRED', description: 'fTemplateId 1 names no campaign template' } }];
    const stop = await open().catch((error: unknown) => error as InjectStop);
    expect(stop).toBeInstanceOf(InjectStop);
    expect((stop as InjectStop).message).toContain('116 TEMPLATE_ID_REQUIRED: fTemplateId 1 names no campaign template');
    expect((stop as InjectStop).message).not.toContain('k&1');
  });

  it('stops with exit 1 on a server fault part-way', async () => {
    script = [];
    const sender = await open();
    script = [{ status: 500, body: { code: 103, message: 'EXCEPTION', description: 'quote request id r-1' } }];
    await expect(sender.send([{ phone: '1' }])).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('HTTP 500 103 EXCEPTION: quote request id r-1') });
    await sender.close();
  });
});
