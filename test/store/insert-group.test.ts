import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionRecord, InsertOutcome, NewLead } from '../../src/pipeline/ports.js';
import { fitsOneStatement, insertGroup } from '../../src/store/insert-group.js';
import { insertOneLead } from '../../src/store/insert-one.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, STORE_KIND, type TestBackend } from '../support/test-backend.js';

/*
 * The group commit's one-statement write (src/store/insert-group.ts): all or nothing, and for the
 * groups it takes, the same rows and outcomes as the batch path (insert-batch.ts) it stands in for.
 */
let backend: TestBackend;
beforeAll(async () => {
  backend = await openTestBackend();
});
afterAll(() => backend.close());

const decision: DecisionRecord = {
  entryPoint: 'noojee',
  connect: 'crm',
  request: { method: 'POST', url: 'http://crm/lookup', body: '{"phone":"x"}' },
  crmStatus: 200,
  latencyMs: 4,
  answer: '{"customer":null}',
  matchedRow: 1,
  values: ['x'],
  decision: { source: 'row', createLead: true, success: true },
};

/** Ten leads covering every column, claim and effect the statement writes; phones `${prefix}0..10`. */
function mixedGroup(prefix: string, campaignId: number): NewLead[] {
  const phone = (i: number) => `${prefix}${i}`;
  const base = (i: number, extra: Partial<NewLead> = {}) => newLead(phone(i), { campaignId, ...extra });
  return [
    base(0),
    base(1, { decision }),
    base(2, { decision, addToDnc: { reason: 'asked by the CRM' } }),
    base(3, { decision }), // on the DNC list: not created, its decision recorded as 'dnc'
    base(4, { forward: [{ destination: 'pbx', to: { campaignId: 7 } }] }),
    base(5, { externalId: `ext-${prefix}`, status: 'NEW', priority: 3, callbackAt: new Date('2026-12-24T01:00:00Z'), createdAt: new Date('2026-11-30T10:00:00Z') }),
    base(6, { dedupe: 'none', fields: { phone: phone(6), firstName: 'Ada', age: 36, vip: true, note: null } }),
    { ...base(7), phones: [phone(7), `${prefix}9`], fields: { phone: phone(7), mobile: `${prefix}9` } },
    base(8, { windowDays: 90, keys: { scope: 'campaign', check: true, claims: [{ key: 'email', value: `${prefix}@x.test` }, { key: 'last', value: `${prefix}-ada` }] } }),
    base(10, { keys: { scope: 'global', check: false, claims: [{ key: 'email', value: `${prefix}-10@x.test` }] } }),
  ];
}

/** What the store holds for these phones, without ids and the store's own times. */
async function snapshot(prefix: string) {
  const q = <R extends object>(text: string) => backend.runner.query<R>(text, [`${prefix}%`]);
  const leads = await q<Record<string, unknown>>(
    `select phones[1] as phone, template_id, allocation_id, external_id, status, callback_at::text as callback_at, priority, contact_hours, fields,
            array_length(phones, 1) as phone_count, case when created_at > now() - interval '1 hour' then 'now' else created_at::text end as created
     from leads where phones[1] like $1 order by phones[1]`,
  );
  const claims = await q<Record<string, unknown>>(
    `select c.e164, left(c.scope, 1) as scope_kind, c.created_at = l.created_at as with_lead_time
     from phone_claims c join leads l on l.id = c.lead_id where c.e164 like $1 order by c.e164, c.scope`,
  );
  const keyClaims = await q<Record<string, unknown>>(
    `select left(c.scope, 1) as scope_kind, c.key, c.value, l.phones[1] as phone, c.created_at = l.created_at as with_lead_time
     from key_claims c join leads l on l.id = c.lead_id where l.phones[1] like $1 order by c.key, c.value`,
  );
  const decisions = await q<Record<string, unknown>>(
    `select phone, lead_id is not null as has_lead, outcome, entry_point, connect, request, crm_status, latency_ms, answer, matched_row, values, decision
     from decision_records where phone like $1 order by phone`,
  );
  const dnc = await q<Record<string, unknown>>(`select e164, campaign_id, reason, source from dnc where e164 like $1 order by e164`);
  const deliveries = await q<Record<string, unknown>>(
    `select l.phones[1] as phone, d.destination, d.event, d.state, d.route from deliveries d join leads l on l.id = d.lead_id where l.phones[1] like $1 order by 1`,
  );
  const strip = (rows: Array<Record<string, unknown>>) => JSON.parse(JSON.stringify(rows).replaceAll(prefix, 'P')) as Array<Record<string, unknown>>;
  return { leads: strip(leads), claims: strip(claims), keyClaims: strip(keyClaims), decisions: strip(decisions), dnc: strip(dnc), deliveries: strip(deliveries) };
}

