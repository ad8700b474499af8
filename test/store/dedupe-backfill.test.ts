import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyClaims, matchKey } from '../../src/leads/match-keys.js';
import type { LeadStore, NewLead, StoredLead } from '../../src/pipeline/ports.js';
import { closeLead } from '../../src/store/close-lead.js';
import { backfillStep, planBackfills, type BackfillTemplate } from '../../src/store/dedupe-backfill.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * Which leads a dedupe backfill (a match key added while leads exist) claims for: active ones, as
 * they are when it registers their claims. Closed leads hold no claims.
 *
 * Then the walk racing an update or a close of a lead in its batch. The walk is stopped between reading its batch and registering the claims; the update
 * or close runs meanwhile. Whatever the order, the lead must end up claiming what it holds now:
 * its new email after an update, nothing after a close. PGlite runs one statement at a time on one
 * connection, so the race exists only on a server.
 */

const PHONE = matchKey('phone');
const EMAIL = matchKey('email');
const before: BackfillTemplate = { id: 1, dedupe: 'campaign', matchKeys: [PHONE] };
const after: BackfillTemplate = { id: 1, dedupe: 'campaign', matchKeys: [PHONE, EMAIL] };
const templates = new Map([[1, after]]);

let backend: TestBackend;
let store: LeadStore;
beforeAll(async () => {
  backend = await openTestBackend();
  store = createLeadStore(backend.runner, { backfill: false });
});
afterAll(async () => {
  await backend.close();
});

/** `runner`, but the first statement that registers key claims waits until `resume()`. */
function pausedBeforeClaims(runner: SqlRunner) {
  let reached!: () => void;
  let resume!: () => void;
  const atClaims = new Promise<void>((resolve) => (reached = resolve));
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  const wrap = (inner: SqlRunner): SqlRunner => ({
    async query<R extends object>(text: string, params?: readonly unknown[]): Promise<R[]> {
      if (text.includes('insert into key_claims')) {
        reached();
        await resumed;
      }
      return inner.query<R>(text, params);
    },
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
  });
  return { runner: wrap(runner), atClaims, resume };
}

/** Whether `work` is still running after `ms`: with the fix, it waits for the walk's row locks. */
async function stillRunningAfter(work: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([work.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms))]);
}

let serial = 0;
const uniquePhone = () => `+614180${String((serial += 1)).padStart(5, '0')}`;

/** A lead written under the old rules (phone only): no email claim until the walk reaches it. */
async function oldLead(email: string): Promise<StoredLead> {
  const phone = uniquePhone();
  const [outcome] = await store.insertLeads([newLead(phone, { fields: { phone, email } })]);
  if (outcome?.kind !== 'inserted') throw new Error(`not inserted: ${JSON.stringify(outcome)}`);
  return (await store.findLeadById(outcome.leadId))!;
}

function newRulesLead(email: string): NewLead {
  const phone = uniquePhone();
  const fields = { phone, email };
  return newLead(phone, { fields, keys: { scope: 'campaign', check: true, claims: keyClaims(after.matchKeys, fields, [phone]) } });
}

const emailClaims = (leadId: string) =>
  backend.runner.query<{ value: string }>(`select value from key_claims where lead_id = $1::bigint and key = 'email' order by value`, [leadId]);

describe('a dedupe backfill', () => {
  it('claims the active leads it walks and none of the closed ones', async () => {
    await planBackfills(backend.runner, [before]);
    const active = await oldLead('walked.active@example.com');
    const closed = await oldLead('walked.closed@example.com');
    expect(await closeLead(backend.runner, closed.id, 'test')).toBe(true);
    await planBackfills(backend.runner, [after]);
    while ((await backfillStep(backend.runner, templates, { batchIds: 1_000, graceSeconds: 0 })) !== 'none');

    expect(await emailClaims(active.id)).toEqual([{ value: 'walked.active@example.com' }]);
    expect(await emailClaims(closed.id)).toEqual([]);
    const [again] = await store.insertLeads([newRulesLead('walked.closed@example.com')]);
    expect(again!.kind).toBe('inserted');
  });
});

/**
 * A lead written under the old rules, the email key added, and the walk started and stopped
 * between reading its batch (this lead in it) and registering the batch's claims.
 */
async function walkStoppedAtClaims(email: string) {
  await planBackfills(backend.runner, [before]);
  const lead = await oldLead(email);
  await planBackfills(backend.runner, [after]);
  const paused = pausedBeforeClaims(backend.runner);
  const walk = backfillStep(paused.runner, templates, { batchIds: 1_000, graceSeconds: 0 });
  await Promise.race([paused.atClaims, walk.then((step) => Promise.reject(new Error(`the walk ended (${step}) before registering claims`)))]);
  return { lead, walk, resume: paused.resume };
}

describe.skipIf(!SERVER_URL)('a dedupe backfill racing the leads it walks (server PostgreSQL)', () => {
  it('an update that changes the email while the batch is in flight: the lead claims its new email, not the old', async () => {
    const { lead, walk, resume } = await walkStoppedAtClaims('before.update@example.com');

    const fields = { ...lead.fields, email: 'after.update@example.com' };
    const update = store.updateLead({
      leadId: lead.id, expectedVersion: lead.version, fields, phones: lead.phones, disposition: null, callbackAt: null, priority: 10,
      contactHours: 'Melbourne', state: 'active', callRecord: { disposition: null, changes: {}, source: 'test' }, webhooks: [],
      keys: { scope: 'campaign', claims: keyClaims(after.matchKeys, fields, lead.phones) },
    });
    const updateWaited = await stillRunningAfter(update, 300);
    resume();
    expect(await walk).toBe('worked');
    expect(await update).toEqual({ kind: 'updated', leadId: lead.id });

    expect(await emailClaims(lead.id)).toEqual([{ value: 'after.update@example.com' }]);
    const [reuseOld] = await store.insertLeads([newRulesLead('before.update@example.com')]);
    expect(reuseOld!.kind).toBe('inserted');
    const [reuseNew] = await store.insertLeads([newRulesLead('after.update@example.com')]);
    expect(reuseNew).toEqual({ kind: 'duplicate', matchedOn: 'email', matchedLeadId: lead.id });
    // how: the update waited for the walk's row lock, then moved the claim the walk registered
    expect(updateWaited).toBe(true);
    while ((await backfillStep(backend.runner, templates, { batchIds: 1_000, graceSeconds: 0 })) !== 'none');
  });

  it('a close while the batch is in flight: the closed lead holds no claim', async () => {
    const { lead, walk, resume } = await walkStoppedAtClaims('closed.meanwhile@example.com');

    const close = closeLead(backend.runner, lead.id, 'test');
    const closeWaited = await stillRunningAfter(close, 300);
    resume();
    expect(await walk).toBe('worked');
    expect(await close).toBe(true);

    expect(await emailClaims(lead.id)).toEqual([]);
    const [again] = await store.insertLeads([newRulesLead('closed.meanwhile@example.com')]);
    expect(again!.kind).toBe('inserted');
    expect(closeWaited).toBe(true);
  });
});
