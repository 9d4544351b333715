import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'stream-client/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers and Redis-backed workers; parallel files on 2 cores starve each other.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
