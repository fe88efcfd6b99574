import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test'
import { ensureElectron } from '../../scripts/lib/electron-binary.mjs'
import { repoRoot } from './helpers'
import { controlUrlFromHint, deviceScenario } from './scenario'

// The same scenario in the Electron shell. Where Electron's binary is missing, it is downloaded
// first (bounded in time, as `npm start` does); where that cannot happen (no network, no display)
// the test reports itself skipped with the reason, unless REQUIRE_ELECTRON_E2E=1 (CI where
// Electron runs), which turns the skip into a failure.

const required = process.env['REQUIRE_ELECTRON_E2E'] === '1'

function findElectron(): { path: string | null; reason: string } {
  // Playwright loads this file in its runner and again in the worker it starts later, which
  // inherits this environment: one download attempt per run.
  const memo = process.env['IOTC_E2E_ELECTRON']
  if (memo) return JSON.parse(memo) as { path: string | null; reason: string }
  const found = ensureElectron({
    purpose: 'e2e',
    say: (line) => console.log(line),
    timeoutMs: 5 * 60_000,
    connectTimeoutMs: 15_000,
  })
  const result = { path: found.binary, reason: found.reason ?? '' }
  process.env['IOTC_E2E_ELECTRON'] = JSON.stringify(result)
  return result
}

const binary = findElectron()

test.describe('Electron shell', () => {
  test.skip(binary.path === null && !required, `Electron e2e skipped: ${binary.reason}`)

  let app: ElectronApplication | null = null
  let dataDir = ''

  test.afterEach(async () => {
    await app?.close()
    app = null
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  test('connects, toggles telemetry, fails over and back, shows commands and desired edits', async () => {
    if (!binary.path)
      throw new Error(`REQUIRE_ELECTRON_E2E=1, but Electron cannot run: ${binary.reason}`)
    const main = path.join(repoRoot, 'out/main/index.js')
    expect(existsSync(main), 'run npm run build first').toBe(true)
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-electron-'))
    app = await electron.launch({
      executablePath: binary.path,
      // Chromium's OS sandbox refuses to run as root (CI containers); the renderer sandbox stays on.
      args: [main, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      cwd: repoRoot,
      env: { ...process.env, IOTC_HA_DATA_DIR: dataDir, IOTC_HA_LAB_PORTS: 'ephemeral' } as Record<
        string,
        string
      >,
    })
    const page = await app.firstWindow()
    await page.setViewportSize({ width: 1360, height: 900 }).catch(() => undefined)

    // The shell's security settings, as the renderer sees them.
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
      'undefined',
    )
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
      'undefined',
    )
    const exposed = await page.evaluate(() =>
      Object.keys((globalThis as unknown as { api: object }).api).sort(),
    )
    expect(exposed).toContain('sessionSetBehaviour')
    expect(exposed).not.toContain('invoke')

    const controlUrl = await controlUrlFromHint(page, null)
    await deviceScenario(page, { controlUrl, deviceId: 'failover_js', prefix: 'electron-' })
  })
})
