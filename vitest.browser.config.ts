import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the example page (examples/web) driven in headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core). Its own configuration, so that `npm test` never
 * needs a browser; on the same AWS emulator set-up as the end-to-end tests.
 */
export default defineConfig({
  test: {
    name: 'browser',
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // What the page shows follows its API calls: on a loaded machine they take seconds, not the default 1 s.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    reporters: ['default'],
  },
});
