import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimLimits, DeliverySettlement } from '../../src/forward/ports.js';
import { createDeliveryStore } from '../../src/store/delivery-store.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import { newLead } from '../support/new-lead.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

const LIMITS: ClaimLimits = { maxConcurrency: 2, ratePerSecond: 0, batch: 1, leaseMs: 60_000, horizonMs: 1000 };
const TO = { templateId: 3, campaignId: 7, allocationId: 21 };
const forward = [{ destination: 'pbx', to: TO }];

let backend: TestBackend;
let store: ReturnType<typeof createLeadStore>;
let queue: ReturnType<typeof createDeliveryStore>;
let phone = 0;
const nextPhone = () => `+6138320${String(1000 + (phone++ % 9000)).padStart(4, '0')}`;

beforeAll(async () => {
  backend = await openTestBackend();
  store = createLeadStore(backend.runner, { backfill: false });
  queue = createDeliveryStore(backend.runner);
});
afterAll(() => backend.close());
beforeEach(async () => {
  await backend.runner.query('delete from deliveries');
  await backend.runner.query('delete from destination_pacing');
});

const rows = () =>
  backend.runner.query<{ id: string; lead_id: string | null; destination: string; event: string; state: string; route: unknown; uncertain: boolean; attempt_count: number }>(
    'select id::text, lead_id::text, destination, event, state, route, uncertain, attempt_count from deliveries order by id',
  );

const settlement = (id: string, over: Partial<DeliverySettlement> = {}): DeliverySettlement => ({
  id,
  state: 'delivered',
  outcome: 'delivered',
  status: 200,
  answer: '{"code":0}',
  dialerLeadId: null,
  retryInMs: 0,
  uncertain: false,
  request: { url: 'x' },
  latencyMs: 3,
  ...over,
});

describe('enqueueing with the lead', () => {
  it('writes one insert delivery per forward target in the statement that creates a lone lead', async () => {
    const [outcome] = await store.insertLeads([newLead(nextPhone(), { forward: [...forward, { destination: 'crm2', to: {} }] })]);
    expect(outcome!.kind).toBe('inserted');
    const leadId = outcome!.kind === 'inserted' ? outcome!.leadId : '';
    expect((await rows()).map((r) => [r.lead_id, r.destination, r.event, r.state, r.route])).toEqual([
      [leadId, 'pbx', 'insert', 'queued', TO],
      [leadId, 'crm2', 'insert', 'queued', {}],
    ]);
  });

  it('writes no delivery for a lead refused as a duplicate or for DNC, alone or in a batch', async () => {
    const p = nextPhone();
    await store.insertLeads([newLead(p, { forward })]);
    const [dup] = await store.insertLeads([newLead(p, { forward })]);
    expect(dup!.kind).toBe('duplicate');
    await store.addDnc([{ e164: '+61383209999', campaignId: 0, reason: null, source: 'test' }]);
    const batch = await store.insertLeads([newLead(p, { forward }), newLead('+61383209999', { forward }), newLead(nextPhone(), { forward }), newLead(nextPhone())]);
    expect(batch.map((o) => o.kind)).toEqual(['duplicate', 'dnc', 'inserted', 'inserted']);
    const inserts = (await rows()).filter((r) => r.event === 'insert');
    expect(inserts).toHaveLength(2);
    expect(inserts[1]!.lead_id).toBe(batch[2]!.kind === 'inserted' ? batch[2]!.leadId : null);
  });

  it('a batch lead rolled back as a duplicate of an earlier one takes its delivery with it', async () => {
    const p = nextPhone();
    const out = await store.insertLeads([newLead(p, { forward }), newLead(p, { forward })]);
    expect(out.map((o) => o.kind)).toEqual(['inserted', 'duplicate']);
    expect((await rows()).filter((r) => r.event === 'insert')).toHaveLength(1);
  });

  it('an update follows the lead to each destination its insert went to, with the update payload', async () => {
    const [o] = await store.insertLeads([newLead(nextPhone(), { forward })]);
    const lead = await store.findLeadById(o!.kind === 'inserted' ? o!.leadId : '');
    const result = await store.updateLead({
      leadId: lead!.id, expectedVersion: lead!.version, fields: { ...lead!.fields, name: 'Ann' }, phones: lead!.phones, disposition: 'SALE',
      callbackAt: null, priority: 10, contactHours: 'Melbourne', state: 'active', callRecord: { disposition: 'SALE', changes: {}, source: 'test' }, webhooks: [],
      forward: { destinations: ['pbx', 'not-forwarded-there'], payload: { fields: { name: 'Ann' }, disposition: 'SALE' } },
    });
    expect(result.kind).toBe('updated');
    const all = await rows();
    expect(all.map((r) => [r.destination, r.event])).toEqual([['pbx', 'insert'], ['pbx', 'update']]);
    const [payload] = await backend.runner.query<{ payload: unknown; route: unknown }>(`select payload, route from deliveries where event = 'update'`);
    expect(payload).toEqual({ payload: { fields: { name: 'Ann' }, disposition: 'SALE' }, route: TO });
  });
});

