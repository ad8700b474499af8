import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { DeliveryAdminStore } from '../forward/delivery-admin.js';
import type { ApiKeyRegistry } from '../http/api-keys.js';
import { readJsonLimited } from '../http/json-body.js';
import type { AppVariables } from '../http/request-log.js';
import type { CrmCaller } from '../pipeline/duplicate-check.js';
import { dryRunTable } from '../pipeline/dry-run.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { adminAuth } from './admin-auth.js';
import { createDeliveryRoutes } from './delivery-routes.js';
import { adminPage } from './ui-page.js';
import type { AdminStore } from './ports.js';
import { createRecordRoutes } from './record-routes.js';
import type { RuleEditor } from './rule-editor.js';
import { createRuleRoutes } from './rule-routes.js';
import { ruleTestBody } from './schemas.js';

/** What the admin API works with beyond the basics; absent parts answer 501 (Workers has no rules folder). */
export interface AdminServices {
  store: AdminStore;
  apiKeys: ApiKeyRegistry;
  editor?: RuleEditor;
  /** deliveries to the dialer (SPEC 10.3) */
  deliveries?: DeliveryAdminStore;
}

export interface AdminDeps {
  adminToken: string | undefined;
  rules: RulesProvider;
  crm: CrmCaller;
  maxBodyBytes: number;
  services?: AdminServices;
}

/**
 * Who the audit log names. There is one admin token, so a fingerprint of it is enough to tell
 * changes made before and after a rotation apart; 32 bits of a salted digest say nothing useful
 * about the token itself.
 */
export function adminActor(token: string | undefined): string {
  return token ? `admin:${createHash('sha256').update(`leadgate-audit:${token}`).digest('hex').slice(0, 8)}` : 'admin';
}

type Env = { Variables: AppVariables };

/** The admin API (SPEC 7), behind the admin bearer token; the page at /ui asks for the token itself. */
export function createAdminRoutes(deps: AdminDeps): Hono<Env> {
  const routes = new Hono<Env>();
  const actor = adminActor(deps.adminToken);

  // Registered before the token check: a browser cannot send a bearer header when it navigates.
  // The page holds no data; every call it makes sends the token the user typed.
  routes.get('/ui', (c) => {
    if (!deps.adminToken) return c.json({ error: 'the admin API is disabled: set LEADGATE_ADMIN_TOKEN' }, 403);
    const page = adminPage();
    return c.html(page.html, 200, page.headers);
  });
  routes.use('*', adminAuth(deps.adminToken));

  routes.post('/rules/test', async (c) => {
    const body = await readJsonLimited(c.req.raw, deps.maxBodyBytes);
    if (!body.ok) return c.json({ error: body.detail }, body.reason === 'tooLarge' ? 413 : 400);
    const parsed = ruleTestBody.safeParse(body.value);
    if (!parsed.success || (!('live' in parsed.data) && !('crmResponse' in parsed.data))) {
      return c.json({ error: 'expected {"lead": {...}, "crmResponse": ...} or {"lead": {...}, "live": true}' }, 400);
    }
    const result = await dryRunTable(deps.rules.current(), deps.crm, parsed.data);
    if (!result.ok) return c.json({ error: result.error }, 422);
    const { ok: _ok, ...answer } = result;
    return c.json(answer);
  });

  const services = deps.services;
  routes.route('/', createRuleRoutes({ editor: services?.editor, store: services?.store, actor, maxBodyBytes: deps.maxBodyBytes }));
  routes.route('/', createRecordRoutes({ rules: deps.rules, store: services?.store, apiKeys: services?.apiKeys, actor, maxBodyBytes: deps.maxBodyBytes }));
  routes.route('/', createDeliveryRoutes({ rules: deps.rules, store: services?.deliveries, actor, maxBodyBytes: deps.maxBodyBytes }));
  return routes;
}
