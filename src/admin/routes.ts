import { Hono } from 'hono';
import { readJsonLimited } from '../http/read-body.js';
import type { CrmCaller } from '../pipeline/duplicate-check.js';
import { dryRunTable } from '../pipeline/dry-run.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { adminAuth } from './admin-auth.js';
import { ruleTestBody } from './schemas.js';

export interface AdminDeps {
  adminToken: string | undefined;
  rules: RulesProvider;
  crm: CrmCaller;
  maxBodyBytes: number;
}

/** The admin API (SPEC 7), behind the admin bearer token. */
export function createAdminRoutes(deps: AdminDeps): Hono {
  const routes = new Hono();
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
  return routes;
}
