/**
 * Whatever the CRM answers (SPEC 9: "a CRM that ... answers 5xx, garbage ... is handled by onError
 * with no crash and no lost lead"), inserts answer their documented codes, a failed CRM call lands
 * in onError, and the live dry run predicts what the insert did.
 */
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_TOKEN, rulesWithCrm } from '../support/crm-rules.js';
import type { FakeCrmReply } from '../support/fake-crm.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { ENDPOINTS, expectHealthy, expectSaneAnswer, openHarness, runs, send, type Answer, type FuzzHarness } from './fuzz-kit.js';
import { hostileString } from './generators.js';

let h: FuzzHarness;
/** The same database, with a table whose only row is `exists` at $.customer.status: every value found is recorded. */
let recordAll: TestApp;
let recordAllDir: string;
beforeAll(async () => {
  h = await openHarness('0433');
  recordAllDir = await rulesWithCrm(h.crm.url, {
    table: { rows: [{ key: '$.customer.status', op: 'exists', createLead: true, addToDnc: false, success: true, reason: 'status present' }] },
  });
  // Shares h's backend, so it is not closed on its own (closing it would close the backend).
  recordAll = await createTestApp({ backend: h.t.backend, rulesDir: recordAllDir, env: { CRM_TOKEN } });
});
afterAll(async () => {
  await h.close();
  await rm(recordAllDir, { recursive: true, force: true });
});

const insertRow = ENDPOINTS.find((r) => r.name === 'noojee.insertLeadFast')!;
const liveRow = ENDPOINTS.find((r) => r.name === 'admin.rulesTest.live')!;

// ---- CRM replies, as small descriptions -------------------------------------------------------

const statusValue = fc.oneof(fc.constantFrom<unknown>('active', ' ACTIVE ', 'Active', 'gold', '', null, true, 1), hostileString, fc.jsonValue({ maxDepth: 2 }));
const scoreValue = fc.oneof(fc.integer({ min: -10, max: 100 }), fc.double(), fc.constantFrom<unknown>('49', '50', ' 7 ', '1e1', '-0', '', null), hostileString);
const structured = fc
  .record(
    {
      customer: fc.record({ status: statusValue, score: scoreValue }, { requiredKeys: [] }),
      flags: fc.record({ doNotCall: fc.oneof(fc.constantFrom<unknown>(true, false, 'true', ' TRUE ', 'yes', null), hostileString) }, { requiredKeys: [] }),
      blocked: fc.oneof(fc.constantFrom<unknown>('yes', 'hard', 'HARD ', 'no', ['yes'], null), hostileString),
    },
    { requiredKeys: [] },
  )
  .map((v) => JSON.stringify(v));
