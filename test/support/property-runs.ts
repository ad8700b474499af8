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

function factorFromEnvironment(): number {
  const given = process.env.LEADGATE_FUZZ_FACTOR;
  if (given === undefined || given === '') return process.env.CI ? 2 : 1;
  const factor = Number(given);
  // a typo must not turn every property into NaN runs
  if (!(factor > 0)) throw new Error(`LEADGATE_FUZZ_FACTOR must be a positive number, not ${given}`);
  return factor;
}

const FACTOR = factorFromEnvironment();

/** fast-check parameters: this run's seed, and `numRuns` scaled for CI. */
export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FACTOR)) };
}
