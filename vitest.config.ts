import { defineConfig } from 'vitest/config';

/** Starts the AWS emulator (moto_server): only the projects whose tests call AWS get it. */
const EMULATOR = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: test files run two at a time against one emulator, each on its own table.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // `npm run test:unit` is `vitest run --project unit`; `npm test` runs them all.
    projects: [
      {
        extends: true,
        // In-process, no emulator. Capability folders may keep their unit tests beside their code.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'functions/**/*.test.ts'] },
      },
      {
        extends: true,
        // Adapters against the emulator.
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: EMULATOR },
      },
      {
        extends: true,
        // The synthesised template, cdk-nag, and the Lambda bundles: no emulator.
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'] },
      },
      {
        extends: true,
        // The whole API over HTTP, on the emulator.
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: EMULATOR },
      },
    ],
  },
});
