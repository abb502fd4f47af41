import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps a global engine per process; isolating files in forks keeps backends apart.
    pool: 'forks',
  },
});