/** outcome kinds; 'alone' for a lead insertGroup left to be written on its own */
const kinds = (outcomes: ReadonlyArray<InsertOutcome | undefined>) => outcomes.map((o) => o?.kind ?? 'alone');

describe('fitsOneStatement', () => {
  it('takes plain single leads, with or without decision records, DNC additions and deliveries', () => {
    expect(fitsOneStatement(mixedGroup('+6139100000', 10))).toBe(true);
  });

  it.each([
    ['a phone twice', [newLead('+61391000102'), newLead('+61391000103', { phones: ['+61391000103', '+61391000102'] })]],
    ['an external id twice in one campaign', [newLead('+61391000104', { externalId: 'E' }), newLead('+61391000105', { externalId: 'E' })]],
    [
      'a match-key value twice in one scope',
      [
        newLead('+61391000108', { keys: { scope: 'campaign', check: true, claims: [{ key: 'email', value: 'a@b.c' }] } }),
        newLead('+61391000109', { keys: { scope: 'campaign', check: false, claims: [{ key: 'email', value: 'a@b.c' }] } }),
      ],
    ],
  ])('leaves %s to the batch path', (_what, leads) => {
    expect(fitsOneStatement(leads)).toBe(false);
  });

  it('takes one external id in two campaigns', () => {
    expect(fitsOneStatement([newLead('+61391000106', { externalId: 'E' }), newLead('+61391000107', { externalId: 'E', campaignId: 11 })])).toBe(true);
  });
});

