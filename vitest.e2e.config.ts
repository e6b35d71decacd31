import { defineConfig } from 'vitest/config'

// `npm run test:e2e`: suites that need more than Node and the npm packages (Python
// interop today, browsers later). Each file brings what it needs; there is no
// shared global setup, so one suite's requirements never block another's.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    exclude: ['node_modules/**'],
    pool: 'forks',
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/e2e.json' }]] : ['default'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
