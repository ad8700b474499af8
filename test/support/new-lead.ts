import type { NewLead } from '../../src/pipeline/ports.js';

/** A lead as validation hands it to the store: template 1, campaign 10, allocation 100, one phone. */
export const newLead = (phone: string, extra: Partial<NewLead> = {}): NewLead => ({
  templateId: 1,
  campaignId: 10,
  allocationId: 100,
  externalId: null,
  status: null,
  callbackAt: null,
  priority: 10,
  contactHours: 'Melbourne',
  fields: { phone },
  phones: [phone],
  dedupe: 'campaign',
  ...extra,
});
