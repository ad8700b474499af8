import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // built and run on workerd by `npm run test:workers` (vitest.workers.config.ts)
    exclude: [...configDefaults.exclude, 'test/workers/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // PGlite instances are large (hundreds of MB); two workers fit the 2-core machine.
    maxWorkers: 2,
  },
});
