/**
 * The minimal counterexamples the fuzz properties found, one case each. While a bug is open
 * (known-bugs.ts) its cases run as `it.fails`: they must keep failing. Once it is fixed, set its
 * `open: false`; the cases then run as ordinary tests and the properties stop excusing it.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import type { FakeCrmReply } from '../support/fake-crm.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { ENDPOINTS, expectHealthy, expectSaneAnswer, openHarness, send, type Answer, type FuzzHarness } from './fuzz-kit.js';
import { BUGS, type KnownBug } from './known-bugs.js';

let h: FuzzHarness;
/** Same database; the table's only row is `exists` at $.customer.status, so the value found is recorded. */
let recordAll: TestApp;
let recordAllDir: string;
beforeAll(async () => {
  h = await openHarness('0438');
  recordAllDir = await rulesWithCrm(h.crm.url, {
    table: { rows: [{ key: '$.customer.status', op: 'exists', createLead: true, addToDnc: false, success: true, reason: 'status present' }] },
  });
  recordAll = await createTestApp({ backend: h.t.backend, rulesDir: recordAllDir, env: { CRM_TOKEN } });
});
afterAll(async () => {
  await h.close();
  await rm(recordAllDir, { recursive: true, force: true });
});

const row = (name: string) => ENDPOINTS.find((r) => r.name === name)!;
const single = row('noojee.insertLeadFast');
const batch = row('noojee.insertLeadsFast');
const given = row('admin.rulesTest.crmResponse');
const live = row('admin.rulesTest.live');

/** `it.fails` while the bug is open, `it` once it is fixed. */
const bugCase = (bug: KnownBug, name: string, fn: () => Promise<void>) => (bug.open ? it.fails : it)(`${bug.id}: ${name}`, fn);

async function strictly(app: TestApp['app'], endpoint: typeof single, body: string, crmReply?: string): Promise<Answer> {
  const request = { method: 'POST', url: endpoint.url, headers: endpoint.headers, body };
  const answer = await send(app, request);
  expectSaneAnswer(endpoint, request, answer, { crmReply, strict: true });
  return answer;
}
const crmSays = (reply: FakeCrmReply) => h.crm.respond(reply);
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('BUG-1: lead text PostgreSQL cannot store', () => {
  bugCase(BUGS.unstorableLeadText, 'a field value holding U+0000 is not a 500', async () => {
    await strictly(h.t.app, single, `{"phone":"${h.freshPhone()}","note":"\\u0000"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'a field name holding U+0000 is not a 500', async () => {
    await strictly(h.t.app, single, `{"phone":"${h.freshPhone()}","\\u0000":"x"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'njExternalLeadId holding U+0000 is not a 500', async () => {
    await strictly(h.t.app, single, `{"phone":"${h.freshPhone()}","njExternalLeadId":"\\u0000"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'a field value holding a lone surrogate is not a 500', async () => {
    await strictly(h.t.app, single, `{"phone":"${h.freshPhone()}","note":"\\ud800"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'injectLeads: a field value holding U+0000 is not a 500', async () => {
    await strictly(h.t.app, row('noojee.injectLeads'), `[{"phone":"${h.freshPhone()}","note":"\\u0000"}]`);
  });
  bugCase(BUGS.unstorableLeadText, 'updateLeadFast: njExternalLeadId holding U+0000 is not a 500', async () => {
    await strictly(h.t.app, row('noojee.updateLeadFast'), `{"phone":"${h.freshPhone()}","njExternalLeadId":"\\u0000"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'Convoso: a field value holding U+0000 is not a 103 EXCEPTION (sent as HTTP 200)', async () => {
    await strictly(h.t.app, row('convoso.leadsInsert'), `{"phone_number":"${h.freshPhone().slice(1)}","note":"\\u0000"}`);
  });
  bugCase(BUGS.unstorableLeadText, 'a batch with one such lead still inserts its other leads', async () => {
    const good = h.freshPhone();
    const answer = await strictly(h.t.app, batch, `[{"phone":"${good}"},{"phone":"${h.freshPhone()}","note":"\\u0000"}]`);
    expect(answer.json).toMatchObject({ code: 0, results: [{ index: 0, code: 0 }, { index: 1 }] });
  });
});

describe('BUG-2: the admin dry run echoes JSON too deep to serialise', () => {
  bugCase(BUGS.adminEchoesDeepJson, 'crmResponse with 10,000 levels at a table key is not a 500', async () => {
    // fails from about 4,100 levels on Node 20
    await strictly(h.t.app, given, given.wrap!(`{"customer":{"status":${deep(10_000)}}}`));
  });
  bugCase(BUGS.adminEchoesDeepJson, 'a live CRM answer nested 10,000 levels anywhere is not a 500', async () => {
    const reply = `{"other":${deep(10_000)}}`;
    crmSays({ text: reply, headers: { 'content-type': 'application/json' } });
    await strictly(h.t.app, live, JSON.stringify({ lead: { phone: h.freshPhone() }, live: true }), reply);
  });
});

describe('BUG-3: a CRM answer holding U+0000 loses the lead', () => {
  bugCase(BUGS.crmRawAnswerWithNul, 'a 200 answer "<NUL>" goes to onError and creates the lead', async () => {
    crmSays({ text: '\u0000', headers: { 'content-type': 'application/json' } });
    const answer = await strictly(h.t.app, single, JSON.stringify({ phone: h.freshPhone() }), '\u0000');
    expect(answer.json).toMatchObject({ code: 0 });
  });
  bugCase(BUGS.crmRawAnswerWithNul, 'a 500 answer "<NUL>" goes to onError and creates the lead', async () => {
    crmSays({ status: 500, text: '\u0000' });
    const answer = await strictly(h.t.app, single, JSON.stringify({ phone: h.freshPhone() }), '\u0000');
    expect(answer.json).toMatchObject({ code: 0 });
  });
});

describe('BUG-4: a matched CRM value PostgreSQL cannot store loses the lead', () => {
  for (const [name, reply] of [
    ['U+0000', '{"customer":{"status":"\\u0000"}}'],
    ['a lone surrogate', '{"customer":{"status":"\\ud800"}}'],
    ['10,000 levels of nesting', `{"customer":{"status":${deep(10_000)}}}`],
  ] as const) {
    bugCase(BUGS.crmMatchedValuesUnstorable, `a status holding ${name} is recorded and the lead created`, async () => {
      crmSays({ text: reply, headers: { 'content-type': 'application/json' } });
      const answer = await strictly(recordAll.app, single, JSON.stringify({ phone: h.freshPhone() }), reply);
      expect(answer.json).toMatchObject({ code: 0 });
    });
  }
});

describe('BUG-5: a CRM parse error message holding a lone surrogate loses the lead', () => {
  bugCase(BUGS.crmParseErrorWithLoneSurrogate, '201 "𐀀" goes to onError and creates the lead', async () => {
    crmSays({ status: 201, text: '𐀀', headers: { 'content-type': 'application/json' } });
    const answer = await strictly(h.t.app, single, JSON.stringify({ phone: h.freshPhone() }), '𐀀');
    expect(answer.json).toMatchObject({ code: 0 });
  });
});

it('is still healthy, ready and unpolluted after the regressions', async () => {
  h.crm.reset();
  await expectHealthy(h);
});
