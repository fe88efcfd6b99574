import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { invokeChannels, type AppInfo, type Result } from '../../../shared/contract'
import { fx, until } from './electron-stub'

// The main process of a packaged app (app.isPackaged): no dev server whatever the environment
// says, no DevTools, and the "try it" command is the app itself.

vi.mock('electron', async () => {
  const stub = await import('./electron-stub')
  return stub.electronStub(stub.fx)
})

beforeAll(async () => {
  fx.isPackaged = true
  fx.dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotc-packaged-'))
  vi.stubEnv('IOTC_HA_DATA_DIR', fx.dataDir)
  vi.stubEnv('IOTC_HA_LAB_PORTS', 'ephemeral')
  // A packaged app must not load code from a URL someone put in its environment.
  vi.stubEnv('ELECTRON_RENDERER_URL', 'http://127.0.0.1:1/evil')
  await import('../../../electron/main/index')
  await until(
    () => fx.handlers.size === Object.keys(invokeChannels).length && fx.windows.length === 1,
    10_000,
  )
}, 30_000)

afterAll(async () => {
  const electron = await import('electron')
  electron.app.emit('before-quit', { preventDefault: () => {} })
  await until(
    () => (electron.app.quit as unknown as { mock: { calls: unknown[] } }).mock.calls.length > 0,
    15_000,
  ).catch(() => undefined)
  for (const c of fx.labChildren) c.kill('SIGKILL')
  vi.unstubAllEnvs()
  rmSync(fx.dataDir, { recursive: true, force: true })
})

describe('a packaged app', () => {
  it('loads its own renderer file, never ELECTRON_RENDERER_URL, and has no DevTools', () => {
    const win = fx.windows[0]!
    expect(win.loaded).toMatch(/renderer[/\\]index\.html$/)
    expect(win.options.webPreferences['devTools']).toBe(false)
    const labels = JSON.stringify(fx.menu)
    expect(labels).not.toContain('toggleDevTools')
    expect(labels).not.toContain('"reload"')
  })

  it('tells the user to run the app itself as lizard', async () => {
    const own = {
      sender: fx.windows[0]!.webContents,
      senderFrame: fx.windows[0]!.webContents.mainFrame,
    }
    await until(() => {
      const last = fx.windows[0]!.webContents.sent.filter(([c]) => c === 'app:changed').at(-1)
      return (last?.[1] as AppInfo | undefined)?.lab?.status === 'running'
    }, 30_000)
    const info = (await fx.handlers.get('app:info')!(own)) as Result<AppInfo>
    const hint = info.ok ? info.value.lab!.tryFailover : ''
    if (process.platform === 'win32') expect(hint).toMatch(/^curl\.exe /)
    else
      expect(hint).toBe(
        `"${process.execPath}" --lizard failover failover_js --url ${info.ok ? info.value.lab!.controlUrl : ''}`,
      )
  }, 40_000)
})