describe('claiming', () => {
  it('keeps maxConcurrency: calls in flight hold their slots until settled', async () => {
    await store.insertLeads([1, 2, 3, 4].map(() => newLead(nextPhone(), { forward })));
    const first = await queue.claim('pbx', LIMITS);
    expect(first).toHaveLength(2);
    expect(await queue.claim('pbx', LIMITS)).toHaveLength(0);
    await queue.settle(first[0]!.token, [settlement(first[0]!.deliveries[0]!.id)]);
    const next = await queue.claim('pbx', LIMITS);
    expect(next).toHaveLength(1);
    expect(next[0]!.deliveries[0]!.lead!.phones).toHaveLength(1);
    expect(next[0]!.deliveries[0]!.to).toEqual(TO);
  });

  it.skipIf(!SERVER_URL)('keeps maxConcurrency when claims of several processes race (each its own pool): the slots are taken once', async () => {
    await store.insertLeads(Array.from({ length: 30 }, () => newLead(nextPhone(), { forward })));
    const pools = await Promise.all([1, 2, 3, 4].map(() => openPostgresBackend(backend.url!, { poolSize: 4 })));
    try {
      const queues = pools.map((p) => createDeliveryStore(p.runner));
      const limits = { ...LIMITS, maxConcurrency: 5 };
      const claims = await Promise.all(Array.from({ length: 24 }, (_, i) => queues[i % queues.length]!.claim('pbx', limits)));
      const calls = claims.flat();
      expect(calls).toHaveLength(5);
      const ids = calls.flatMap((c) => c.deliveries.map((d) => d.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(calls.map((c) => c.token)).size).toBe(5);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('groups inserts of one route into calls of up to `batch`, in order', async () => {
    const other = [{ destination: 'pbx', to: { ...TO, allocationId: 22 } }];
    await store.insertLeads([...[1, 2, 3, 4, 5].map(() => newLead(nextPhone(), { forward })), newLead(nextPhone(), { forward: other })]);
    const calls = await queue.claim('pbx', { ...LIMITS, maxConcurrency: 2, batch: 3 });
    expect(calls.map((c) => c.deliveries.length)).toEqual([3, 2]);
    const ids = calls.flatMap((c) => c.deliveries.map((d) => Number(d.id)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const rest = await queue.claim('pbx', { ...LIMITS, maxConcurrency: 3, batch: 3 });
    expect(rest.map((c) => c.deliveries.map((d) => d.to.allocationId))).toEqual([[22]]);
  });

  it('a claim of many calls groups them by route, and updates its rows without rescanning the claimed set for each row', async () => {
    // Two routes interleaved, so the calls are not runs of consecutive ids.
    const other = [{ destination: 'pbx', to: { ...TO, allocationId: 22 } }];
    await store.insertLeads(Array.from({ length: 60 }, (_, i) => newLead(nextPhone(), { forward: i % 3 === 0 ? other : forward })));
    let claimText: string | undefined;
    let claimParams: readonly unknown[] = [];
    const recording = createDeliveryStore({
      query(text, params) {
        return backend.runner.query(text, params);
      },
      transaction(fn) {
        return backend.runner.transaction((tx) =>
          fn({
            query(text, params) {
              if (text.includes('candidates as')) [claimText, claimParams] = [text, params ?? []];
              return tx.query(text, params);
            },
            transaction: tx.transaction.bind(tx),
          }),
        );
      },
    });
    const limits = { ...LIMITS, maxConcurrency: 16, batch: 7 };
    const calls = await recording.claim('pbx', limits);
    // 40 leads of one route in calls of 7 (6 calls) and 20 of the other (3 calls), each call one route
    expect(calls.map((c) => c.deliveries.length).sort((a, b) => a - b)).toEqual([5, 6, 7, 7, 7, 7, 7, 7, 7]);
    for (const call of calls) expect(new Set(call.deliveries.map((d) => d.to.allocationId)).size).toBe(1);
    expect(new Set(calls.flatMap((c) => c.deliveries.map((d) => d.id))).size).toBe(60);

    await backend.runner.query(`update deliveries set lease_until = null, claim_token = null, next_attempt_at = now() - interval '1 second'`);
    const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
    const [plan] = await backend.runner.transaction(async (tx) => {
      // EXPLAIN ANALYZE would claim; the plan alone is the point
      const sqlText = claimText!.replace(/\$(\d+)(::\w+)?/g, (_m, n: string, cast: string | undefined) => `${literal(claimParams[Number(n) - 1])}${cast ?? ''}`);
      return tx.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sqlText}`);
    });
    type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Operation?: string; 'Parent Relationship'?: string; Plans?: PlanNode[] };
    const raw = plan!['QUERY PLAN'];
    const root = (typeof raw === 'string' ? (JSON.parse(raw) as Array<{ Plan: PlanNode }>) : (raw as Array<{ Plan: PlanNode }>))[0]!.Plan;
    const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];
    const update = flatten(root).find((n) => n['Node Type'] === 'ModifyTable' && n.Operation === 'Update' && n['Relation Name'] === 'deliveries');
    const rowSource = (update?.Plans ?? []).filter((n) => n['Parent Relationship'] !== 'InitPlan').flatMap(flatten);
    // a row source of the deliveries alone: no CTE joined in (a nested loop rescanned it for every
    // row), and not the index of every queued row (the claimed ids bound the read)
    expect(rowSource.some((n) => n['Relation Name'] === 'deliveries')).toBe(true);
    expect(rowSource.filter((n) => n['Node Type'] === 'CTE Scan' || n['Index Name'] === 'deliveries_due_idx')).toEqual([]);
  });

  it('paces calls at ratePerSecond across claims, through the shared pacing row', async () => {
    await store.insertLeads([1, 2, 3, 4, 5].map(() => newLead(nextPhone(), { forward })));
    const limits = { ...LIMITS, maxConcurrency: 10, ratePerSecond: 2, horizonMs: 1000 };
    const calls = await queue.claim('pbx', limits);
    expect(calls).toHaveLength(3); // at 0, 500 and 1000 ms
    expect(calls[1]!.startAt - calls[0]!.startAt).toBe(500);
    expect(calls[2]!.startAt - calls[0]!.startAt).toBe(1000);
    expect(await queue.claim('pbx', limits)).toHaveLength(0);
  });

  it('an update waits for its insert, and goes after it was delivered', async () => {
    const [o] = await store.insertLeads([newLead(nextPhone(), { forward })]);
    const leadId = o!.kind === 'inserted' ? o!.leadId : '';
    await backend.runner.query(`insert into deliveries (lead_id, destination, event, route, payload) values ($1, 'pbx', 'update', '{}', '{"fields":{}}')`, [leadId]);
    const [insert] = await queue.claim('pbx', { ...LIMITS, maxConcurrency: 5 });
    expect(insert!.deliveries[0]!.event).toBe('insert');
    expect(await queue.claim('pbx', { ...LIMITS, maxConcurrency: 5 })).toHaveLength(0);
    await queue.settle(insert!.token, [settlement(insert!.deliveries[0]!.id, { dialerLeadId: 'D-9' })]);
    const [update] = await queue.claim('pbx', { ...LIMITS, maxConcurrency: 5 });
    expect(update!.deliveries[0]!.event).toBe('update');
    expect(update!.deliveries[0]!.dialerLeadId).toBe('D-9');
  });

  it('a refused insert refuses its waiting updates; a dead one keeps them waiting', async () => {
    const [a, b] = await store.insertLeads([newLead(nextPhone(), { forward }), newLead(nextPhone(), { forward })]);
    for (const o of [a, b]) {
      await backend.runner.query(`insert into deliveries (lead_id, destination, event, route, payload) values ($1, 'pbx', 'update', '{}', '{"fields":{}}')`, [o!.kind === 'inserted' ? o!.leadId : '']);
    }
    const calls = await queue.claim('pbx', { ...LIMITS, maxConcurrency: 5 });
    expect(calls).toHaveLength(2);
    await queue.settle(calls[0]!.token, [settlement(calls[0]!.deliveries[0]!.id, { state: 'refused', outcome: 'refused' })]);
    await queue.settle(calls[1]!.token, [settlement(calls[1]!.deliveries[0]!.id, { state: 'dead', outcome: 'dead' })]);
    expect((await rows()).map((r) => `${r.event}:${r.state}`)).toEqual(['insert:refused', 'insert:dead', 'update:refused', 'update:queued']);
    expect(await queue.claim('pbx', { ...LIMITS, maxConcurrency: 5 })).toHaveLength(0);
  });

  it('a lease that ran out makes the delivery due again, marked uncertain; the late settle of the old claim is ignored', async () => {
    await store.insertLeads([newLead(nextPhone(), { forward })]);
    const [old] = await queue.claim('pbx', { ...LIMITS, leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const [again] = await queue.claim('pbx', LIMITS);
    expect(again!.deliveries[0]!.uncertain).toBe(true);
    await queue.settle(old!.token, [settlement(old!.deliveries[0]!.id, { state: 'refused', outcome: 'refused' })]);
    expect((await rows())[0]!.state).toBe('queued');
    await queue.settle(again!.token, [settlement(again!.deliveries[0]!.id)]);
    const [row] = await rows();
    expect([row!.state, row!.attempt_count]).toEqual(['delivered', 1]);
    const [attempts] = await backend.runner.query<{ n: number }>('select count(*)::int as n from delivery_attempts where delivery_id = $1', [row!.id]);
    expect(attempts!.n).toBe(2);
  });

  it('a settle tried again after it committed unseen records its attempt once; a late retried settle records none', async () => {
    await store.insertLeads([newLead(nextPhone(), { forward })]);
    const [call] = await queue.claim('pbx', LIMITS);
    const settled = [settlement(call!.deliveries[0]!.id)];
    await queue.settle(call!.token, settled);
    await queue.settle(call!.token, settled, true);
    const [row] = await rows();
    const count = async () => (await backend.runner.query<{ n: number }>('select count(*)::int as n from delivery_attempts where delivery_id = $1', [row!.id]))[0]!.n;
    expect([row!.state, row!.attempt_count, await count()]).toEqual(['delivered', 1, 1]);
  });

  describe('calls that end while a settle runs settle together', () => {
    /** A queue whose settle statements are counted. */
    function countingQueue() {
      const counted = { settles: 0 };
      const store = createDeliveryStore({
        query(text, params) {
          if (text.includes('insert into delivery_attempts')) counted.settles += 1;
          return backend.runner.query(text, params);
        },
        transaction: (fn) => backend.runner.transaction(fn),
      });
      return { store, counted };
    }
    const attemptsOf = async (id: string) => (await backend.runner.query<{ n: number }>('select count(*)::int as n from delivery_attempts where delivery_id = $1', [id]))[0]!.n;

    it('in one statement, each call settled as it would be alone', async () => {
      const { store: grouped, counted } = countingQueue();
      const out = await store.insertLeads([1, 2, 3, 4].map(() => newLead(nextPhone(), { forward })));
      const refusedLead = out[1]!.kind === 'inserted' ? out[1]!.leadId : '';
      await backend.runner.query(`insert into deliveries (lead_id, destination, event, route, payload) values ($1, 'pbx', 'update', '{}', '{"fields":{}}')`, [refusedLead]);
      const calls = await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 4 });
      expect(calls).toHaveLength(4);
      const only = (i: number) => calls[i]!.deliveries[0]!.id;
      await Promise.all([
        grouped.settle(calls[0]!.token, [settlement(only(0), { dialerLeadId: 'D-0' })]),
        grouped.settle(calls[1]!.token, [settlement(only(1), { state: 'refused', outcome: 'refused' })]),
        grouped.settle(calls[2]!.token, [settlement(only(2), { state: 'queued', outcome: 'retry', retryInMs: 60_000 })]),
        grouped.settle(calls[3]!.token, [settlement(only(3), { state: 'dead', outcome: 'dead' })]),
      ]);
      // the first found the slot free and went alone; the other three waited and went together
      expect(counted.settles).toBe(2);
      const after = await backend.runner.query<{ event: string; state: string; attempt_count: number; dialer_lead_id: string | null; leased: boolean }>(
        'select event, state, attempt_count, dialer_lead_id, lease_until is not null or claim_token is not null as leased from deliveries order by id',
      );
      expect(after.map((r) => [r.event, r.state, r.attempt_count, r.dialer_lead_id, r.leased])).toEqual([
        ['insert', 'delivered', 1, 'D-0', false],
        ['insert', 'refused', 1, null, false],
        ['insert', 'queued', 1, null, false],
        ['insert', 'dead', 1, null, false],
        ['update', 'refused', 0, null, false],
      ]);
      for (let i = 0; i < 4; i += 1) expect(await attemptsOf(only(i))).toBe(1);
      // the retry waits for its delay
      expect(await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 4 })).toHaveLength(0);
    });

    it('a retried settle in a group records no attempt twice, not even when the new claim of its row settles in the same group', async () => {
      const { store: grouped, counted } = countingQueue();
      await store.insertLeads([1, 2, 3].map(() => newLead(nextPhone(), { forward })));
      const [first, committed] = await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 2 });
      const [old] = await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 3, leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 20));
      const [again] = await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 3 });
      expect(again!.deliveries[0]!.id).toBe(old!.deliveries[0]!.id);
      const committedSettle = [settlement(committed!.deliveries[0]!.id)];
      await grouped.settle(committed!.token, committedSettle);
      await new Promise(setImmediate); // the slot is free again once its settle's bookkeeping ran
      counted.settles = 0;
      await Promise.all([
        grouped.settle(first!.token, [settlement(first!.deliveries[0]!.id)]),
        // the same settle again, as settleDurably sends it when the first may have committed unseen
        grouped.settle(committed!.token, committedSettle, true),
        // a late retry of the expired claim: its row is settled here, but by the new claim
        grouped.settle(old!.token, [settlement(old!.deliveries[0]!.id, { state: 'refused', outcome: 'refused' })], true),
        grouped.settle(again!.token, [settlement(again!.deliveries[0]!.id, { dialerLeadId: 'D-2' })]),
      ]);
      expect(counted.settles).toBe(2);
      const after = await backend.runner.query<{ id: string; state: string; attempt_count: number; dialer_lead_id: string | null }>(
        'select id::text, state, attempt_count, dialer_lead_id from deliveries order by id',
      );
      expect(after.map((r) => [r.state, r.attempt_count, r.dialer_lead_id])).toEqual([
        ['delivered', 1, null],
        ['delivered', 1, null],
        ['delivered', 1, 'D-2'],
      ]);
      expect(await attemptsOf(committed!.deliveries[0]!.id)).toBe(1);
      expect(await attemptsOf(again!.deliveries[0]!.id)).toBe(1);
    });

    it('a group the database refuses is settled call by call, so one bad call does not fail the others', async () => {
      const { store: grouped, counted } = countingQueue();
      await store.insertLeads([1, 2, 3].map(() => newLead(nextPhone(), { forward })));
      const calls = await grouped.claim('pbx', { ...LIMITS, maxConcurrency: 3 });
      // an attempt status beyond the column's int range: that call's statement fails, the others land
      const results = await Promise.allSettled([
        grouped.settle(calls[0]!.token, [settlement(calls[0]!.deliveries[0]!.id)]),
        grouped.settle(calls[1]!.token, [settlement(calls[1]!.deliveries[0]!.id, { status: 2 ** 40 })]),
        grouped.settle(calls[2]!.token, [settlement(calls[2]!.deliveries[0]!.id)]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(counted.settles).toBe(4);
      expect((await rows()).map((r) => r.state)).toEqual(['delivered', 'queued', 'delivered']);
    });
  });

  it('a retry settles as queued, due after its delay', async () => {
    await store.insertLeads([newLead(nextPhone(), { forward })]);
    const [call] = await queue.claim('pbx', LIMITS);
    await queue.settle(call!.token, [settlement(call!.deliveries[0]!.id, { state: 'queued', outcome: 'retry', retryInMs: 60_000 })]);
    expect(await queue.claim('pbx', LIMITS)).toHaveLength(0);
    const [row] = await backend.runner.query<{ due_in: number }>(`select extract(epoch from next_attempt_at - now())::int as due_in from deliveries`);
    expect(row!.due_in).toBeGreaterThan(50);
  });

  it('claimInsert takes the one lead (sync mode), and says busy when no slot is free', async () => {
    const out = await store.insertLeads([newLead(nextPhone(), { forward }), newLead(nextPhone(), { forward })]);
    const second = out[1]!.kind === 'inserted' ? out[1]!.leadId : '';
    const call = await queue.claimInsert(second, 'pbx', { ...LIMITS, maxConcurrency: 1 });
    expect(typeof call === 'object' && call.deliveries[0]!.lead!.id).toBe(second);
    const first = out[0]!.kind === 'inserted' ? out[0]!.leadId : '';
    expect(await queue.claimInsert(first, 'pbx', { ...LIMITS, maxConcurrency: 1 })).toBe('busy');
    expect(await queue.claimInsert('999999', 'pbx', LIMITS)).toBe('none');
  });
});

describe('DNC additions', () => {
  it('every path leaves a fan-out row; expansion splits it per forwarding destination and campaign', async () => {
    await store.addDnc([
      { e164: '+61383201111', campaignId: 0, reason: 'asked', source: 'admin' },
      { e164: '+61383202222', campaignId: 7, reason: null, source: 'admin' },
      { e164: '+61383203333', campaignId: 8, reason: null, source: 'admin' },
    ]);
    expect((await rows()).map((r) => `${r.destination}:${r.state}`)).toEqual(['*:fanout', '*:fanout', '*:fanout']);
    const n = await queue.expandDnc([
      { destination: 'convoso', to: { listId: 5 }, campaignIds: null },
      { destination: 'vici', to: { listId: 6 }, campaignIds: [7] },
    ]);
    expect(n).toBe(3);
    const after = await backend.runner.query<{ destination: string; payload: { e164: string } }>(`select destination, payload from deliveries order by id`);
    expect(after.map((r) => `${r.destination}:${r.payload.e164}`)).toEqual([
      'convoso:+61383201111', 'vici:+61383201111', 'convoso:+61383202222', 'vici:+61383202222', 'convoso:+61383203333',
    ]);
  });

  it('with no destination forwarding DNC the fan-out rows are simply dropped', async () => {
    await store.addDnc([{ e164: '+61383204444', campaignId: 0, reason: null, source: 'admin' }]);
    expect(await queue.expandDnc([])).toBe(1);
    expect(await rows()).toEqual([]);
  });
});
