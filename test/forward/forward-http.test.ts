import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { admin } from '../support/admin.js';
import { startHttpReceiver, type HttpReceiver, type ReceiverAnswer } from '../support/fake-dialers/http-receiver.js';
import { destinationYaml, eventually, rulesWithDestinations } from '../support/forwarding.js';
import { createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

/*
 * Forwarding to a kind `http` destination end to end: leads in through leadgate's Noojee
 * endpoints, out through the delivery worker as JSON to a loopback receiver, whose answers are
 * read by SPEC 10.2's http column and the destination's `http:` block. One app for the file:
 * every test sends its own lead and reads that lead's delivery.
 */

const BEARER = 'Bearer hook-s3cr3t-4b1f';
const FEED = 'feed-id-88zq';

let receiver: HttpReceiver;
let t: TestApp;
let removeRules: () => Promise<void>;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  const yaml = destinationYaml('http', receiver.url, { Authorization: '${env:HOOK_AUTH}', 'X-Feed': '${env:HOOK_FEED}' }, {
    retry: '{ firstDelayMs: 20, maxDelayMs: 40, maxAttempts: 5 }',
    // the tests fail the receiver on purpose, one after another: the circuit breaker is not theirs to test
    circuit: '{ failureThreshold: 1000, openMs: 1000 }',
  });
  const rules = await rulesWithDestinations({ hook: yaml });
  removeRules = rules.remove;
  t = await createTestApp({ rulesDir: rules.dir, env: { HOOK_AUTH: BEARER, HOOK_FEED: FEED }, deliveryPollMs: 20 });
  t.deliveries.start();
});
afterAll(async () => {
  await t.close();
  await receiver.close();
  await removeRules();
});
beforeEach(() => {
  receiver.fallback = null;
});

let phoneSeq = 0;
const phone = () => `0386${String(100000 + ((phoneSeq += 7) % 800000)).padStart(6, '0')}`;

interface DeliveryRow {
  id: string;
  state: string;
  dialer_lead_id: string | null;
  last_outcome: string | null;
}
const deliveryOf = async (leadId: string) =>
  (await t.backend.runner.query<DeliveryRow>('select id::text, state, dialer_lead_id, last_outcome from deliveries where lead_id = $1::bigint', [leadId]))[0];
const outcomesOf = async (deliveryId: string) =>
  (await t.backend.runner.query<{ outcome: string; status: number | null }>('select outcome, status from delivery_attempts where delivery_id = $1::bigint order by id', [deliveryId]));

/** Sends one lead with these answers scripted; resolves when its delivery leaves the queue. */
async function forward(answers: ReceiverAnswer[], fields: Record<string, unknown> = {}): Promise<{ leadId: string; row: DeliveryRow; attempts: Array<{ outcome: string; status: number | null }> }> {
  receiver.script(answers);
  const inserted = await postNoojee(t.app, 'insertLeadFast', { phone: phone(), ...fields });
  expect(inserted.body.code).toBe(0);
  const leadId = inserted.body.leadId as string;
  await eventually('the delivery settled', async () => (await deliveryOf(leadId))?.state !== 'queued');
  const row = (await deliveryOf(leadId))!;
  return { leadId, row, attempts: await outcomesOf(row.id) };
}

