import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** A system Chromium (CI images and this machine have one); the test is skipped without it. */
const CHROMIUM = [process.env.LEADGATE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => path && existsSync(path));

describe.skipIf(!CHROMIUM)('the /docs page in a browser, offline', () => {
  let t: TestApp;
  let server: ServerType;
  let origin: string;
  let browser: Browser;
  beforeAll(async () => {
    t = await createTestApp();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('renders every operation and runs a request, asking no other host for anything', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    // everything not from leadgate itself is refused, as on a network without internet access
    await page.route('**/*', (route) => {
      if (route.request().url().startsWith(origin)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${origin}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
    const paths = Object.keys(((await (await fetch(`${origin}/openapi.json`)).json()) as { paths: object }).paths);
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(paths.length);
    await expect(page.locator('.opblock-summary-path', { hasText: /^\/v1\/leads\/insert$/ }).count()).resolves.toBeGreaterThan(0);

    // try it out: GET /healthz from the page
    const health = page.locator('#operations-Operations-healthz');
    await health.locator('.opblock-summary').click();
    const execute = health.locator('button.execute');
    if (!(await execute.isVisible())) await health.locator('button.try-out__btn').click();
    await health.locator('button.execute').click();
    await expect(health.locator('.live-responses-table tr.response .response-col_status').first().textContent({ timeout: 10_000 })).resolves.toContain('200');

    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
