import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test'
import { repoRoot } from './helpers'
import { controlUrlFromHint, deviceScenario } from './scenario'

// The same scenario in the Electron shell. Where Electron's binary is not installed (offline
// build machines, CI without network) this test reports itself skipped, with the reason.

/**
 * Where `require('electron')` would point, without requiring it: in electron ≥ 39 requiring the
 * package tries to download a missing binary, which must not happen in a test.
 */
function electronBinary(): { path: string | null; reason: string } {
  const pkgDir = path.join(repoRoot, 'node_modules', 'electron')
  if (process.env['ELECTRON_OVERRIDE_DIST_PATH']) {
    const p = path.join(process.env['ELECTRON_OVERRIDE_DIST_PATH'], 'electron')
    return existsSync(p)
      ? { path: p, reason: '' }
      : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH has no binary at ${p}` }
  }
  const pathFile = path.join(pkgDir, 'path.txt')
  if (!existsSync(pathFile))
    return {
      path: null,
      reason: `Electron binary not installed (${pathFile} missing: its download did not run or could not)`,
    }
  const bin = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  if (!existsSync(bin))
    return { path: null, reason: `Electron binary not installed (${bin} does not exist)` }
  return { path: bin, reason: '' }
}

const binary = electronBinary()
if (!binary.path) console.log(`Electron e2e skipped: ${binary.reason}`)

test.describe('Electron shell', () => {
  test.skip(binary.path === null, binary.reason)

  let app: ElectronApplication | null = null
  let dataDir = ''

  test.afterEach(async () => {
    await app?.close()
    app = null
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  test('connects, toggles telemetry, fails over and back, shows commands and desired edits', async () => {
    const main = path.join(repoRoot, 'out/main/index.js')
    expect(existsSync(main), 'run npm run build first').toBe(true)
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-e2e-electron-'))
    app = await electron.launch({
      executablePath: binary.path!,
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
