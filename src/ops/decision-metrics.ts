import { insertDecisionOutcome, type LeadStore } from '../pipeline/ports.js';
import type { Metrics } from './metrics.js';

/**
 * Counts decision records by outcome as the store commits them: counting where the record is
 * written (and only after it was) keeps the counter equal to what `GET /admin/decisions` lists.
 */
export function countDecisions(store: LeadStore, metrics: Pick<Metrics, 'decision'>): LeadStore {
  return {
    ...store,
    async insertLeads(leads) {
      const outcomes = await store.insertLeads(leads);
      outcomes.forEach((outcome, i) => {
        if (leads[i]?.decision) metrics.decision(insertDecisionOutcome(outcome));
      });
      return outcomes;
    },
    async recordDecisions(entries) {
      await store.recordDecisions(entries);
      for (const entry of entries) metrics.decision(entry.outcome);
    },
    async applyRecheck(recheck) {
      await store.applyRecheck(recheck);
      metrics.decision('rechecked');
    },
  };
}