describe('insertGroup', () => {
  it('writes what the batch path writes, lead for lead, in one statement', async () => {
    await backend.runner.query(`insert into dnc (e164, campaign_id, reason, source) values ('+613920000003', 0, 'listed', 'test'), ('+613930000003', 0, 'listed', 'test')`);
    const grouped = await insertGroup(backend.runner, mixedGroup('+61392000000', 10));
    const store = createLeadStore(backend.runner, { backfill: false });
    const batched = await store.insertLeads(mixedGroup('+61393000000', 11));
    expect(grouped && kinds(grouped)).toEqual(['inserted', 'inserted', 'inserted', 'dnc', 'inserted', 'inserted', 'inserted', 'inserted', 'inserted', 'inserted']);
    expect(kinds(batched)).toEqual(kinds(grouped!));

    const viaGroup = await snapshot('+61392000000');
    const viaBatch = await snapshot('+61393000000');
    expect(viaGroup).toEqual(viaBatch);
    // and what that is, so that both cannot be wrong the same way unseen
    expect(viaGroup.leads).toHaveLength(9);
    expect(viaGroup.claims).toHaveLength(10 * 3); // 10 phones (lead 7 has two) in three scopes
    expect(viaGroup.keyClaims.map((k) => [k.scope_kind, k.key, k.value, k.phone, k.with_lead_time])).toEqual([
      ['g', 'email', 'P-10@x.test', 'P10', true],
      ['c', 'email', 'P@x.test', 'P8', true],
      ['c', 'last', 'P-ada', 'P8', true],
    ]);
    expect(viaGroup.decisions.map((d) => [d.phone, d.outcome, d.has_lead])).toEqual([
      ['P1', 'created', true],
      ['P2', 'created', true],
      ['P3', 'dnc', false],
    ]);
    expect(viaGroup.decisions[0]).toMatchObject({ entry_point: 'noojee', connect: 'crm', request: decision.request, crm_status: 200, answer: decision.answer, values: ['x'] });
    expect(viaGroup.dnc).toEqual([
      { e164: 'P2', campaign_id: 0, reason: 'asked by the CRM', source: 'duplicate-check' },
      { e164: 'P3', campaign_id: 0, reason: 'listed', source: 'test' },
    ]);
    expect(viaGroup.deliveries).toEqual([{ phone: 'P4', destination: 'pbx', event: 'insert', state: 'queued', route: { campaignId: 7 } }]);
    expect(viaGroup.leads.find((l) => l.phone === 'P5')).toMatchObject({ external_id: 'ext-P', status: 'NEW', priority: 3, created: expect.stringMatching(/^2026-11-30/) });
  });

  it('leaves a lead whose checked phone is already claimed to be written alone, and writes the others', async () => {
    const store = createLeadStore(backend.runner, { backfill: false });
    expect(kinds(await store.insertLeads([newLead('+61394000003')]))).toEqual(['inserted']);
    expect(kinds(await store.insertLeads([newLead('+61394000005')]))).toEqual(['inserted']);
    await backend.runner.query(`insert into dnc (e164, campaign_id, reason, source) values ('+61394000005', 0, 'listed', 'test')`);
    const group = ['+61394000001', '+61394000002', '+61394000003', '+61394000004', '+61394000005'].map((p) => newLead(p, { decision, forward: [{ destination: 'pbx', to: {} }] }));
    // the lead on the DNC list is answered 'dnc', as alone, although its phone is claimed too
    expect(kinds((await insertGroup(backend.runner, group))!)).toEqual(['inserted', 'inserted', 'alone', 'inserted', 'dnc']);
    const written = await backend.runner.query<{ phone: string; leads: number; claims: number; decisions: number; deliveries: number }>(
      `select p as phone, (select count(*)::int from leads where phones[1] = p) as leads,
              (select count(*)::int from phone_claims where e164 = p) as claims,
              (select count(*)::int from decision_records where phone = p) as decisions,
              (select count(*)::int from deliveries d join leads l on l.id = d.lead_id where l.phones[1] = p) as deliveries
       from unnest($1::text[]) as p order by p`,
      [group.map((l) => l.phones[0])],
    );
    // +61394000003: only its earlier holder; its own decision is the alone write's to record
    expect(written.map((w) => [w.leads, w.claims, w.decisions, w.deliveries])).toEqual([
      [1, 3, 1, 1],
      [1, 3, 1, 1],
      [1, 3, 0, 0],
      [1, 3, 1, 1],
      [1, 3, 1, 0],
    ]);
  });

  it('leaves a lead whose external id is already live in the campaign to be written alone when it has a decision to record, else answers 112', async () => {
    await insertGroup(backend.runner, [newLead('+61395000001', { externalId: 'X-1' })]);
    const outcomes = await insertGroup(backend.runner, [
      newLead('+61395000002'),
      newLead('+61395000003', { externalId: 'X-1', decision }),
      newLead('+61395000004', { externalId: 'X-1', campaignId: 11 }),
      newLead('+61395000005', { externalId: 'X-1' }),
    ]);
    expect(kinds(outcomes!)).toEqual(['inserted', 'alone', 'inserted', 'duplicateExternalId']);
    const leads = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones[1] like '+61395%'`);
    expect(leads[0]!.n).toBe(3);
  });

  it('answers a resent lead with no decision to record, forever, as insert-one answers it alone, and writes nothing for it', async () => {
    const store = createLeadStore(backend.runner, { backfill: false });
    const keys = (claims: Array<[string, string]>) => ({ keys: { scope: 'campaign' as const, check: true, claims: claims.map(([key, value]) => ({ key, value })) } });
    const id = (o: InsertOutcome | undefined) => (o?.kind === 'inserted' ? o.leadId : '');
    const phoneHolder = id((await store.insertLeads([newLead('+61391000001', { externalId: 'H-1' })]))[0]);
    const emailHolder = id((await store.insertLeads([newLead('+61391000002', keys([['email', 'e@x.test']]))]))[0]);
    const lastHolder = id((await store.insertLeads([newLead('+61391000003', keys([['last', 'ada']]))]))[0]);
    const resent = [
      newLead('+61391000001'), // the phone: 105 by phone
      newLead('+61391000011', { externalId: 'H-1' }), // the external id: 112
      { ...newLead('+61391000012', { externalId: 'H-1' }), phones: ['+61391000012', '+61391000001'] }, // both: 112 first
      newLead('+61391000013', keys([['email', 'e@x.test']])), // a match key: 105 by email
      newLead('+61391000002', keys([['email', 'e@x.test']])), // the phone of one holder, the key of another: the phone ranks first
      newLead('+61391000014', keys([['last', 'ada'], ['email', 'e@x.test']])), // two keys held: the first in `on` order, not by name
    ];
    const grouped = await insertGroup(backend.runner, resent);
    const alone = [];
    for (const lead of resent) alone.push(await insertOneLead(backend.runner, lead));
    expect(grouped).toEqual(alone);
    expect(grouped).toEqual([
      { kind: 'duplicate', matchedOn: 'phone', matchedLeadId: phoneHolder },
      { kind: 'duplicateExternalId' },
      { kind: 'duplicateExternalId' },
      { kind: 'duplicate', matchedOn: 'email', matchedLeadId: emailHolder },
      { kind: 'duplicate', matchedOn: 'phone', matchedLeadId: emailHolder },
      { kind: 'duplicate', matchedOn: 'last', matchedLeadId: lastHolder },
    ]);
    const written = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones[1] like '+6139100%'`);
    expect(written[0]!.n).toBe(3);
    // on the DNC list: 104 before any duplicate, as alone
    await backend.runner.query(`insert into dnc (e164, campaign_id, reason, source) values ('+61391000002', 0, 'listed', 'test')`);
    expect(await insertGroup(backend.runner, [resent[4]!, newLead('+61391000015')])).toEqual([{ kind: 'dnc' }, expect.objectContaining({ kind: 'inserted' })]);
  });

  it('with a window, leaves a lead alone when any claim it makes is held; forever, answers a checked one held', async () => {
    const store = createLeadStore(backend.runner, { backfill: false });
    const old = new Date(Date.now() - 100 * 86_400_000);
    const email = (value: string, check: boolean) => ({ keys: { scope: 'campaign' as const, check, claims: [{ key: 'email', value }] } });
    // holders, 100 days old: a phone in campaign 10, a phone in allocation 100 only (campaign 12), two emails
    await store.insertLeads([newLead('+61398000001', { createdAt: old })]);
    await store.insertLeads([newLead('+61398000002', { createdAt: old, campaignId: 12 })]);
    await store.insertLeads([newLead('+61398000009', { createdAt: old, ...email('held@x.test', true) })]);
    const outcomes = await insertGroup(backend.runner, [
      newLead('+61398000001', { windowDays: 90 }), // its checked claim expired: insert-one takes it over
      newLead('+61398000002', { windowDays: 90 }), // only an unchecked scope (allocation 100) held
      newLead('+61398000003', { windowDays: 90 }), // nothing held
      newLead('+61398000004', email('held@x.test', true)), // forever, a checked key held: the duplicate, answered at once
      newLead('+61398000005', email('held@x.test', false)), // forever, an unchecked key held: left to its holder
    ]);
    expect(kinds(outcomes!)).toEqual(['alone', 'alone', 'inserted', 'duplicate', 'inserted']);
    const holders = await backend.runner.query<{ value: string; phone: string }>(
      `select c.value, l.phones[1] as phone from key_claims c join leads l on l.id = c.lead_id where c.value = 'held@x.test'`,
    );
    expect(holders).toEqual([{ value: 'held@x.test', phone: '+61398000009' }]);
    // through the store, the expired claim is taken over by the lead written alone
    const grouped = createLeadStore(backend.runner, { backfill: false, groupCommit: { concurrentGroups: 1, maxGroupSize: 50 } });
    const again = await Promise.all(['+61398000011', '+61398000001'].map((p) => grouped.insertLeads([newLead(p, { windowDays: 90 })]).then((o) => o[0]!)));
    expect(kinds(again)).toEqual(['inserted', 'inserted']);
    const claim = await backend.runner.query<{ lead_id: string }>(`select lead_id::text from phone_claims where scope = 'c10' and e164 = '+61398000001'`);
    expect(claim).toEqual([{ lead_id: again[1]!.kind === 'inserted' ? again[1]!.leadId : '' }]);
  });

  it.runIf(STORE_KIND === 'postgres')('writes nothing and answers null when a transaction still running holds a claim it needs', async () => {
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let claimed!: () => void;
    const holding = new Promise<void>((resolve) => (claimed = resolve));
    const other = backend.runner.transaction(async (tx) => {
      await insertOneLead(tx, newLead('+61397000002'));
      claimed();
      await committing;
    });
    await holding;
    // the statement waits on the running transaction's claim, then meets it as a unique violation
    const group = insertGroup(backend.runner, ['+61397000001', '+61397000002', '+61397000003'].map((p) => newLead(p, { decision })));
    setTimeout(commit, 200);
    await other;
    expect(await group).toBeNull();
    const written = await backend.runner.query<{ leads: number; decisions: number }>(
      `select (select count(*)::int from leads where phones[1] like '+61397%') as leads, (select count(*)::int from decision_records where phone like '+61397%') as decisions`,
    );
    expect(written[0]).toEqual({ leads: 1, decisions: 0 });
  });
});

