import { afterEach, describe, expect, it } from 'vitest';
import { startFakeNoojee, type FakeNoojee, type NoojeeOptions } from '../support/fake-dialers/noojee.js';
import { allInState, appWithDestination, deliveryRows, destinationYaml, eventually, openedThings } from '../support/forwarding.js';
import { postNoojee, type TestApp } from '../support/test-app.js';

/*
 * Forwarding to a Noojee dialer end to end: leads in through leadgate's own Noojee endpoints,
 * out through the delivery worker to a fake Noojee CampaignAPI built from the vendor's documents
 * (test/support/fake-dialers), with its limits and faults.
 */

const SECRET = 'pbx-key-0f3c9a';
const DISPOSITIONS = ['SALE', 'Call Back', 'busy', 'DNC Request', 'Transfer'];

interface Setup {
  t: TestApp;
  fake: FakeNoojee;
}

const opened = openedThings();
afterEach(opened.closeAll);

async function setup(settings: Record<string, string> = {}, fakeOptions: NoojeeOptions = {}): Promise<Setup> {
  const fake = await startFakeNoojee({ apiKey: SECRET, minCallMs: 5, dispositions: DISPOSITIONS, ...fakeOptions });
  opened.add(() => fake.close());
  const t = await appWithDestination(opened, 'pbx', destinationYaml('noojee', fake.url, { apiKey: '${env:PBX_KEY}' }, settings), { PBX_KEY: SECRET });
  return { t, fake };
}

let phoneSeq = 0;
const phone = () => `0383${String(200000 + ((phoneSeq += 7) % 800000)).padStart(6, '0')}`;

const deliveries = deliveryRows;
const attempts = (t: TestApp) =>
  t.backend.runner.query<{ delivery_id: string; outcome: string; request: unknown; answer: string | null; status: number | null }>(
    'select delivery_id::text, outcome, request, answer, status from delivery_attempts order by id',
  );
const allDelivered = (t: TestApp, n: number) => allInState(t, n);
/** Every lead the fake holds, by the key leadgate sent: never two for one leadgate lead. */
const keysAtDialer = (fake: FakeNoojee) => fake.leads.map((l) => l.externalId ?? '');

describe('queue mode', () => {
  it('answers at once, then delivers the lead with the route ids and its stable key, and stores the dialer id', async () => {
    const { t, fake } = await setup();
    const p = phone();
    const answer = await postNoojee(t.app, 'insertLeadFast', { phone: p, firstName: 'Ann' });
    expect(answer.body).toMatchObject({ code: 0 });
    expect(answer.body).not.toHaveProperty('queued');
    const leadId = answer.body.leadId as string;
    expect(fake.requests).toHaveLength(0);
    expect(await deliveries(t)).toMatchObject([{ lead_id: leadId, event: 'insert', state: 'queued' }]);

    t.deliveries.start();
    await eventually('the lead is delivered', () => allDelivered(t, 1));
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ templateId: 1, campaignId: 10, allocationId: 100, externalId: `lg-${leadId}` });
    expect(fake.leads[0]!.fields.firstName).toBe('Ann');
    const [row] = await deliveries(t);
    expect(row!.dialer_lead_id).toBe(fake.leads[0]!.leadId);
    expect(fake.requests[0]!.path).toBe('/servicemanager/rest/CampaignAPI/insertLeadFast');
  });

  it('sends the leads waiting for one route as one insertLeadsFast call, in order', async () => {
    const { t, fake } = await setup({ batch: '100' });
    const phones = [phone(), phone(), phone(), phone(), phone()];
    const answer = await postNoojee(t.app, 'insertLeadsFast', phones.map((p) => ({ phone: p })));
    expect(answer.status).toBe(200);
    t.deliveries.start();
    await eventually('five leads delivered', () => allDelivered(t, 5));
    expect(fake.requests.map((r) => r.path.split('/').at(-1))).toEqual(['insertLeadsFast']);
    expect(fake.leads.map((l) => l.fields.phone)).toEqual(phones);
    // each delivery's attempt record keeps its own lead of the batch and its place in it, not the whole batch
    const records = (await attempts(t)).map((a) => a.request as { url: string; body: { phone: string }; batch: { index: number; size: number } });
    expect(records.map((r) => r.body.phone)).toEqual(phones);
    expect(records.map((r) => r.batch)).toEqual(phones.map((_, index) => ({ index, size: 5 })));
    expect(records.every((r) => r.url.includes('/insertLeadsFast?'))).toBe(true);
  });

  it('an update goes after its insert was delivered, to the dialer lead under the same key', async () => {
    const { t, fake } = await setup({ forward: '[insert, update]' });
    const p = phone();
    const inserted = await postNoojee(t.app, 'insertLeadFast', { phone: p, njExternalLeadId: 'ext-77' });
    expect(inserted.body.code).toBe(0);
    const updated = await postNoojee(t.app, 'updateLeadFast', { phone: p, njExternalLeadId: 'ext-77', njDisposition: 'busy', note: 'second call' }, { fAllocationId: null });
    expect(updated.body.code).toBe(0);
    expect((await deliveries(t)).map((d) => `${d.event}:${d.state}`)).toEqual(['insert:queued', 'update:queued']);
    t.deliveries.start();
    await eventually('insert and update delivered', () => allDelivered(t, 2));
    expect(fake.requests.map((r) => r.path.split('/').at(-1))).toEqual(['insertLeadFast', 'updateLeadFast']);
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ externalId: 'ext-77', disposition: 'busy', updates: 1 });
    expect(fake.leads[0]!.fields.note).toBe('second call');
  });

  it('a lead that matches no route, or a destination not forwarding updates, queues nothing', async () => {
    const { t } = await setup();
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() }, { fTemplateId: 2, fCampaignId: 20, fAllocationId: 200 });
    expect(await deliveries(t)).toEqual([]);
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p, njExternalLeadId: 'ext-1' });
    await postNoojee(t.app, 'updateLeadFast', { phone: p, njExternalLeadId: 'ext-1', njDisposition: 'busy' }, { fAllocationId: null });
    expect((await deliveries(t)).map((d) => d.event)).toEqual(['insert']);
  });
});

