import type { LeadCode } from '../codes.js';
import type { SyncVerdict } from '../forward/delivery-worker.js';
import type { CompiledDestination } from '../forward/ports.js';
import { forwardTargets } from '../forward/routing.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import type { DialerAccepted, LeadResult } from './lead-result.js';
import type { LeadStore, LeadUpdate, NewLead, StoredLead } from './ports.js';
import type { UpdatePayload } from '../forward/ports.js';
import { destinationsForwarding } from '../forward/routing.js';

/** The delivery worker as the pipeline sees it: told about new work, asked for sync mode's first attempt. */
export interface Forwarding {
  nudge(): void;
  deliverNow(leadId: string, destination: string, timeoutMs: number): Promise<SyncVerdict>;
}

/** Status of a lead the dialer refused in sync mode (SPEC 10.4). */
export const REFUSED_BY_DIALER = 'REFUSED_BY_DIALER';

/** The new lead with its deliveries (SPEC 10.2 point 1): one per destination whose route takes it. */
export function withForwarding(rules: RuleSet, lead: NewLead): NewLead {
  const forward = forwardTargets(rules.destinations, lead, 'insert');
  return forward.length > 0 ? { ...lead, forward } : lead;
}

/** The destinations of a lead's deliveries that answer in sync mode. */
export function syncDestinations(rules: RuleSet, lead: NewLead): CompiledDestination[] {
  return (lead.forward ?? []).flatMap((f) => {
    const destination = rules.destinations.get(f.destination);
    return destination?.mode === 'sync' ? [destination] : [];
  });
}

const NOOJEE_REFUSALS = new Set<number>([104, 105, 112]);

/**
 * The dialer's refusal as a result code of the caller's dialect: a Noojee dialer's own code as is,
 * otherwise 104 for a DNC refusal and 105 for any other (Convoso renders them 6010 and 6009).
 */
function refusalCode(destination: CompiledDestination, verdict: Extract<SyncVerdict, { kind: 'attempted' }>): Exclude<LeadCode, 0> {
  const code = verdict.result.dialerCode;
  if (destination.kind === 'noojee' && typeof code === 'number' && NOOJEE_REFUSALS.has(code)) return code as Exclude<LeadCode, 0>;
  const dnc = code === 6010 || /\bDNC\b/i.test(verdict.result.answer);
  return dnc ? 104 : 105;
}

/**
 * Sync mode (SPEC 10.4): waits, within the caller's slot, for the first attempt of each sync
 * destination. A refusal closes the lead as REFUSED_BY_DIALER (its phones stop counting) and
 * answers the refusal; delivered answers the dialer's id; anything else answers queued.
 */
export async function awaitSyncDelivery(
  store: LeadStore,
  forwarding: Forwarding,
  destinations: readonly CompiledDestination[],
  result: Extract<LeadResult, { code: 0 }>,
): Promise<LeadResult> {
  const verdicts = await Promise.all(destinations.map((d) => forwarding.deliverNow(result.leadId, d.name, d.syncTimeoutMs)));
  const refusedAt = verdicts.findIndex((v) => v.kind === 'attempted' && v.state === 'refused');
  if (refusedAt >= 0) {
    const verdict = verdicts[refusedAt] as Extract<SyncVerdict, { kind: 'attempted' }>;
    const destination = destinations[refusedAt]!;
    await store.closeLead(result.leadId, `dialer:${destination.name}`, REFUSED_BY_DIALER);
    return {
      code: refusalCode(destination, verdict),
      detail: `the dialer (${destination.name}) refused the lead: ${verdict.result.answer}`.slice(0, 500),
      leadId: result.leadId,
      dialer: { kind: 'refused', destination: destination.name },
    };
  }
  const delivered = verdicts.find((v): v is Extract<SyncVerdict, { kind: 'attempted' }> => v.kind === 'attempted' && v.state === 'delivered');
  const dialer: DialerAccepted = delivered
    ? { kind: 'delivered', destination: delivered.destination, dialerLeadId: delivered.result.dialerLeadId ?? null }
    : { kind: 'queued', destination: verdicts[0]?.destination ?? destinations[0]!.name };
  return { ...result, dialer };
}

/**
 * The update with its deliveries (SPEC 10.2 point 5): to every destination forwarding updates,
 * where the lead's insert went (the store checks that), carrying what changed.
 */
export function withUpdateForwarding(rules: RuleSet, before: StoredLead, update: LeadUpdate): LeadUpdate {
  const destinations = destinationsForwarding(rules.destinations, 'update');
  if (destinations.length === 0) return update;
  const payload: UpdatePayload = { fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(update.fields)) if (before.fields[name] !== value) fields[name] = value;
  payload.fields = fields;
  if (update.status !== undefined && update.status !== before.status) payload.status = update.status;
  if (update.disposition !== before.disposition) payload.disposition = update.disposition;
  const callbackAt = update.reallocateTo ? update.reallocateTo.callbackAt : update.callbackAt;
  if ((callbackAt?.getTime() ?? null) !== (before.callbackAt?.getTime() ?? null)) payload.callbackAt = callbackAt?.toISOString() ?? null;
  const allocationId = update.reallocateTo?.allocationId ?? update.allocationId;
  if (allocationId !== undefined && allocationId !== before.allocationId) payload.allocationId = allocationId;
  if (update.priority !== before.priority) payload.priority = update.priority;
  return { ...update, forward: { destinations, payload } };
}