describe('answers', () => {
  it('2xx whose JSON matches the success row: delivered, with the lead id read from the leadId path', async () => {
    const { leadId, row, attempts } = await forward([{ status: 201, body: { status: 'OK ', id: 4711 } }], { firstName: 'Ann', njExternalLeadId: 'h-ext-1' });
    expect(row).toMatchObject({ state: 'delivered', dialer_lead_id: '4711' });
    expect(attempts).toEqual([{ outcome: 'delivered', status: 201 }]);
    const sent = receiver.requests.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['idempotency-key']).toBe(`leadgate-delivery-${row.id}`);
    expect(JSON.parse(sent.body)).toMatchObject({ event: 'insert', leadId, externalId: 'h-ext-1', lead: { firstName: 'Ann' }, phones: [expect.stringMatching(/^\+613/)] });
  });

  it.each([
    ['a 2xx whose success key says otherwise', { status: 200, body: { status: 'rejected', id: 1 } }],
    ['a 2xx without the success key', { status: 200, body: { id: 2 } }],
    ['a 2xx with a text body', { status: 200, body: 'accepted' }],
    ['409', { status: 409, body: { error: 'exists' } }],
    ['422', { status: 422, body: { error: 'bad phone' } }],
  ])('%s: refused after one attempt', async (_name, answer) => {
    const { row, attempts } = await forward([answer]);
    expect(row.state).toBe('refused');
    expect(attempts).toEqual([{ outcome: 'refused', status: answer.status }]);
  });

  it.each([
    ['408', { status: 408, body: 'timeout' }],
    ['429', { status: 429, body: { error: 'slow down' } }],
    ['500', { status: 500, body: 'oops' }],
    ['503', { status: 503, body: 'maintenance' }],
  ])('%s: retried, then delivered', async (_name, answer) => {
    const { row, attempts } = await forward([answer]);
    expect(row.state).toBe('delivered');
    expect(attempts).toEqual([
      { outcome: 'retry', status: answer.status },
      { outcome: 'delivered', status: 200 },
    ]);
  });

  it.each([
    ['400', 400],
    ['401', 401],
    ['404', 404],
    ['410', 410],
  ])('%s: dead after one attempt', async (_name, status) => {
    const { row, attempts } = await forward([{ status, body: { error: 'no' } }]);
    expect(row.state).toBe('dead');
    expect(attempts).toEqual([{ outcome: 'dead', status }]);
  });

  it('retries stop at maxAttempts: dead', async () => {
    receiver.fallback = { status: 502, body: 'bad gateway' };
    const { row, attempts } = await forward([]);
    expect(row.state).toBe('dead');
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry']);
  });
});

describe('secrets', () => {
  it('the destination\'s headers are sent, and are in no attempt record, no log line, no admin answer', async () => {
    const { row } = await forward([{ status: 503, body: 'later' }]);
    expect(row.state).toBe('delivered');
    const sent = receiver.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(BEARER);
    expect(sent.headers['x-feed']).toBe(FEED);

    const stored = JSON.stringify(await t.backend.runner.query('select request, answer from delivery_attempts where delivery_id = $1::bigint', [row.id]));
    expect(stored).toContain(receiver.url);
    const detail = await admin(t.app, 'GET', `/admin/deliveries/${row.id}`);
    expect(detail.status).toBe(200);
    expect((detail.json.attempts as unknown[]).length).toBe(2);
    for (const text of [stored, t.logLines.join('\n'), detail.text, (await admin(t.app, 'GET', '/admin/deliveries')).text]) {
      expect(text).not.toContain('hook-s3cr3t');
      expect(text).not.toContain(FEED);
    }
  });

  it('a receiver that echoes the headers it was sent: the answer kept has them redacted, also where it is cut to size', async () => {
    // the attempt record keeps 2000 characters: the first secret straddles that cut
    const { row } = await forward([{ status: 200, body: `${'x'.repeat(1995)}${FEED} ${BEARER}` }]);
    expect(row.state).toBe('refused');
    const [kept] = await t.backend.runner.query<{ answer: string; last_answer: string }>(
      'select a.answer, d.last_answer from delivery_attempts a join deliveries d on d.id = a.delivery_id where d.id = $1::bigint',
      [row.id],
    );
    for (const text of [kept!.answer, kept!.last_answer, t.logLines.join('\n')]) {
      expect(text).not.toContain(FEED.slice(0, 5));
      expect(text).not.toContain('hook-s3');
    }
    expect(kept!.answer).toMatch(/^x{1995}\[REDA$/);
  });
});
