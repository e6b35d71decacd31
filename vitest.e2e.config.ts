import { defineConfig } from 'vitest/config'

// `npm run test:e2e`: suites that need more than Node and the npm packages (Python
// interop, the PWA in Chromium). Each file brings what it needs (a build, a browser);
// the one shared piece is the test PostgreSQL the browser suites' API runs on.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['tests/support/global_setup.ts'],
    pool: 'forks',
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/e2e.json' }]] : ['default'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
})
