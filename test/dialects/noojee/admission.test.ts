import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_TOKEN, rulesWithCrm } from '../../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../../support/fake-crm.js';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';

let crm: FakeCrm;
let t: TestApp;
let rulesDir: string;
beforeAll(async () => {
  crm = await startFakeCrm();
  rulesDir = await rulesWithCrm(crm.url, { connect: { timeoutMs: 2000, retries: 0 } });
  t = await createTestApp({ rulesDir, env: { CRM_TOKEN }, admission: { slots: 1, queueTimeoutMs: 150 } });
});
afterAll(async () => {
  await t.close();
  await crm.close();
  await rm(rulesDir, { recursive: true, force: true });
});

describe('admission control', () => {
  it('answers 109 with Retry-After to the caller that waited too long, storing nothing of it', async () => {
    crm.respond({ delayMs: 600, json: {} });
    const slow = postNoojee(t.app, 'insertLeadFast', { phone: '0418000001' });
    await new Promise((r) => setTimeout(r, 50));
    const refused = await postNoojee(t.app, 'insertLeadsFast', [{ phone: '0418000002' }, { phone: '0418000003' }]);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toEqual({ code: 109, message: 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS', description: expect.stringMatching(/^waited \d+ ms for a free slot; retry later$/) });
    expect((await slow).body.code).toBe(0);
    const stored = await t.backend.runner.query<{ phones: string[] }>('select phones from leads order by id');
    expect(stored).toEqual([{ phones: ['+61418000001'] }]);
    expect(crm.requests).toHaveLength(1);
    expect(t.gate.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 1, timedOut: 1 });
    expect(await (await t.app.request('/metrics')).text()).toMatch(/^leadgate_gate_timeouts_total 1$/m);
  });

  it('checks the request before queueing it: a bad request is answered at once', async () => {
    crm.respond({ delayMs: 400, json: {} });
    let slowAnswered = false;
    const slow = postNoojee(t.app, 'insertLeadFast', { phone: '0418000011' }).then(() => (slowAnswered = true));
    await new Promise((r) => setTimeout(r, 50));
    const bad = await postNoojee(t.app, 'insertLeadFast', { phone: '0418000012' }, { fTemplateId: 'x' });
    expect(bad.body.code).toBe(116);
    expect(slowAnswered).toBe(false);
    await slow;
  });
});
