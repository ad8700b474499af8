import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostNoojee } from '../cases/noojee-insert-cases.js';
import { startFakeNoojee, type FakeNoojee } from '../support/fake-dialers/noojee.js';
import { destinationYaml, eventually, rulesWithDestinations } from '../support/forwarding.js';
import { API_KEY } from '../support/test-app.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';
import { httpNoojee, SKIP_REASON } from './worker-fixture.js';
import { startWranglerDev, withPassword, type WranglerDev } from './wrangler.js';

/*
 * Forwarding to the dialer from the Worker (src/entry/worker.ts) as wrangler builds it, on workerd,
 * over PostgreSQL through the local Hyperdrive binding (SPEC 10.2 point 2: "on Workers, the
 * scheduled handler plus a waitUntil first attempt"). The dialer is the fake Noojee CampaignAPI on
 * 127.0.0.1, called with the platform fetch; its apiKey reaches the Worker as a binding.
 * Two destinations share the fake: `pbx` (queue mode) takes campaign 10, `pbx-sync` campaign 11.
 */
if (SKIP_REASON) console.warn(`test/workers/worker-forwarding.test.ts ${SKIP_REASON}`);

const SECRET = 'pbx-key-7e21b4d9';
/** Retries due 1.5–3 s after a failed attempt: long enough to see a cron pass leave one alone. */
const RETRY = '{ firstDelayMs: 3000, maxDelayMs: 3000, maxAttempts: 5 }';

