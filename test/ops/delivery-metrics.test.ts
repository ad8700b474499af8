import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueStat } from '../../src/forward/delivery-admin.js';
import { cachedQueueStats } from '../../src/ops/cached-queue-stats.js';
import { createPromMetrics } from '../../src/ops/metrics.js';
import { insertDelivery, insertLead } from '../support/deliveries.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** `name{labels} value` lines of the Prometheus text format, as a map. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

const gate = () => ({ queued: 0, inFlight: 0 }) as ReturnType<Parameters<typeof createPromMetrics>[0]['gate']>;

describe('GET /metrics: deliveries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('shows the queue per destination from the rows, and what the worker reports', async () => {
    const db = t.backend.runner;
    const leadId = await insertLead(db, ['+61412200001']);
    const oldest = new Date(Date.now() - 90_000).toISOString();
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'queued', createdAt: oldest });
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'queued' });
    await insertDelivery(db, { leadId, destination: 'pbx', state: 'delivered', createdAt: '2020-01-01T00:00:00Z' });
    await insertDelivery(db, { leadId, destination: 'crm2', state: 'queued' });
    t.metrics.recordDeliveryAttempt('pbx', 'delivered', 120);
    t.metrics.recordDeliveryAttempt('pbx', 'retry', 2500);
    t.metrics.recordDeliveryAttempt('pbx', 'retry', 30);
    t.metrics.setDeliveryCircuit('pbx', 'open');
    t.metrics.setDeliveryCircuit('crm2', 'half-open');

    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    const m = samples(await res.text());
    expect(m.get('leadgate_delivery_queue_depth{destination="pbx"}')).toBe(2);
    expect(m.get('leadgate_delivery_queue_depth{destination="crm2"}')).toBe(1);
    const age = m.get('leadgate_delivery_oldest_queued_age_seconds{destination="pbx"}')!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(150);
    expect(m.get('leadgate_delivery_oldest_queued_age_seconds{destination="crm2"}')).toBeLessThan(60);
    expect(m.get('leadgate_delivery_attempts_total{destination="pbx",outcome="delivered"}')).toBe(1);
    expect(m.get('leadgate_delivery_attempts_total{destination="pbx",outcome="retry"}')).toBe(2);
    expect(m.get('leadgate_delivery_latency_seconds_count{destination="pbx",outcome="retry"}')).toBe(2);
    expect(m.get('leadgate_delivery_latency_seconds_sum{destination="pbx",outcome="retry"}')).toBeCloseTo(2.53);
    expect(m.get('leadgate_delivery_latency_seconds_bucket{le="0.05",destination="pbx",outcome="retry"}')).toBe(1);
    expect(m.get('leadgate_delivery_circuit_state{destination="pbx"}')).toBe(2);
    expect(m.get('leadgate_delivery_circuit_state{destination="crm2"}')).toBe(1);
  });
});

describe('the queue gauges', () => {
  it('keep a destination at 0 once its queue empties, and show nothing (not stale values) while the store does not answer', async () => {
    let answer: QueueStat[] | Error = [{ destination: 'pbx', depth: 3, oldestQueuedAt: new Date(1_000_000) }];
    const metrics = createPromMetrics({
      gate,
      circuits: () => new Map(),
      deliveryQueue: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
      now: () => 1_060_000,
    });
    const scrape = async () => samples((await metrics.render()).body);
    let m = await scrape();
    expect(m.get('leadgate_delivery_queue_depth{destination="pbx"}')).toBe(3);
    expect(m.get('leadgate_delivery_oldest_queued_age_seconds{destination="pbx"}')).toBe(60);
    answer = [];
    m = await scrape();
    expect(m.get('leadgate_delivery_queue_depth{destination="pbx"}')).toBe(0);
    expect(m.get('leadgate_delivery_oldest_queued_age_seconds{destination="pbx"}')).toBe(0);
    answer = new Error('connection refused');
    m = await scrape();
    expect(m.has('leadgate_delivery_queue_depth{destination="pbx"}')).toBe(false);
    expect(m.get('leadgate_gate_queue_length')).toBe(0);
  });
});

describe('cachedQueueStats', () => {
  it('reads the store at most once per interval, shares a read in flight, and asks again after a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const cached = cachedQueueStats(
      async () => {
        reads += 1;
        if (fail) throw new Error('down');
        return [{ destination: 'pbx', depth: reads, oldestQueuedAt: null }];
      },
      1000,
      () => clock,
    );
    const [a, b] = await Promise.all([cached(), cached()]);
    expect(a).toBe(b);
    expect(reads).toBe(1);
    clock = 999;
    expect((await cached())[0]!.depth).toBe(1);
    clock = 1000;
    expect((await cached())[0]!.depth).toBe(2);
    fail = true;
    clock = 2000;
    await expect(cached()).rejects.toThrow('down');
    fail = false;
    expect((await cached())[0]!.depth).toBe(4);
    expect(reads).toBe(4);
  });
});
