import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppWithCrm } from '../../support/crm-rules.js';
import type { FakeCrm } from '../../support/fake-crm.js';
import { postNoojee, type TestApp } from '../../support/test-app.js';

/**
 * A batch asks the CRM about every lead within each call's own deadline: the last lead of a
 * batch gets the same answer as the first. Before, all calls started at once and queued in the
 * connect's limiter while their deadlines ran, so the tail of a batch timed out unasked and was
 * created by onError (here: 60 leads, 2 at a time, 25 ms each, is 750 ms of queue for a 500 ms deadline).
 */

let crm: FakeCrm;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ crm, t, close } = await createAppWithCrm({ connect: { maxConcurrency: 2, timeoutMs: 500, retries: 0, circuit: { failureThreshold: 5, openMs: 60_000 } } }));
});
afterAll(async () => {
  await close();
});

describe('insertLeadsFast with a duplicate-check table', () => {
  it('asks the CRM about every lead of a batch in time, at most maxConcurrency at once', async () => {
    crm.respond({ json: { customer: { status: 'active' } }, delayMs: 25 });
    const leads = Array.from({ length: 60 }, (_, i) => ({ phone: `04188${String(i).padStart(5, '0')}` }));
    const res = await postNoojee(t.app, 'insertLeadsFast', leads);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ '105': 60 });
    expect(crm.requests).toHaveLength(60);
    expect(crm.maxInFlight).toBe(2);
    const failures = await t.backend.runner.query<{ n: number }>("select count(*)::int as n from decision_records where decision ? 'crmFailure'");
    expect(failures[0]!.n).toBe(0);
  });
});
