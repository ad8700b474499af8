import type { CompiledDestination, DncForwarding } from './ports.js';

const cache = new WeakMap<ReadonlyMap<string, CompiledDestination>, DncForwarding[]>();

/**
 * The destinations that forward DNC additions (SPEC 10.1 `forward: [dnc]`) and which entries each
 * takes: global entries always; a campaign's entries when a route matches that campaign, or every
 * campaign's when some route does not name one. The dialer's list is the first route's `to`.
 */
export function dncForwarding(destinations: ReadonlyMap<string, CompiledDestination>): DncForwarding[] {
  let targets = cache.get(destinations);
  if (!targets) {
    targets = [...destinations.values()]
      .filter((d) => d.forward.has('dnc') && d.routes.length > 0)
      .map((d) => {
        const campaigns = d.routes.map((r) => r.match.campaignId);
        return {
          destination: d.name,
          to: d.routes[0]!.to,
          campaignIds: campaigns.every((c): c is number => c !== undefined) ? [...new Set(campaigns)] : null,
        };
      });
    cache.set(destinations, targets);
  }
  return targets;
}
