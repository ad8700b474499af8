/**
 * Which destinations a lead goes to (SPEC 10.1 `routes`): per destination that forwards the
 * event, the first route whose `match` holds; no route matching means not forwarded there.
 * Called for every lead insert, so the list of destinations per event is worked out once per rule
 * set: a RuleSet is never mutated, so its destinations map can key a WeakMap.
 */
import type { CompiledDestination, DestinationRoute, ForwardEvent, ForwardTarget, RouteMatch } from './ports.js';

export interface RoutedLead {
  templateId: number;
  campaignId: number;
  allocationId: number;
}

type Destinations = ReadonlyMap<string, CompiledDestination>;
type Forwarding = ReadonlyArray<{ name: string; routes: readonly DestinationRoute[] }>;

const byEvent = new WeakMap<Destinations, Map<ForwardEvent, Forwarding>>();

function forwarding(destinations: Destinations, event: ForwardEvent): Forwarding {
  let events = byEvent.get(destinations);
  if (!events) {
    events = new Map();
    byEvent.set(destinations, events);
  }
  let list = events.get(event);
  if (!list) {
    list = [...destinations.values()].filter((d) => d.forward.has(event)).map((d) => ({ name: d.name, routes: d.routes }));
    events.set(event, list);
  }
  return list;
}

/** Every id the route gives equals the lead's. */
export function routeMatches(match: RouteMatch, lead: RoutedLead): boolean {
  return (
    (match.templateId === undefined || match.templateId === lead.templateId) &&
    (match.campaignId === undefined || match.campaignId === lead.campaignId) &&
    (match.allocationId === undefined || match.allocationId === lead.allocationId)
  );
}

/** The deliveries to write with a new lead: one per destination whose routes take it. */
export function forwardTargets(destinations: Destinations, lead: RoutedLead, event: 'insert'): ForwardTarget[] {
  const targets: ForwardTarget[] = [];
  for (const { name, routes } of forwarding(destinations, event)) {
    const route = routes.find((r) => routeMatches(r.match, lead));
    if (route) targets.push({ destination: name, to: route.to });
  }
  return targets;
}

/** The names of the destinations that forward `event`, in the rule set's order. */
export function destinationsForwarding(destinations: Destinations, event: ForwardEvent): string[] {
  return forwarding(destinations, event).map((d) => d.name);
}
