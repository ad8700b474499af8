import { PHONE_KEY } from '../leads/match-keys.js';
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

/**
 * One claim a new lead makes: `key` 'phone' goes to phone_claims (value = E.164), any other key to
 * key_claims. `checked`: a live claim of another lead makes this lead a duplicate; otherwise the
 * claim is only registered (taken when free or expired, left to its holder when live). `rank`
 * orders the keys for `matchedOn` when several match: the phone first, then `on` order.
 */
export interface ClaimRow {
  scope: string;
  key: string;
  value: string;
  checked: boolean;
  rank: number;
}

/**
 * Every claim of a lead, sorted by (scope, key, value): concurrent statements lock claims in one
 * order, which keeps their row locks from deadlocking.
 */
export function leadClaims(lead: NewLead): ClaimRow[] {
  const rows: ClaimRow[] = [];
  const scopes = claimScopes(lead);
  for (const e164 of lead.phones) {
    if (scopes.checked) rows.push({ scope: scopes.checked, key: PHONE_KEY, value: e164, checked: true, rank: 0 });
    for (const scope of scopes.unchecked) rows.push({ scope, key: PHONE_KEY, value: e164, checked: false, rank: 0 });
  }
  if (lead.keys) {
    const scope = scopeKeys(lead)[lead.keys.scope];
    const ranks = new Map<string, number>();
    for (const claim of lead.keys.claims) {
      if (!ranks.has(claim.key)) ranks.set(claim.key, ranks.size + 1);
      rows.push({ scope, key: claim.key, value: claim.value, checked: lead.keys.check, rank: ranks.get(claim.key)! });
    }
  }
  return rows.sort(compareClaims);
}

export function compareClaims(a: Pick<ClaimRow, 'scope' | 'key' | 'value'>, b: Pick<ClaimRow, 'scope' | 'key' | 'value'>): number {
  return a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Hours of a window, as the statements take it (null: forever); days are 24 hours, whatever the time zone does. */
export const windowHours = (lead: Pick<NewLead, 'windowDays'>): number | null => (lead.windowDays ? lead.windowDays * 24 : null);
