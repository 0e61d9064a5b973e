import { defineConfig } from 'vitest/config';

// Three projects mirror test/: pure unit tests, integration tests against the real
// local stack (started once per run by the global setup, reused if already up),
// and offline infra checks (CDK template assertions, cdk-nag, cfn-lint).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
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
