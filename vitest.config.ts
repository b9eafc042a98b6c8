import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^squall$/, replacement: src('index.ts') },
      { find: /^squall\/testing$/, replacement: src('testing.ts') },
      { find: /^squall\/internal$/, replacement: src('internal.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes; two cores do not gain from running many at once.
    maxWorkers: 2,
  },
});
