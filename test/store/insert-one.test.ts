import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../src/pipeline/ports.js';
import { insertOneLead } from '../../src/store/insert-one.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let backend: TestBackend;
beforeAll(async () => {
  backend = await openTestBackend();
});
afterAll(async () => {
  await backend.close();
});

const decision: DecisionRecord = {
  entryPoint: 'noojee',
  connect: 'acme-crm',
  request: { method: 'POST', url: 'https://crm.example.com/lookup', body: { phone: '+61418000001' } },
  crmStatus: 200,
  latencyMs: 4.4,
  answer: '{"flags":{"doNotCall":true}}',
  matchedRow: 1,
  values: [true],
  decision: { createLead: true, addToDnc: true, status: 'DNC' },
};



const recordsFor = (phone: string) =>
  backend.runner.query<{ lead_id: string | null; outcome: string; connect: string; latency_ms: number; matched_row: number }>(
    `select lead_id::text, outcome, connect, latency_ms, matched_row from decision_records where phone = $1 order by id`,
    [phone],
  );
const dncFor = (phone: string) => backend.runner.query<{ reason: string; source: string }>(`select reason, source from dnc where e164 = $1`, [phone]);

describe('one-statement insert with the duplicate-check effects', () => {
  it('creates the lead, its decision record and its DNC entry in one statement', async () => {
    const phone = '+61418000001';
    const outcome = await insertOneLead(backend.runner, newLead(phone, { status: 'DNC', decision, addToDnc: { reason: 'CRM says do not call' } }));
    expect(outcome.kind).toBe('inserted');
    const leadId = outcome.kind === 'inserted' ? outcome.leadId : '';
    expect(await recordsFor(phone)).toEqual([{ lead_id: leadId, outcome: 'created', connect: 'acme-crm', latency_ms: 4, matched_row: 1 }]);
    expect(await dncFor(phone)).toEqual([{ reason: 'CRM says do not call', source: 'duplicate-check' }]);
  });

  it('records the decision of a lead refused for DNC, adding nothing', async () => {
    const phone = '+61418000001'; // on the DNC list since the test above
    const outcome = await insertOneLead(backend.runner, newLead(phone, { decision }));
    expect(outcome).toEqual({ kind: 'dnc' });
    expect((await recordsFor(phone)).map((r) => [r.lead_id, r.outcome])).toEqual([
      [expect.any(String), 'created'],
      [null, 'dnc'],
    ]);
  });

  it('records the decision of a lead that lost its phone to a concurrent insert, and adds no DNC entry', async () => {
    const phone = '+61418000002';
    expect((await insertOneLead(backend.runner, newLead(phone))).kind).toBe('inserted');
    const outcome = await insertOneLead(backend.runner, newLead(phone, { decision, addToDnc: { reason: 'x' } }));
    expect(outcome).toEqual({ kind: 'duplicate', matchedOn: 'phone', matchedLeadId: expect.any(String) });
    expect(await recordsFor(phone)).toEqual([{ lead_id: null, outcome: 'duplicate_phone', connect: 'acme-crm', latency_ms: 4, matched_row: 1 }]);
    expect(await dncFor(phone)).toEqual([]);
    const leads = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones @> array[$1::text]`, [phone]);
    expect(leads[0]!.n).toBe(1);
  });

  it('records which match key a refused lead matched, and the lead holding it', async () => {
    const email = { key: 'email', value: 'decided@example.com' };
    const keys = { scope: 'campaign' as const, check: true, claims: [email] };
    const first = await insertOneLead(backend.runner, newLead('+61418000011', { keys }));
    const outcome = await insertOneLead(backend.runner, newLead('+61418000012', { keys, decision }));
    const holder = first.kind === 'inserted' ? first.leadId : 'none';
    expect(outcome).toEqual({ kind: 'duplicate', matchedOn: 'email', matchedLeadId: holder });
    const records = await backend.runner.query<{ outcome: string; matched_on: string; matched_lead_id: string }>(
      `select outcome, matched_on, matched_lead_id::text from decision_records where phone = $1`,
      ['+61418000012'],
    );
    expect(records).toEqual([{ outcome: 'duplicate_key', matched_on: 'email', matched_lead_id: holder }]);
  });

  it('records the decision of a lead whose external id is taken', async () => {
    expect((await insertOneLead(backend.runner, newLead('+61418000003', { externalId: 'ONE-1' }))).kind).toBe('inserted');
    const outcome = await insertOneLead(backend.runner, newLead('+61418000004', { externalId: 'ONE-1', decision }));
    expect(outcome).toEqual({ kind: 'duplicateExternalId' });
    expect((await recordsFor('+61418000004')).map((r) => r.outcome)).toEqual(['duplicate_external_id']);
  });
});
