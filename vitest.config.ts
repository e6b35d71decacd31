import { defineConfig } from 'vitest/config'

// `npm test`: everything that needs only Node and the npm packages. Browser and
// Python interop suites live in vitest.e2e.config.ts (`npm run test:e2e`).
export default defineConfig({
  test: {
    include: ['api/**/*.test.ts', 'e2ee/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['node_modules/**', 'tests/e2e/**', 'pwa/**', 'edge-deno/**'],
    globalSetup: ['tests/support/global_setup.ts'],
    pool: 'forks',
    // CI keeps a machine-readable result for .ci/summarize.mjs.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/unit.json' }]] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
})
