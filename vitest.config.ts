import { defineConfig } from 'vitest/config'

/** Root tests: DocType validation (test/doctype) and browser tests (test/e2e). */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/e2e/global-setup.ts'],
  },
})
