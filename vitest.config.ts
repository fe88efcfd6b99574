import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.{ts,tsx}', 'tests/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start their own lab on ephemeral ports; two cores, so keep it modest.
    maxWorkers: 2,
    pool: 'forks',
  },
})
