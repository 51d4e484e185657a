import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Credentials for the real AWS SDK; its endpoint is always a loopback emulator in tests.
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-only',
      POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorTest',
      POWERTOOLS_SERVICE_NAME: 'query-janitor',
    },
    coverage: {
      provider: 'v8',
      include: ['lib/**', 'functions/**', 'infra/**'],
    },
  },
});
