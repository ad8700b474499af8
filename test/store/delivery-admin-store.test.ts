import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAdminStore, QUEUE_STATS_SQL } from '../../src/store/delivery-admin-store.js';
import type { DeliveryAdminStore } from '../../src/forward/delivery-admin.js';
import { deliveryState, insertDelivery, insertLead } from '../support/deliveries.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let backend: TestBackend;
let store: DeliveryAdminStore;
beforeAll(async () => {
  backend = await openTestBackend();
  store = createDeliveryAdminStore(backend.runner);
});
afterAll(() => backend.close());

describe('the deliveries admin store', () => {
  it('answers the queue per destination: how many are queued and since when, nothing else counted', async () => {
    const db = backend.runner;
    const leadId = await insertLead(db, ['+61412100001']);
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'queued', createdAt: '2026-02-01T10:00:00.000Z' });
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'queued', createdAt: '2026-02-01T09:00:00.000Z' });
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'dead', createdAt: '2026-01-01T00:00:00.000Z' });
    await insertDelivery(db, { leadId, destination: 'other', state: 'queued', createdAt: '2026-02-02T00:00:00.000Z' });
    await insertDelivery(db, { leadId, destination: 'gone', state: 'delivered', createdAt: '2025-01-01T00:00:00.000Z' });
    // a fan-out row is queued work of the worker's, not a destination's
    await db.query(`insert into dnc (e164, campaign_id, reason, source) values ('+61412100009', 0, null, 'test')`);
    expect(await store.queueStats()).toEqual([
      { destination: 'other', depth: 1, oldestQueuedAt: new Date('2026-02-02T00:00:00.000Z') },
      { destination: 'pbx', depth: 2, oldestQueuedAt: new Date('2026-02-01T09:00:00.000Z') },
    ]);
  });

  it('reads the queue through the partial index of queued rows, not the whole table', async () => {
    const db = backend.runner;
    await db.query(
      `insert into deliveries (destination, event, state, created_at) select 'pbx', 'insert', 'delivered', now() - g * interval '1 second' from generate_series(1, 20000) g`,
    );
    await db.query('analyze deliveries');
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`explain ${QUEUE_STATS_SQL}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('deliveries_due_idx');
    expect(plan).not.toMatch(/Seq Scan on deliveries/);
  });

  it('retries without an audit entry when none is given, and answers notFound for what cannot be an id', async () => {
    const db = backend.runner;
    const id = await insertDelivery(db, { destination: 'solo', state: 'refused' });
    expect(await store.retry(id)).toBe('queued');
    expect(await deliveryState(db, id)).toMatchObject({ state: 'queued', attemptCount: 0, due: true });
    expect(await store.retry(id)).toBe('notRetryable');
    expect(await store.retry('nope')).toBe('notFound');
    expect(await store.get('nope')).toBeNull();
    expect(await db.query('select 1 from audit_log')).toEqual([]);
  });

  it('keeps an unknown outcome known after a retry: the dialer may hold the lead, so the worker must look before re-sending', async () => {
    const id = await insertDelivery(backend.runner, { destination: 'solo', state: 'dead', uncertain: true });
    expect(await store.retryMany({ destination: 'solo' })).toBe(1);
    expect(await deliveryState(backend.runner, id)).toMatchObject({ state: 'queued', uncertain: true, leased: false });
  });
});
