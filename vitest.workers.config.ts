import { defineConfig } from 'vitest/config';

/**
 * `npm run test:workers`: the Worker built by wrangler and run on workerd (wrangler dev). Kept out
 * of `npm test` because each file builds the Worker and starts workerd; files run one at a time
 * since both regenerate src/entry/generated/rule-files.js.
 */
export default defineConfig({
  test: {
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
