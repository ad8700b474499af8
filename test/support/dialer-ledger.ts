import { expect } from 'vitest';
import type { SqlRunner } from '../../src/store/sql-runner.js';
import type { FakeNoojee } from './fake-dialers/noojee.js';

/*
 * The check every forwarding fault test ends with (SPEC 10.2 point 4, section 9 Reliability):
 * each stored lead is at the dialer exactly once, under the key leadgate sends for it, and its
 * delivery was counted delivered by exactly one attempt.
 */

export interface LedgerSummary {
  leads: number;
  /** insert calls the fake received (a batch counts once) */
  calls: number;
  /** attempts by outcome */
  outcomes: Record<string, number>;
  /** deliveries sent more than once */
  resent: number;
  /** deliveries counted delivered on the dialer's 112: an earlier send, unanswered, had landed */
  deliveredAsDuplicate: number;
}

/** The key leadgate sends as njExternalLeadId: the lead's own, else `lg-<leadId>`. */
export const stableKey = (lead: { id: string; external_id: string | null }) => lead.external_id ?? `lg-${lead.id}`;

/**
 * Asserts that every lead stored in `runner`'s database (of `campaignId`, when given), and each id
 * of `acceptedLeadIds` (the leads the callers were told were stored), went to `destination` once:
 * one insert delivery, delivered, with one delivered attempt, and the fake holds exactly one lead
 * under its key and no lead leadgate did not store.
 */
export async function expectEachLeadOnceAtDialer(
  runner: SqlRunner,
  fake: FakeNoojee,
  acceptedLeadIds: readonly string[],
  destination = 'pbx',
  campaignId?: number,
): Promise<LedgerSummary> {
  const leads = await runner.query<{ id: string; external_id: string | null }>(
    'select l.id::text as id, l.external_id from leads l where $1::int is null or l.campaign_id = $1::int order by l.id',
    [campaignId ?? null],
  );
  const stored = new Set(leads.map((l) => l.id));
  expect(acceptedLeadIds.filter((id) => !stored.has(id))).toEqual([]);

  const atDialer = new Map<string, number>();
  for (const lead of fake.leads) atDialer.set(lead.externalId ?? '(none)', (atDialer.get(lead.externalId ?? '(none)') ?? 0) + 1);
  const expectedKeys = leads.map(stableKey);
  expect(expectedKeys.filter((key) => atDialer.get(key) !== 1)).toEqual([]);
  expect(fake.leads).toHaveLength(leads.length);

  const deliveries = await runner.query<{ lead_id: string; state: string; delivered_attempts: number; attempts: number; as_duplicate: boolean }>(
    `select d.lead_id::text, d.state,
       (select count(*)::int from delivery_attempts a where a.delivery_id = d.id and a.outcome = 'delivered') as delivered_attempts,
       (select count(*)::int from delivery_attempts a where a.delivery_id = d.id) as attempts,
       exists (select 1 from delivery_attempts a where a.delivery_id = d.id and a.outcome = 'delivered' and a.answer like '%"code":112%') as as_duplicate
     from deliveries d where d.destination = $1 and d.event = 'insert' order by d.lead_id`,
    [destination],
  );
  expect(deliveries.map((d) => d.lead_id)).toEqual(leads.map((l) => l.id));
  expect(deliveries.filter((d) => d.state !== 'delivered' || d.delivered_attempts !== 1)).toEqual([]);

  const outcomes: Record<string, number> = {};
  for (const row of await runner.query<{ outcome: string; n: number }>('select outcome, count(*)::int as n from delivery_attempts group by outcome')) outcomes[row.outcome] = row.n;
  const calls = fake.requests.filter((r) => r.path.endsWith('/insertLeadFast') || r.path.endsWith('/insertLeadsFast')).length;
  return { leads: leads.length, calls, outcomes, resent: deliveries.filter((d) => d.attempts > 1).length, deliveredAsDuplicate: deliveries.filter((d) => d.as_duplicate).length };
}
