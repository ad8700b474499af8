import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_CODES, type ResultCode } from '../../src/codes.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { createAppWithCrm } from '../support/crm-rules.js';
import { admin } from '../support/admin.js';
import { API_KEY, createTestApp, type TestApp } from '../support/test-app.js';
import { backticked, blocksNamed, codeBlocks, readDoc, shownOutput, tableRows, type CodeBlock } from './markdown.js';

/*
 * Keeps docs/integrations/ true: the code the pages show is run against the real app, and the
 * answers they show are compared with what the app answers.
 */

const run = promisify(execFile);
const SHIPPED_RULES = fileURLToPath(new URL('../../rules', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const webForm = readDoc('docs/integrations/web-form.md');
const leadConduit = readDoc('docs/integrations/leadconduit.md');

const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = whsec();
const PREVIOUS_SECRET = whsec();
const ENV = { WEB_FORM_SECRET: SECRET, WEB_FORM_SECRET_PREVIOUS: PREVIOUS_SECRET };

/**
 * The shipped rules folder plus the doc's source file, in a fresh folder. `forApp` drops the
 * shipped duplicate-check table: it asks the demo CRM on 127.0.0.1:8080, which these tests do
 * not serve (the loader tests keep it).
 */
async function shippedRulesWith(sourceYaml: string, options: { forApp?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-docs-rules-'));
  await cp(SHIPPED_RULES, dir, { recursive: true });
  await mkdir(join(dir, 'sources'), { recursive: true });
  await writeFile(join(dir, 'sources/web-form.yaml'), sourceYaml);
  if (options.forApp) await rm(join(dir, 'duplicate-check.yaml'));
  return dir;
}

async function compileFolder(dir: string) {
  const result = compileRuleSet(await readRulesDir(dir), ENV);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.file} at ${e.path}: ${e.message}`).join('\n'));
  return result.rules;
}

async function listen(app: TestApp['app']): Promise<{ server: ServerType; base: string }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('docs/integrations/web-form.md', () => {
  const [sourceBlock, rotationBlock] = blocksNamed(webForm, 'yaml', '# rules/sources/web-form.yaml');
  const [cryptoHook, packageHook] = blocksNamed(webForm, 'js', '// leadgate-hook.mjs');
  const [sendOne] = blocksNamed(webForm, 'js', '// send-one.mjs');
  const [byHand] = blocksNamed(webForm, 'sh', '# sign-and-send.sh');

  let rulesDir: string;
  let rotationDir: string;
  let appRulesDir: string;
  let rotationAppDir: string;
  let scratch: string;
  let t: TestApp;
  let base: string;
  let server: ServerType;
  beforeAll(async () => {
    rulesDir = await shippedRulesWith(sourceBlock!.text);
    rotationDir = await shippedRulesWith(rotationBlock!.text);
    appRulesDir = await shippedRulesWith(sourceBlock!.text, { forApp: true });
    rotationAppDir = await shippedRulesWith(rotationBlock!.text, { forApp: true });
    t = await createTestApp({ rulesDir: appRulesDir, env: ENV });
    ({ server, base } = await listen(t.app));
    scratch = await mkdtemp(join(tmpdir(), 'leadgate-docs-snippets-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    for (const dir of [rulesDir, rotationDir, appRulesDir, rotationAppDir, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the one-secret source and the rotation source, named by their file', () => {
    expect(sourceBlock!.text).toContain('${env:WEB_FORM_SECRET}');
    expect(rotationBlock!.text).toContain('${env:WEB_FORM_SECRET_PREVIOUS}');
    // secrets come only from the environment
    for (const block of [sourceBlock!, rotationBlock!]) {
      const secrets = (parse(block.text) as { signature: { secrets: string[] } }).signature.secrets;
      expect(secrets.every((s) => /^\$\{env:[A-Z_]+\}$/.test(s))).toBe(true);
    }
  });

  it.each([
    ['source', () => rulesDir, [SECRET]],
    ['rotation source', () => rotationDir, [SECRET, PREVIOUS_SECRET]],
  ] as const)('the %s loads with the shipped rules through the rule loader', async (_name, dir, secrets) => {
    const rules = await compileFolder(dir());
    const source = rules.sources.get('web-form')!;
    expect(source).toMatchObject({ scheme: 'standard-webhooks', secrets, templateId: 1, campaignId: 10, allocationId: 100, action: 'insert' });
    expect(source.eventId).toBeUndefined();
    expect(rules.duplicateCheck).toBeDefined();
  });

  /** Writes the doc's hook module and send-one.mjs into a folder of the scratch dir and runs it. */
  async function runSendOne(hook: CodeBlock, folder: string) {
    const dir = join(scratch, folder);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'leadgate-hook.mjs'), hook.text);
    await writeFile(join(dir, 'send-one.mjs'), sendOne!.text);
    const { stdout } = await run(process.execPath, ['send-one.mjs'], {
      cwd: dir,
      env: { ...process.env, LEADGATE_HOOK_URL: `${base}/hooks/web-form`, WEB_FORM_SECRET: SECRET },
    });
    return stdout.trim();
  }

  it('the node:crypto snippet signs so that leadgate accepts it, with the answer the doc shows', async () => {
    expect(cryptoHook!.firstLine).toContain('node:crypto');
    expect(await runSendOne(cryptoHook!, 'crypto')).toBe(shownOutput(sendOne!, '//'));
  });

  it('the standardwebhooks snippet calls the package as its API is (same event: the first answer again)', async () => {
    expect(packageHook!.firstLine).toContain('standardwebhooks');
    // The real package (a dev dependency), found from the scratch folder as the reader's project would find it.
    await mkdir(join(scratch, 'package'), { recursive: true });
    await symlink(join(ROOT, 'node_modules'), join(scratch, 'package', 'node_modules'), 'dir');
    expect(await runSendOne(packageHook!, 'package')).toBe(shownOutput(sendOne!, '//'));
  });

  const tools = spawnSync('bash', ['-c', 'command -v openssl && command -v curl && command -v od && command -v base64'], { encoding: 'utf8' });
  it.skipIf(tools.status !== 0)('the curl and openssl example signs so that leadgate accepts it, with the answer the doc shows', async () => {
    const { stdout } = await run('bash', ['-c', byHand!.text], { env: { ...process.env, LEADGATE_URL: base, WEB_FORM_SECRET: SECRET } });
    expect(stdout.trim()).toBe(shownOutput(byHand!, '#'));
  });

  describe('the answers the doc shows', () => {
    let signatureHeaders: (secret: string, id: string, body: string, timestamp?: number) => Record<string, string>;
    beforeAll(async () => {
      const file = join(scratch, 'crypto', 'leadgate-hook.mjs');
      ({ signatureHeaders } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { signatureHeaders: typeof signatureHeaders });
    });

    const submission = (id: string, phone: string, firstName = 'Ada') =>
      JSON.stringify({ submissionId: id, lead: { phone, firstName, email: `${firstName.toLowerCase()}@example.com` } });
    async function deliver(id: string, body: string, options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
      const headers = options.headers ?? signatureHeaders(options.secret ?? SECRET, id, body, options.timestamp);
      const res = await fetch(`${base}/hooks/web-form`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
    }
    const now = () => Math.floor(Date.now() / 1000);

    /** How each answer the doc shows is produced, keyed by its eventId or error. */
    const scenarios: Record<string, () => Promise<{ status: number; text: string }>> = {
      'f-1003': () => deliver('f-1003', submission('f-1003', '0412 345 678')),
      'f-1001-again': () => deliver('f-1001-again', submission('f-1001', '0412 345 681')),
      'signature rejected: timestamp outside the ±300 s window': () => deliver('f-2001', submission('f-2001', '0412 345 682'), { timestamp: now() - 301 }),
      'signature rejected: no signature matches': () => deliver('f-2002', submission('f-2002', '0412 345 683'), { secret: whsec() }),
      'event f-1001 was already delivered with a different body': () => deliver('f-1001', submission('f-1001', '0412 345 684')),
    };
    const expectedStatus: Record<string, number> = { 'f-1003': 200, 'f-1001-again': 200, 'event f-1001 was already delivered with a different body': 422 };

    it('every JSON answer on the page is what leadgate answers in the situation described', async () => {
      const shown = codeBlocks(webForm)
        .filter((b) => b.lang === 'json')
        .map((b) => JSON.parse(b.text) as Record<string, unknown>);
      expect(shown.length).toBe(Object.keys(scenarios).length);
      for (const answer of shown) {
        const key = String(answer.eventId ?? answer.error);
        const scenario = scenarios[key];
        expect(scenario, `no scenario for the shown answer ${key}`).toBeDefined();
        const got = await scenario!();
        expect(JSON.parse(got.text), key).toEqual(answer);
        expect(got.status, key).toBe(expectedStatus[key] ?? 401);
      }
    });

    it('a redelivery with the same id and body gets the first answer again, marked as replayed', async () => {
      const body = submission('f-1001', '0412 345 678');
      const again = await deliver('f-1001', body);
      expect(again.status).toBe(200);
      expect(webForm).toContain('`Idempotent-Replayed: true`');
      expect(again.replayed).toBe('true');
      expect(`200 ${again.text}`).toBe(shownOutput(sendOne!, '//'));
      // signed again with another timestamp inside the window: still the same event
      expect((await deliver('f-1001', body, { timestamp: now() - 200 })).text).toBe(again.text);
    });

    it('every 401 reason the page explains is one leadgate gives', async () => {
      const section = webForm.slice(webForm.indexOf('## When a submission is refused with 401'));
      const reasons = [...section.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!);
      const body = submission('f-3001', '0412 345 690');
      const produce: Record<string, () => Promise<{ status: number; text: string }>> = {
        'missing webhook-id or webhook-signature header': () => deliver('f-3001', body, { headers: {} }),
        'missing or malformed timestamp': () => deliver('f-3001', body, { headers: { ...signatureHeaders(SECRET, 'f-3001', body), 'webhook-timestamp': String(Date.now()) } }),
        'timestamp outside the ±300 s window': () => deliver('f-3001', body, { timestamp: now() + 301 }),
        'no signature matches': () => deliver('f-3001', body, { headers: { ...signatureHeaders(SECRET, 'f-3001', body), 'webhook-signature': signatureHeaders(SECRET, 'f-3001', `${body}\n`)['webhook-signature']! } }),
      };
      expect(reasons.sort()).toEqual(Object.keys(produce).sort());
      for (const reason of reasons) {
        const got = await produce[reason]!();
        expect({ status: got.status, body: JSON.parse(got.text) }).toEqual({ status: 401, body: { error: `signature rejected: ${reason}` } });
      }
    });

    it('during a rotation both secrets are accepted', async () => {
      t.rules.swap(await compileFolder(rotationAppDir));
      const oldSigned = submission('f-4001', '0412 345 691');
      const newSigned = submission('f-4002', '0412 345 692');
      expect(JSON.parse((await deliver('f-4001', oldSigned, { secret: PREVIOUS_SECRET })).text)).toMatchObject({ code: 0 });
      expect(JSON.parse((await deliver('f-4002', newSigned, { secret: SECRET })).text)).toMatchObject({ code: 0 });
      // both signatures in one header, as the page describes for a sender's own switch-over
      const both = submission('f-4003', '0412 345 693');
      const headers = signatureHeaders(SECRET, 'f-4003', both);
      headers['webhook-signature'] = `${headers['webhook-signature']} ${signatureHeaders(whsec(), 'f-4003', both, Number(headers['webhook-timestamp']))['webhook-signature']}`;
      expect(JSON.parse((await deliver('f-4003', both, { headers })).text)).toMatchObject({ code: 0 });
    });
  });
});

/**
 * LeadConduit's JSON delivery ("Custom" integration), as this repository reads its public source
 * (activeprospect/leadconduit-integration-custom 2.23.8, lib/response.js and lib/helpers.js): HTTP
 * 5xx is `error` with reason "Server error" and the body unread; otherwise the value at the search
 * path, as trimmed lower-case text, is searched with the term as a regular expression. This is a
 * model of what the doc claims, not LeadConduit itself.
 */
function leadConduitOutcome(status: number, body: Record<string, unknown>, settings: Map<string, string>) {
  if (status >= 500 && status < 600) return { outcome: 'error', reason: 'Server error' };
  const term = new RegExp(settings.get('outcome_search_term')!.trim().toLowerCase());
  const value = body[settings.get('outcome_search_path')!];
  const text = value === undefined || value === null ? '' : String(value).trim().toLowerCase();
  const onMatch = settings.get('outcome_on_match') ?? 'success';
  const inverse = onMatch === 'failure' ? 'success' : onMatch === 'success' ? 'failure' : 'success';
  const reasonValue = body[settings.get('reason_path')!];
  const referenceValue = body[settings.get('reference_path')!];
  return {
    outcome: text !== '' && term.test(text) ? onMatch : inverse,
    reason: typeof reasonValue === 'string' ? reasonValue : undefined,
    reference: referenceValue === undefined ? undefined : String(referenceValue),
  };
}

describe('docs/integrations/leadconduit.md', () => {
  const settings = new Map(
    tableRows(leadConduit, 'setting (variable)')
      .filter((row) => /`(outcome_|reason_path|reference_path)/.test(row[0]!))
      .map((row) => [backticked(row[0]!), backticked(row[1]!)]),
  );
  const url = new URL(backticked(tableRows(leadConduit, 'setting (variable)').find((row) => row[0]!.includes('`url`'))![1]!));
  const [renderedBody] = codeBlocks(leadConduit).filter((b) => b.lang === 'json');
  const outcomeTable = tableRows(leadConduit, 'code');

  let env: Awaited<ReturnType<typeof createAppWithCrm>>;
  beforeAll(async () => {
    // the shipped demo table (existing customer, do not call, score below 50) against a fake CRM
    const shippedTable = parse(readDoc('rules/duplicate-check.yaml')) as { rows: unknown[] };
    env = await createAppWithCrm({ table: { rows: shippedTable.rows }, app: { admission: { slots: 1, queueTimeoutMs: 200 } } });
    env.crm.setHandler((request) => {
      const phone = String((JSON.parse(request.body) as { phone_number?: string }).phone_number ?? '');
      if (phone.endsWith('1')) return { json: { customer: { status: 'Active' } } };
      if (phone.endsWith('3')) return { json: { customer: { score: 10 } } };
      if (phone.endsWith('7')) return { json: {}, delayMs: 600 };
      return { json: {} };
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  /** POSTs a lead the way the doc's step does: its URL (with the test's key) and a JSON body. */
  async function post(body: unknown, options: { apiKey?: string; headers?: Record<string, string> } = {}) {
    const target = new URL(url);
    target.searchParams.set('apiKey', options.apiKey ?? API_KEY);
    const res = await env.t.app.request(`${target.pathname}${target.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
  }

  it('names the settings the step needs, with the anchored term', () => {
    expect(Object.fromEntries(settings)).toEqual({
      outcome_search_term: '^0$',
      outcome_search_path: 'code',
      outcome_on_match: 'success',
      reason_path: 'description',
      reference_path: 'leadId',
    });
    expect(url.pathname).toBe('/servicemanager/rest/CampaignAPI/insertLeadFast');
    expect([...url.searchParams.keys()].sort()).toEqual(['apiKey', 'fAllocationId', 'fCampaignId', 'fTemplateId']);
  });

  it('the body the doc shows is created, and its curl check shows the answers leadgate gives', async () => {
    const curlBlock = codeBlocks(leadConduit).find((b) => b.lang === 'sh' && b.text.includes('insertLeadFast'))!;
    expect(curlBlock.text).toContain(`-d '${renderedBody!.text.trim()}'`);
    const [firstLine, againLine] = curlBlock.text.split('\n').filter((l) => l.startsWith('# '));
    const first = await post(renderedBody!.text);
    expect(first.status).toBe(Number(/HTTP\/1\.1 (\d{3})/.exec(firstLine!)![1]));
    expect(first.body).toEqual(JSON.parse(firstLine!.slice(firstLine!.indexOf('{'))));
    const again = await post(renderedBody!.text);
    expect(again.status).toBe(Number(/HTTP\/1\.1 (\d{3})/.exec(againLine!)![1]));
    expect(again.body.code).toBe(Number(/"code":(\d+)/.exec(againLine!)![1]));
  });

  it('a national number without its 0 is read in the template country; a number of another country is refused', async () => {
    expect(leadConduit).toContain('An Australian template reads `412345678` as `+61 412 345 678`');
    const us = await post({ phone: '5125551212', firstName: 'Sam', njExternalLeadId: 'lc-us-1' });
    const said = /a US number sent to it is\s+refused with (\d{3}) ([A-Z_]+)/.exec(leadConduit);
    expect(said, 'the page names the code a US number gets').not.toBeNull();
    expect(us.body).toMatchObject({ code: Number(said![1]), message: said![2] });
  });

  it('every code in the outcome table has the HTTP status leadgate gives it and the outcome the settings produce', async () => {
    // real answers for the codes a test can provoke; the rest are checked against src/codes.ts
    const produced = new Map<number, Awaited<ReturnType<typeof post>>>();
    const record = (answer: Awaited<ReturnType<typeof post>>) => produced.set(Number(answer.body.code), answer);
    record(await post({ phone: '0412 555 100', firstName: 'Ada', email: 'ada@example.com', njExternalLeadId: 'lc-0' }));
    record(await post({ phone: '0412 555 100', njExternalLeadId: 'lc-105' }));
    record(await post({ phone: '0412 555 103', njExternalLeadId: 'lc-205' }));
    record(await post({ phone: '0412 555 200', njExternalLeadId: 'lc-0' }));
    record(await post({ phone: '', njExternalLeadId: 'lc-102' }));
    record(await post({ phone: '0412 555 300', mobile: 'call me', njExternalLeadId: 'lc-202' }));
    expect((await admin(env.t.app, 'POST', '/admin/dnc', { body: { phone: '0412 555 104', reason: 'asked not to be called' } })).status).toBe(201);
    record(await post({ phone: '0412 555 104', njExternalLeadId: 'lc-104' }));
    // one slot: a lead whose CRM check takes 600 ms keeps the next one waiting past the 200 ms queue timeout
    const [slow, queued] = await Promise.all([post({ phone: '0412 555 107', njExternalLeadId: 'lc-slow' }), new Promise((r) => setTimeout(r, 50)).then(() => post({ phone: '0412 555 109', njExternalLeadId: 'lc-109' }))]);
    expect(slow.body.code).toBe(0);
    record(queued);
    record(await post({ phone: '0412 555 401' }, { apiKey: 'not-a-key' }));

    const rows = new Map(outcomeTable.map((row) => [Number(row[0]), { message: row[1]!, http: Number(row[2]), outcome: row[3]! }]));
    expect([...produced.keys()].filter((code) => !rows.has(code))).toEqual([]);
    for (const [code, row] of rows) {
      const known = RESULT_CODES[code as ResultCode] as (typeof RESULT_CODES)[ResultCode] | undefined;
      if (known) expect({ code, message: known.message, http: known.http }).toEqual({ code, message: row.message, http: row.http });
      const answer = produced.get(code);
      if (!answer) {
        // not provoked here: its outcome follows from its status, which is 5xx for these
        expect(row.http, `code ${code}`).toBeGreaterThanOrEqual(500);
        expect(row.outcome).toBe('error');
        continue;
      }
      expect({ code, status: answer.status, message: answer.body.message }).toEqual({ code, status: row.http, message: row.message });
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect({ code, outcome: leadConduitOutcome(answer.status, answer.body, settings).outcome }).toEqual({ code, outcome: row.outcome });
    }
    expect([...produced.keys()].sort((a, b) => a - b)).toEqual([0, 102, 104, 105, 109, 112, 202, 205, 401]);

    // the paths the outcome settings name exist in real answers
    for (const [code, answer] of produced) {
      expect(answer.body, `code ${code}`).toHaveProperty(settings.get('outcome_search_path')!);
      if (code !== 401) expect(typeof answer.body[settings.get('reason_path')!], `code ${code}`).toBe('string');
      if (code === 0 || code === 205) expect(answer.body[settings.get('reference_path')!], `code ${code}`).toMatch(/^\d+$/);
      else expect(answer.body, `code ${code}`).not.toHaveProperty(settings.get('reference_path')!);
    }
    // 109: HTTP 400 with Retry-After, as the page says
    expect(produced.get(109)!.headers.get('retry-after')).toMatch(/^\d+$/);
    // 205: created, and the reason the page quotes
    const quoted205 = /marked it as failed: [a-z 0-9]+/.exec(leadConduit)![0];
    expect(produced.get(205)!.body.description).toBe(`the lead was created, but the duplicate check ${quoted205}`);
    expect(leadConduitOutcome(produced.get(205)!.status, produced.get(205)!.body, settings)).toMatchObject({ outcome: 'failure', reference: produced.get(205)!.body.leadId });
    // a duplicate-check skip is a 105 whose description carries the row's reason
    const skipped = await post({ phone: '0412 555 111', njExternalLeadId: 'lc-skip' });
    expect(skipped.body).toMatchObject({ code: 105, reason: 'existing customer', description: 'skipped as a duplicate by the duplicate check: existing customer' });
    // the 401 the doc quotes is the one a wrong key gets
    const unauthorized = produced.get(401)!.body;
    expect(unauthorized).toEqual({ code: 401, message: 'UNAUTHORIZED', description: expect.any(String) });
    expect(leadConduit).toContain(`\`${JSON.stringify(unauthorized)}\``);
  });

  it('an unanchored term would read duplicates as successes; the anchored one does not', () => {
    const unanchored = new Map(settings).set('outcome_search_term', '0');
    for (const code of [105, 205, 109]) {
      const body = { code, message: 'x', description: 'y' };
      expect(leadConduitOutcome(400, body, unanchored).outcome).toBe('success');
      expect(leadConduitOutcome(400, body, settings).outcome).toBe('failure');
    }
  });

  it('the codes listed as "also failure" are answered with a non-5xx status', () => {
    const sentence = /Also `failure`[\s\S]*?\n\n/.exec(leadConduit)![0];
    const codes = [...sentence.matchAll(/\b(\d{3})\b/g)].map((m) => Number(m[1]) as ResultCode);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(RESULT_CODES[code].http, `code ${code}`).toBeLessThan(500);
  });

  it('with Idempotency-Key, an identical retry gets the first answer again', async () => {
    expect(leadConduit).toContain('`header.Idempotency-Key` ← `{{lead.id}}`');
    const body = { phone: '0412 555 120', firstName: 'Lin', njExternalLeadId: 'lc-idem' };
    const first = await post(body, { headers: { 'idempotency-key': 'lc-idem' } });
    const retry = await post(body, { headers: { 'idempotency-key': 'lc-idem' } });
    expect(first.body.code).toBe(0);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const other = await post({ ...body, firstName: 'Other' }, { headers: { 'idempotency-key': 'lc-idem' } });
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 422, code: 208 });
  });
});
