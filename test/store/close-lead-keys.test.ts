import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyClaims, matchKey } from '../../src/leads/match-keys.js';
import type { LeadStore, NewLead } from '../../src/pipeline/ports.js';
import { closeLead } from '../../src/store/close-lead.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

/* A closed lead (Convoso's delete) stops counting for de-duplication by every key, not only its phones. */

let backend: TestBackend;
let store: LeadStore;
beforeAll(async () => {
  backend = await openTestBackend();
  store = createLeadStore(backend.runner, { backfill: false });
});
afterAll(async () => {
  await backend.close();
});

const on = [matchKey('phone'), matchKey('email'), matchKey(['firstName', 'lastName', 'phone'])];
function lead(phone: string, email: string): NewLead {
  const fields = { phone, email, firstName: 'Ada', lastName: 'Byron' };
  return newLead(phone, { fields, windowDays: 30, keys: { scope: 'campaign', check: true, claims: keyClaims(on, fields, [phone]) } });
}

describe('closing a lead', () => {
  it('releases its phone and key claims in the statement that closes it', async () => {
    const [first] = await store.insertLeads([lead('+61418100001', 'closed@example.com')]);
    expect(await store.insertLeads([lead('+61418100002', 'closed@example.com')])).toEqual([
      { kind: 'duplicate', matchedOn: 'email', matchedLeadId: first!.kind === 'inserted' ? first!.leadId : '' },
    ]);
    expect(await closeLead(backend.runner, first!.kind === 'inserted' ? first!.leadId : '0', 'test')).toBe(true);
    const [again] = await store.insertLeads([lead('+61418100001', 'closed@example.com')]);
    expect(again!.kind).toBe('inserted');
  });
});
