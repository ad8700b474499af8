import type { NewLead } from '../pipeline/ports.js';

/** Keys of the three de-duplication scopes a lead belongs to (see `phone_claims`). */
export function scopeKeys(lead: Pick<NewLead, 'campaignId' | 'allocationId'>) {
  return { allocation: `a${lead.allocationId}`, campaign: `c${lead.campaignId}`, global: 'g' } as const;
}

/** The scope whose existing claim makes `lead` a duplicate, and the scopes it only registers in. */
export function claimScopes(lead: NewLead): { checked: string | null; unchecked: string[] } {
  const keys = scopeKeys(lead);
  const all = [keys.allocation, keys.campaign, keys.global];
  if (lead.dedupe === 'none') return { checked: null, unchecked: all };
  const checked = keys[lead.dedupe];
  return { checked, unchecked: all.filter((k) => k !== checked) };
}
