import { defineConfig } from 'vitest/config';

// Three projects mirror test/: pure unit tests, integration tests against the real
// local stack (started once per run by the global setup, reused if already up),
// and offline infra checks (CDK template assertions, cdk-nag, cfn-lint).
export default defineConfig({
  test: {
    // The integration global setup stops the servers it started (SIGTERM, SIGKILL after
    // 20 s); vitest's default 10 s teardown budget would kill it half-way on a loaded
    // machine and leave OpenSearch or moto running after `npm test`.
    teardownTimeout: 90_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // sums the fault schedules the properties ran into one summary line
          globalSetup: ['test/support/fault-stats-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/stack-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          // 2-core machines: integration files share one Kafka/OpenSearch/moto.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
