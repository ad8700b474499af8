import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppWithCrm } from '../support/crm-rules.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { deliveryState, insertDelivery, insertLead } from '../support/deliveries.js';
import { ADMIN_TOKEN, type TestApp } from '../support/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const runs = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!runs) console.warn(`admin UI browser test skipped: ${CHROMIUM} is missing (install Debian's chromium package; in CI it must run)`);

describe.skipIf(!runs)('the admin page in a real browser', () => {
  let t: TestApp;
  let crm: FakeCrm;
  let rulesDir: string;
  let close: () => Promise<void>;
  let server: ServerType;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    ({ t, crm, rulesDir, close } = await createAppWithCrm());
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await close?.();
  });

  it('takes the token, lists the files, shows a validation error before saving, saves, and reports a conflict', async () => {
    const consoleErrors: string[] = [];
    // 412 and 422 answers are logged by the browser as failed loads; anything else (a CSP refusal, a script error) is a bug
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && consoleErrors.push(m.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(`${base}/admin/ui`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#use-token');
    await page.click('#files button[data-path="dialer.yaml"]');
    const original = await readFile(join(rulesDir, 'dialer.yaml'), 'utf8');
    await expect.poll(() => page.inputValue('#editor')).toBe(original);

    await page.fill('#editor', original.replace('country: AU', 'country: QQ'));
    await page.waitForSelector('#validation li.error');
    expect(await page.textContent('#validation')).toBe("dialer.yaml at templates[0].country: unknown region code 'QQ'");
    expect(await readFile(join(rulesDir, 'dialer.yaml'), 'utf8')).toBe(original);

    const edited = `${original.trimEnd()}\n  - { id: 12, name: Added, templateId: 1, allocations: [{ id: 120, name: added }, { id: 121, name: a15-2 }] }\n`;
    await page.fill('#editor', edited);
    await expect.poll(() => page.textContent('#validation-status')).toBe('valid: the rules would load');
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-status')).toBe('saved and reloaded');
    expect(await readFile(join(rulesDir, 'dialer.yaml'), 'utf8')).toBe(edited);
    expect(t.rules.current().dialer.campaigns.has(12)).toBe(true);

    // someone else changes the file: the page's next save is refused, not lost silently
    await writeFile(join(rulesDir, 'dialer.yaml'), `${edited}# changed elsewhere\n`);
    await page.fill('#editor', `${edited}# mine\n`);
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-status')).toMatch(/^conflict: the file changed since it was read/);
    expect(await readFile(join(rulesDir, 'dialer.yaml'), 'utf8')).toBe(`${edited}# changed elsewhere\n`);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('runs the dry run on a pasted CRM answer and lead, showing which row matched', async () => {
    await page.fill('#lead', '{"phone": "0412 345 678"}');
    await page.fill('#crm-response', '{"customer": {"status": "gold", "score": 3}, "flags": {"doNotCall": false}}');
    await page.click('#run-dry-run');
    await page.waitForSelector('#rows tr');
    const rows = await page.$$eval('#rows tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).concat(tr.className)));
    expect(rows).toEqual([
      ['0', '$.customer.status', '["gold"]', 'no', ''],
      ['1', '$.flags.doNotCall', '[false]', 'no', ''],
      ['2', '$.customer.score', '[3]', 'yes', 'decides'],
      ['3', '$.blocked', '[]', 'no', ''],
    ]);
    expect(await page.textContent('#dry-run-status')).toBe('row 2 decides');
    expect(JSON.parse((await page.textContent('#decision'))!)).toMatchObject({ source: 'row', rowIndex: 2, status: 'LOW_SCORE', success: false });

    await page.fill('#crm-response', '{not json');
    await page.click('#run-dry-run');
    await expect.poll(() => page.textContent('#dry-run-status')).toMatch(/^the CRM answer is not JSON/);

    // live: the CRM itself answers, and the page shows what was sent and answered
    crm.respond({ json: { customer: { status: 'Active' } } });
    await page.check('#live');
    await page.click('#run-dry-run');
    await expect.poll(() => page.textContent('#dry-run-status')).toBe('row 0 decides');
    const shown = JSON.parse((await page.textContent('#decision'))!) as { decision: unknown; crm: { ok: boolean; answer: unknown } };
    expect(shown).toMatchObject({ decision: { source: 'row', rowIndex: 0, createLead: false }, crm: { ok: true, answer: { customer: { status: 'Active' } } } });
    expect(JSON.parse(crm.requests.at(-1)!.body)).toMatchObject({ phone_number: '+61412345678' });
    await page.uncheck('#live');
  }, 60_000);

  it('says so when the token is wrong', async () => {
    const fresh = await browser.newPage();
    await fresh.goto(`${base}/admin/ui`);
    await fresh.fill('#token', 'wrong');
    await fresh.click('#use-token');
    await expect.poll(() => fresh.textContent('#token-status')).toBe('a valid admin bearer token is required');
    expect(await fresh.$$('#files li')).toEqual([]);
    await fresh.close();
  }, 60_000);

  it('shows a request that could not be made in its status line, not as an unhandled rejection', async () => {
    const fresh = await browser.newPage();
    const errors: string[] = [];
    fresh.on('pageerror', (error) => errors.push(error.message));
    await fresh.route('**/admin/rules', (route) => route.abort('connectionreset'));
    await fresh.goto(`${base}/admin/ui`);
    await fresh.fill('#token', ADMIN_TOKEN);
    await fresh.click('#use-token');
    await expect.poll(() => fresh.textContent('#token-status')).toBe('failed: Failed to fetch');
    expect(errors).toEqual([]);
    await fresh.close();
  }, 60_000);
  it("shows a lead's deliveries (state, attempts, dialer id, last answer) and retries a dead one", async () => {
    const db = t.backend.runner;
    const lead = await insertLead(db, ['+61412400001']);
    const other = await insertLead(db, ['+61412400002']);
    const delivered = await insertDelivery(db, { leadId: lead, state: 'delivered', attemptCount: 1, dialerLeadId: 'D-5', lastAnswer: '{"code":0}' });
    const dead = await insertDelivery(db, { leadId: lead, destination: 'crm2', state: 'dead', attemptCount: 48, lastAnswer: '<b>107</b>' });
    await insertDelivery(db, { leadId: other, state: 'refused' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin/ui`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#use-token');
    await page.fill('#delivery-phone', '0412 400 001');
    await page.click('#find-deliveries');
    await expect.poll(() => page.textContent('#deliveries-status')).toBe('2 of 2, newest first');
    const rows = () => page.$$eval('#deliveries tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(await rows()).toEqual([
      [dead, lead, 'crm2', 'insert', 'dead', '48', '-', '<b>107</b>', 'Retry'],
      [delivered, lead, 'pbx', 'insert', 'delivered', '1', 'D-5', '{"code":0}', ''],
    ]);
    await page.click(`#deliveries tr[data-id="${dead}"] button`);
    await expect.poll(() => page.textContent('#deliveries-status')).toBe(`delivery ${dead} is queued again`);
    expect((await rows())[0]).toEqual([dead, lead, 'crm2', 'insert', 'queued', '0', '-', '<b>107</b>', '']);
    expect(await deliveryState(db, dead)).toMatchObject({ state: 'queued', attemptCount: 0 });
    expect((await db.query<{ action: string; target: string }>('select action, target from audit_log order by id desc limit 1'))[0]).toEqual({ action: 'POST /admin/deliveries/{id}/retry', target: dead });

    await page.fill('#delivery-phone', '');
    await page.fill('#delivery-lead', 'x');
    await page.click('#find-deliveries');
    await expect.poll(() => page.textContent('#deliveries-status')).toBe('invalid query: leadId: expected a lead id');
    expect(await rows()).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);
});
