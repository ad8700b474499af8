/**
 * Property tests explore: each run draws a new seed, so inputs no earlier run tried get tried.
 * fast-check prints the seed of a failing run (`{ seed: …, path: … }`); LEADGATE_FUZZ_SEED=<seed>
 * replays it. CI runs more iterations (LEADGATE_FUZZ_FACTOR, default 2 under CI, else 1) than a
 * developer's `npm test`.
 */
function seedFromEnvironment(): number {
  const given = process.env.LEADGATE_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`LEADGATE_FUZZ_SEED must be an integer, not ${given}`);
    return seed;
  }
  return Math.floor(Math.random() * 0x7fffffff);
}

export const FUZZ_SEED = seedFromEnvironment();

const FACTOR = Number(process.env.LEADGATE_FUZZ_FACTOR ?? (process.env.CI ? 2 : 1));

/** fast-check parameters: this run's seed, and `numRuns` scaled for CI. */
export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FACTOR)) };
}