let fake: FakeNoojee;
let backend: TestBackend;
let dev: WranglerDev;
let post: PostNoojee;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (SKIP_REASON) return;
  fake = await startFakeNoojee({ apiKey: SECRET, minCallMs: 5 });
  cleanup.push(() => fake.close());
  const credentials = { apiKey: '${env:PBX_KEY}' };
  const rules = await rulesWithDestinations({
    pbx: destinationYaml('noojee', fake.url, credentials, { retry: RETRY, batch: '1', timeoutMs: '5000' }),
    'pbx-sync': destinationYaml('noojee', fake.url, credentials, { mode: 'sync', syncTimeoutMs: '10000' }).replace(
      'match: { campaignId: 10 }',
      'match: { campaignId: 11 }',
    ),
  });
  cleanup.push(() => rules.remove());
  backend = await openTestBackend();
  cleanup.push(() => backend.close());
  dev = await startWranglerDev({
    rulesDir: rules.dir,
    databaseUrl: withPassword(backend.url!),
    vars: { PBX_KEY: SECRET, LEADGATE_API_KEYS: API_KEY, LEADGATE_DEMO: '0', LOG_LEVEL: 'warn' },
  });
  cleanup.push(() => dev.stop());
  post = httpNoojee(dev.url);
});
afterAll(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

let serial = 0;
const freshMobile = () => `04${String(51_000_000 + serial++ * 7919).slice(-8)}`;

interface DeliveryRow {
  state: string;
  attempt_count: number;
  last_outcome: string | null;
  dialer_lead_id: string | null;
  due: boolean;
}
const deliveryOf = async (leadId: unknown): Promise<DeliveryRow | undefined> =>
  (
    await backend.runner.query<DeliveryRow>(
      'select state, attempt_count, last_outcome, dialer_lead_id, next_attempt_at <= now() as due from deliveries where lead_id = $1::bigint',
      [leadId],
    )
  )[0];
const outcomesOf = async (leadId: unknown) =>
  (
    await backend.runner.query<{ outcome: string }>(
      'select a.outcome from delivery_attempts a join deliveries d on d.id = a.delivery_id where d.lead_id = $1::bigint order by a.id',
      [leadId],
    )
  ).map((a) => a.outcome);
/** The leads the fake holds for one leadgate lead, by the stable key leadgate sends. */
const atDialer = (leadId: unknown) => fake.leads.filter((l) => l.externalId === `lg-${String(leadId)}`);
const runScheduled = () => fetch(`${dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);

describe.skipIf(SKIP_REASON)('on workerd: forwarding to the dialer', () => {
  it('answers at once; the waitUntil first attempt then delivers the lead', async () => {
    // the dialer takes 2 s per call: an answer that waited for it could not beat it
    await fake.set({ delayMs: 2000 });
    try {
      const started = Date.now();
      const res = await post('insertLeadFast', { phone: freshMobile(), firstName: 'Wren' });
      const answeredInMs = Date.now() - started;
      expect(res.body).toMatchObject({ code: 0 });
      expect(res.body).not.toHaveProperty('dialerLeadId');
      const leadId = res.body.leadId;
      expect(atDialer(leadId)).toEqual([]);
      expect(answeredInMs).toBeLessThan(2000);

      await eventually('delivered by the waitUntil attempt', async () => (await deliveryOf(leadId))?.state === 'delivered', 15_000);
      const [lead] = atDialer(leadId);
      expect(lead).toMatchObject({ templateId: 1, campaignId: 10, allocationId: 100 });
      expect(lead!.fields.firstName).toBe('Wren');
      expect(atDialer(leadId)).toHaveLength(1);
      expect((await deliveryOf(leadId))!.dialer_lead_id).toBe(lead!.leadId);
    } finally {
      await fake.set({ delayMs: 0 });
    }
  });

  it('a 109 leaves the delivery queued; one scheduled() pass once the retry is due delivers it, once', async () => {
    await fake.set({ answerOverride: { answer: 109, times: 1 } });
    const requestsBefore = fake.requests.length;
    const res = await post('insertLeadFast', { phone: freshMobile() });
    expect(res.body).toMatchObject({ code: 0 });
    const leadId = res.body.leadId;
    await eventually('the first attempt answered 109', async () => (await deliveryOf(leadId))?.last_outcome === 'retry', 15_000);
    expect(await deliveryOf(leadId)).toMatchObject({ state: 'queued', attempt_count: 1, due: false });
    expect(atDialer(leadId)).toEqual([]);

    // a pass before the retry is due keeps the backoff
    expect((await runScheduled()).status).toBe(200);
    expect(await deliveryOf(leadId)).toMatchObject({ state: 'queued', attempt_count: 1 });

    await eventually('the retry is due', async () => (await deliveryOf(leadId))!.due, 5_000);
    expect((await runScheduled()).status).toBe(200);
    expect(await deliveryOf(leadId)).toMatchObject({ state: 'delivered', attempt_count: 2, last_outcome: 'delivered' });
    expect(await outcomesOf(leadId)).toEqual(['retry', 'delivered']);
    expect(atDialer(leadId)).toHaveLength(1);
    expect(fake.requests.length - requestsBefore).toBe(2);
  });

  it('leads answered at the same time in one isolate all reach the dialer without a cron pass', async () => {
    // maxConcurrency 2 and 300 ms calls: some requests' passes find both slots taken by the others'
    await fake.set({ minCallMs: 300 });
    try {
      const answers = await Promise.all([0, 1, 2, 3, 4, 5].map(() => post('insertLeadFast', { phone: freshMobile() })));
      expect(answers.map((a) => a.body.code)).toEqual([0, 0, 0, 0, 0, 0]);
      for (const { body } of answers) {
        await eventually(`lead ${String(body.leadId)} delivered`, async () => (await deliveryOf(body.leadId))?.state === 'delivered', 15_000);
        expect(atDialer(body.leadId)).toHaveLength(1);
      }
      expect(fake.maxInFlightSeen).toBeLessThanOrEqual(2);
    } finally {
      await fake.set({ minCallMs: 5 });
    }
  });

  it('sync mode: the answer carries the dialer lead id', async () => {
    const res = await post('insertLeadFast', { phone: freshMobile() }, { fCampaignId: 11, fAllocationId: 110 });
    expect(res.body).toMatchObject({ code: 0 });
    const leadId = res.body.leadId;
    const [lead] = atDialer(leadId);
    expect(lead).toMatchObject({ templateId: 1, campaignId: 10, allocationId: 100 });
    expect(res.body.dialerLeadId).toBe(lead!.leadId);
    expect(res.body).not.toHaveProperty('queued');
    expect(await deliveryOf(leadId)).toMatchObject({ state: 'delivered', dialer_lead_id: lead!.leadId });
  });

  it("never records the dialer's apiKey: attempts keep the request redacted, the log does not print it", async () => {
    // the attempts of the tests above
    const rows = await backend.runner.query<{ request: string; answer: string | null }>('select request::text as request, answer from delivery_attempts');
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) {
      expect(row.request).toContain('apiKey');
      expect(row.request).not.toContain(SECRET);
      expect(row.answer ?? '').not.toContain(SECRET);
    }
    expect(fake.requests.every((r) => r.query.apiKey === SECRET)).toBe(true);
    expect(dev.output()).not.toContain(SECRET);
  });
});
