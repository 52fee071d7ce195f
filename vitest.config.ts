import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    // SwiftShader is a CPU driver on a 2-core machine: one test file at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
