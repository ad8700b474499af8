import { Hono } from 'hono';
import { demoLookupBody } from './schemas.js';

/**
 * A stand-in for a client's CRM, so the shipped rules show the whole pipeline on a first `curl`.
 * It answers by the last digit of the phone it is asked about:
 *   1 → an active customer (the demo table skips the lead as a duplicate)
 *   2 → the CRM's do-not-call flag (created with status DNC, phones added to the DNC list)
 *   3 → a low score (created, but answered as failed: 205)
 *   9 → the CRM is down (503: the table's onError decides)
 *   otherwise → unknown to the CRM (noMatch: created)
 */
export function createDemoCrmRoutes(): Hono {
  const routes = new Hono();
  routes.post('/lookup', async (c) => {
    // anything that is not the documented body (not JSON, null, an array) asks about no phone
    const parsed = demoLookupBody.safeParse(await c.req.json().catch(() => ({})));
    const body = parsed.success ? parsed.data : {};
    const phone = String(body.phone_number ?? body.mobile_number ?? '');
    switch (phone.at(-1)) {
      case '1':
        return c.json({ customer: { id: 'C-1001', status: 'active' } });
      case '2':
        return c.json({ customer: { id: 'C-1002', status: 'prospect' }, flags: { doNotCall: true } });
      case '3':
        return c.json({ customer: { id: 'C-1003', status: 'closed', score: 12 } });
      case '9':
        return c.json({ error: 'maintenance' }, 503);
      default:
        return c.json({ customer: null });
    }
  });
  return routes;
}