const text = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      'null',
      '<html>502 Bad Gateway</html>',
      '{"customer":',
      '\ufeff{"customer":{"status":"active"}}',
      '{"customer":{"status":"active"}}garbage',
      '{"__proto__":{"customer":{"status":"active"}}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"customer":{"status":"\\u0000"}}',
      '{"customer":{"status":"\\ud800"}}',
      '{"customer":{"score":1e999}}',
      '{"customer":{"score":-1e999}}',
      'x\u0000y',
    ),
  },
);
const body = fc.oneof(
  { weight: 9, arbitrary: text.map((t) => ({ text: t })) },
  { weight: 1, arbitrary: fc.record({ depth: fc.integer({ min: 1_000, max: 20_000 }), at: fc.constantFrom('status' as const, 'elsewhere' as const) }) },
);
const reply = fc.record({
  status: fc.oneof({ weight: 8, arbitrary: fc.constant(200) }, { weight: 2, arbitrary: fc.constantFrom(201, 204, 299, 301, 400, 404, 418) }, { weight: 1, arbitrary: fc.constantFrom(429, 500, 502, 503) }),
  type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'text/html', 'application/xml'),
  body,
  reset: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
type Reply = typeof reply extends fc.Arbitrary<infer R> ? R : never;

function replyText(r: Reply): string {
  if ('text' in r.body) return r.body.text;
  const deep = `${'['.repeat(r.body.depth)}${']'.repeat(r.body.depth)}`;
  return r.body.at === 'status' ? `{"customer":{"status":${deep}}}` : `{"other":${deep}}`;
}

/** Whether the CRM call succeeds: a 2xx whose body (as received, UTF-8) is JSON. */
function crmAnswers(r: Reply, sent: string): boolean {
  if (r.reset || r.status < 200 || r.status > 299 || r.status === 204) return false;
  try {
    JSON.parse(new TextDecoder().decode(new TextEncoder().encode(sent)));
    return true;
  } catch {
    return false;
  }
}

function respond(r: Reply): string {
  const sent = replyText(r);
  const fake: FakeCrmReply = r.reset ? { kind: 'reset' } : { status: r.status, text: sent, headers: { 'content-type': r.type } };
  h.crm.respond(fake);
  return sent;
}

const e164 = (phone: string) => `+61${phone.slice(1)}`;
async function leadStatus(answer: Answer): Promise<string | null> {
  const rows = await h.t.backend.runner.query<{ status: string | null }>('select status from leads where id = $1::bigint', [(answer.json as { leadId: string }).leadId]);
  expect(rows, 'the lead the answer names exists').toHaveLength(1);
  return rows[0]!.status;
}

describe('CRM answers through the duplicate-check table', () => {
  it('answers inserts 0, 105 or 205 as the table says, puts failed calls in onError, never loses a lead, and the live dry run agrees', async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (r) => {
        const sent = respond(r);
        const ok = crmAnswers(r, sent);
        const phone = h.freshPhone();
        const request = { method: 'POST', url: insertRow.url, headers: insertRow.headers, body: JSON.stringify({ phone }) };
        const answer = await send(h.t.app, request);
        if (expectSaneAnswer(insertRow, request, answer, { crmReply: sent }) === 'knownBug') return;
        const code = (answer.json as { code: number }).code;
        expect([0, 105, 205], answer.text).toContain(code);
        if (!ok) expect(code, 'a failed CRM call goes to onError: created, success').toBe(0);
        if (code === 105) {
          const leads = await h.t.backend.runner.query('select 1 from leads where $1 = any(phones)', [e164(phone)]);
          expect(leads, 'a skipped lead is not stored').toEqual([]);
        } else {
          const status = await leadStatus(answer);
          if (ok) expect(status).not.toBe('CRM_ERROR');
          else expect(status).toBe('CRM_ERROR');
        }

        const dryRequest = { method: 'POST', url: liveRow.url, headers: liveRow.headers, body: JSON.stringify({ lead: { phone }, live: true }) };
        const dry = await send(h.t.app, dryRequest);
        if (expectSaneAnswer(liveRow, dryRequest, dry, { crmReply: sent }) === 'knownBug') return;
        const { decision, crm } = dry.json as { decision: { createLead?: boolean; success?: boolean }; crm: { ok: boolean } };
        expect(crm.ok).toBe(ok);
        expect(code, `dry run decided ${JSON.stringify(decision)}`).toBe(decision.createLead === false ? 105 : decision.success === false ? 205 : 0);
      }),
      runs(40),
    );
  });

  it('records whatever value a row matched, or the call failure, and creates the lead', async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (r) => {
        const sent = respond(r);
        const request = { method: 'POST', url: insertRow.url, headers: insertRow.headers, body: JSON.stringify({ phone: h.freshPhone() }) };
        const answer = await send(recordAll.app, request);
        if (expectSaneAnswer(insertRow, request, answer, { crmReply: sent }) === 'knownBug') return;
        expect(answer.json).toMatchObject({ code: 0 });
        expect(await leadStatus(answer)).toBe(crmAnswers(r, sent) ? null : 'CRM_ERROR');
      }),
      runs(30),
    );
  });
});

it('is still healthy, ready and unpolluted after the run', async () => {
  h.crm.reset();
  await expectHealthy(h);
});
