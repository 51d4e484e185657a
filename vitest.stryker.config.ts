import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The tests Stryker runs against each mutant (`npm run mutation`): the in-process folders only.
 * The chaos, simulation and infra suites take minutes, mostly in child processes and CDK synths,
 * where a mutant is never active anyway.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/security/**/*.test.ts',
    ],
  },
});