describe('limits', () => {
  it('keeps maxConcurrency: never more calls in flight than the destination allows', async () => {
    const { t, fake } = await setup({ maxConcurrency: '2', batch: '1' }, { concurrency: 50, minCallMs: 40 });
    for (let i = 0; i < 8; i++) await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('eight leads delivered', () => allDelivered(t, 8));
    expect(fake.maxInFlightSeen).toBe(2);
  });

  it('paces calls at ratePerSecond', async () => {
    const { t, fake } = await setup({ maxConcurrency: '10', batch: '1', ratePerSecond: '20' }, { concurrency: 50 });
    for (let i = 0; i < 6; i++) await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    const started = Date.now();
    t.deliveries.start();
    await eventually('six leads delivered', () => allDelivered(t, 6));
    // six calls at 20/s start over at least 250 ms (0, 50, …, 250)
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(fake.leads).toHaveLength(6);
  });
});

describe('outcomes', () => {
  it('109 (too many concurrent requests) is retried until the dialer takes the lead', async () => {
    const { t, fake } = await setup({}, {});
    await fake.set({ answerOverride: { answer: 109, times: 2 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('delivered after two 109s', () => allDelivered(t, 1));
    expect((await attempts(t)).map((a) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(fake.leads).toHaveLength(1);
  });

  it('110 is never retried: dead after one attempt', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: 110 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead', async () => (await deliveries(t))[0]?.state === 'dead');
    await new Promise((r) => setTimeout(r, 300));
    expect((await attempts(t)).map((a) => a.outcome)).toEqual(['dead']);
  });

  it('a refusal (105) is final', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: 105 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('refused', async () => (await deliveries(t))[0]?.state === 'refused');
    await new Promise((r) => setTimeout(r, 300));
    expect(await attempts(t)).toHaveLength(1);
  });

  it('stops at maxAttempts: dead', async () => {
    const { t, fake } = await setup({ retry: '{ firstDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 }' });
    await fake.set({ answerOverride: { answer: 103 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead after three attempts', async () => (await deliveries(t))[0]?.state === 'dead');
    expect((await attempts(t)).map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry']);
    expect((await deliveries(t))[0]!.attempt_count).toBe(3);
  });
});

describe('faults: never lost, never doubled', () => {
  it('a dialer down for a while, then up: the circuit opens, and every lead is delivered exactly once', async () => {
    const { t, fake } = await setup({ batch: '1', maxConcurrency: '4', circuit: '{ failureThreshold: 3, openMs: 300 }' }, { concurrency: 8 });
    await fake.set({ down: 'refuse' });
    for (let i = 0; i < 10; i++) await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('the circuit opened', () => t.logLines.some((l) => l.includes('"delivery.circuit_opened"')));
    // an open circuit stops the attempts: far fewer than one per lead
    expect((await attempts(t)).length).toBeLessThan(10);
    expect((await deliveries(t)).every((d) => d.state === 'queued')).toBe(true);
    // the queue absorbs a dialer that is down: leadgate stays ready (SPEC 10.3)
    expect((await t.app.request('/readyz')).status).toBe(200);
    await fake.set({ down: false });
    await eventually('all delivered', () => allDelivered(t, 10), 20_000);
    expect(fake.leads).toHaveLength(10);
    expect(new Set(keysAtDialer(fake)).size).toBe(10);
  });

  it('a dialer that inserts and then cuts the connection: the re-send is answered 112 and counted delivered, one lead at the dialer', async () => {
    const { t, fake } = await setup({ batch: '1' });
    await fake.set({ cutAfterInsert: 3 });
    for (let i = 0; i < 3; i++) await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('all delivered', () => allDelivered(t, 3), 20_000);
    expect(fake.leads).toHaveLength(3);
    const outcomes = (await attempts(t)).map((a) => a.outcome);
    expect(outcomes.filter((o) => o === 'unknown')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(3);
  });

  it('the same cut in a batch: the whole batch is re-sent and every lead counted once', async () => {
    const { t, fake } = await setup({ batch: '10' });
    await fake.set({ cutAfterInsert: 1 });
    await postNoojee(t.app, 'insertLeadsFast', [phone(), phone(), phone(), phone()].map((p) => ({ phone: p })));
    t.deliveries.start();
    await eventually('all delivered', () => allDelivered(t, 4), 20_000);
    expect(fake.leads).toHaveLength(4);
  });

  it('a slow dialer: the attempt times out (unknown), the dialer inserted anyway, the re-send does not double it', async () => {
    const { t, fake } = await setup({ timeoutMs: '150', batch: '1' });
    await fake.set({ delayMs: 400 });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('a timed-out attempt', async () => (await attempts(t)).some((a) => a.outcome === 'unknown'));
    await fake.set({ delayMs: 0 });
    await eventually('delivered', () => allDelivered(t, 1), 20_000);
    expect(fake.leads).toHaveLength(1);
  });
});

describe('sync mode', () => {
  it('delivered: the answer carries the dialer lead id beside leadgate\'s', async () => {
    const { t, fake } = await setup({ mode: 'sync' });
    const answer = await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    expect(answer.body).toMatchObject({ code: 0, dialerLeadId: fake.leads[0]!.leadId });
    expect((await deliveries(t))[0]!.state).toBe('delivered');
  });

  it('refused: the caller gets the dialer\'s code and name, the lead is closed and its phone counts no more', async () => {
    const { t, fake } = await setup({ mode: 'sync' });
    const p = phone();
    fake.dnc.add(`61${p.slice(1)}`);
    fake.dnc.add(p);
    const answer = await postNoojee(t.app, 'insertLeadFast', { phone: p });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 104, dialer: 'pbx' });
    const leadId = answer.body.leadId as string;
    const [lead] = await t.backend.runner.query<{ state: string; status: string }>('select state, status from leads where id = $1', [leadId]);
    expect(lead).toEqual({ state: 'closed', status: 'REFUSED_BY_DIALER' });
    fake.dnc.clear();
    const again = await postNoojee(t.app, 'insertLeadFast', { phone: p });
    expect(again.body.code).toBe(0);
  });

  it('no verdict in time: answered queued, delivered later', async () => {
    const { t, fake } = await setup({ mode: 'sync', syncTimeoutMs: '100' });
    await fake.set({ delayMs: 400 });
    const started = Date.now();
    const answer = await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    expect(Date.now() - started).toBeLessThan(380);
    expect(answer.body).toMatchObject({ code: 0, queued: true });
    await eventually('delivered in the background', () => allDelivered(t, 1));
    expect(fake.leads).toHaveLength(1);
  });

  it('a batch never waits: always queued', async () => {
    const { t, fake } = await setup({ mode: 'sync' });
    const answer = await postNoojee(t.app, 'insertLeadsFast', [{ phone: phone() }]);
    expect(answer.status).toBe(200);
    expect(fake.requests).toHaveLength(0);
    expect((await deliveries(t))[0]!.state).toBe('queued');
  });
});

describe('secrets', () => {
  it('the dialer key is in no attempt record and no log line', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: 109, times: 1 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('delivered', () => allDelivered(t, 1));
    expect(fake.requests[0]!.query.apiKey).toBe(SECRET);
    const stored = JSON.stringify(await attempts(t));
    expect(stored).toContain('insertLeadFast');
    expect(stored).not.toContain(SECRET);
    expect(t.logLines.join('\n')).not.toContain(SECRET);
  });
});