describe('group commit through the one-statement write', () => {
  it('a resent lead in a group is written alone: the duplicate is named, every other lead written once', async () => {
    const store = createLeadStore(backend.runner, { backfill: false, groupCommit: { concurrentGroups: 1, maxGroupSize: 50 } });
    const [holder] = await store.insertLeads([newLead('+61396000005')]);
    const phones = Array.from({ length: 10 }, (_, i) => `+6139600000${i}`);
    // the first goes alone; the other nine wait for it and go as one group, which holds the resent lead
    const outcomes = await Promise.all(phones.map((p) => store.insertLeads([newLead(p, { decision })]).then((o) => o[0]!)));
    expect(kinds(outcomes)).toEqual(phones.map((p) => (p === '+61396000005' ? 'duplicate' : 'inserted')));
    expect(outcomes[5]).toEqual({ kind: 'duplicate', matchedOn: 'phone', matchedLeadId: holder!.kind === 'inserted' ? holder!.leadId : null });
    const counts = await backend.runner.query<{ phone: string; leads: number; decisions: number }>(
      `select p as phone, (select count(*)::int from leads where phones[1] = p) as leads, (select count(*)::int from decision_records where phone = p) as decisions
       from unnest($1::text[]) as p order by p`,
      [phones],
    );
    expect(counts.map((c) => [c.leads, c.decisions])).toEqual(phones.map((p) => (p === '+61396000005' ? [1, 1] : [1, 1])));
    const refused = await backend.runner.query<{ outcome: string; lead_id: string | null }>(`select outcome, lead_id::text from decision_records where phone = '+61396000005'`);
    expect(refused).toEqual([{ outcome: 'duplicate_phone', lead_id: null }]);
  });
});
