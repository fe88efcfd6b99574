import { existsSync } from 'node:fs'
import { defineConfig } from '@playwright/test'

// The web shell's tests use CHROMIUM_PATH, else Debian's Chromium (apt-get install chromium) where
// it is installed (Playwright cannot download browsers on every machine), else Playwright's own
// (npx playwright install chromium: what CI does on Windows and macOS). The Electron test fetches
// Electron's binary if it can, and skips itself, saying why, where it cannot.
const chromium =
  process.env['CHROMIUM_PATH'] ??
  (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined)

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-output/playwright',
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env['CI'],
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1360, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'web', testMatch: /web(-[a-z-]+)?\.spec\.ts$/, use: { browserName: 'chromium' } },
    { name: 'electron', testMatch: /electron\.spec\.ts$/ },
  ],
})
