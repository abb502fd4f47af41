import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Plugins and examples import the package by name; in tests that is the source itself.
    alias: [
      {
        find: /^nullspace-cl$/,
        replacement: fileURLToPath(new URL('src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ is built once, before any test runs the compiled package.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps a global engine per process; isolating files in forks keeps backends apart.
    pool: 'forks',
  },
});
