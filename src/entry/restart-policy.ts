/**
 * When a server process dies unexpectedly, the primary starts another after a delay that doubles
 * with each recent death; when deaths come faster than restarts can help (the same bug on every
 * request, a database that refuses every new process), it gives up and stops the server, so an
 * operator sees the failure instead of a process spinning through restarts.
 */
export interface RestartPolicySettings {
  /** this many deaths within `windowMs` stop the server */
  maxDeaths: number;
  windowMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicySettings = { maxDeaths: 5, windowMs: 60_000, firstDelayMs: 250, maxDelayMs: 10_000 };

export type RestartDecision = { restartInMs: number } | { giveUp: string };

export function createRestartPolicy(settings: RestartPolicySettings = DEFAULT_RESTART_POLICY) {
  let deaths: number[] = [];
  return {
    /** records a death at `now` (ms) and says what to do about it */
    onDeath(now: number): RestartDecision {
      deaths = [...deaths.filter((at) => now - at < settings.windowMs), now];
      if (deaths.length >= settings.maxDeaths) {
        return { giveUp: `${deaths.length} server processes died within ${Math.round(settings.windowMs / 1000)} s` };
      }
      return { restartInMs: Math.min(settings.maxDelayMs, settings.firstDelayMs * 2 ** (deaths.length - 1)) };
    },
  };
}
