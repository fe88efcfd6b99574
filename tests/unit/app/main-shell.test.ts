import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { invokeChannels, type Result } from '../../../shared/contract'
import type { SessionSnapshot } from '../../../shared/domain'
import { CONTENT_SECURITY_POLICY } from '../../../electron/main/security'

// electron/main/index.ts as Electron would run it, with the electron module stood in (its binary
// is not installed everywhere) and the REAL core, engine and lab behind it on free ports. Checks
// the window's security settings, the handlers, the event forwarding and the clean quit.

const fx = vi.hoisted(() => ({
  dataDir: '',
  windows: [] as unknown[],
  handlers: new Map<string, (...a: unknown[]) => Promise<unknown>>(),
}))

vi.mock('electron', async () => {
  const { EventEmitter: EE } = await import('node:events')
  const path = await import('node:path')
  const repoRoot = path.resolve(import.meta.dirname, '../../..')
  const app = Object.assign(new EE(), {
    requestSingleInstanceLock: vi.fn(() => true),
    enableSandbox: vi.fn(),
    whenReady: () => Promise.resolve(),
    // What Electron reports when started as `electron out/main/index.js` (Playwright's
    // _electron.launch does this): the bundle's folder, not the repo root.
    getAppPath: () => path.join(repoRoot, 'out', 'main'),
    getPath: vi.fn(() => fx.dataDir),
    setPath: vi.fn(),
    getVersion: () => '0.1.0-test',
    quit: vi.fn(),
    exit: vi.fn(),
  })
  class WebContents extends EE {
    sent: [string, unknown][] = []
    openHandler: ((d: unknown) => unknown) | null = null
    send(channel: string, payload: unknown) {
      this.sent.push([channel, structuredClone(payload)])
    }
    isDestroyed() {
      return false
    }
    setWindowOpenHandler(h: (d: unknown) => unknown) {
      this.openHandler = h
    }
  }
  class BrowserWindow extends EE {
    webContents = new WebContents()
    loaded: string | null = null
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super()
      fx.windows.push(this)
      app.emit('web-contents-created', {}, this.webContents)
    }
    static getAllWindows() {
      return fx.windows
    }
    async loadFile(file: string) {
      this.loaded = file
    }
    async loadURL(url: string) {
      this.loaded = url
    }
    show() {}
    isMinimized() {
      return false
    }
    restore() {}
    focus() {}
  }
  const ses = {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
    webRequest: { onHeadersReceived: vi.fn() },
  }
  const ipcMain = {
    handle: vi.fn((channel: string, h: (...a: unknown[]) => Promise<unknown>) =>
      fx.handlers.set(channel, h),
    ),
    removeHandler: vi.fn(),
  }
  const electron = {
    app,
    BrowserWindow,
    ipcMain,
    session: { defaultSession: ses },
    dialog: { showErrorBox: vi.fn() },
  }
  return { ...electron, default: electron }
})

type FakeWindow = EventEmitter & {
  options: { webPreferences: Record<string, unknown> }
  loaded: string | null
  webContents: EventEmitter & {
    sent: [string, unknown][]
    openHandler: ((d: unknown) => unknown) | null
  }
}

const electron = await import('electron')
const rendererUrl = pathToFileURL(
  path.resolve(import.meta.dirname, '../../../electron/renderer/index.html'),
).href
const own = { senderFrame: { url: rendererUrl, parent: null } }

async function until(cond: () => boolean, ms: number) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

beforeAll(async () => {
  fx.dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotc-main-'))
  vi.stubEnv('IOTC_HA_DATA_DIR', fx.dataDir)
  vi.stubEnv('IOTC_HA_LAB_PORTS', 'ephemeral')
  await import('../../../electron/main/index')
  await until(
    () => fx.handlers.size === Object.keys(invokeChannels).length && fx.windows.length === 1,
    10_000,
  )
}, 30_000)

afterAll(() => {
  vi.unstubAllEnvs()
  rmSync(fx.dataDir, { recursive: true, force: true })
})

describe('Electron main process (electron stood in, real engine and lab)', () => {
  it('takes the single-instance lock and turns the renderer sandbox on for every window', () => {
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled()
    expect(electron.app.enableSandbox).toHaveBeenCalled()
  })

  it('opens one window with context isolation, sandbox and no Node', () => {
    const win = fx.windows[0] as FakeWindow
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    })
    expect(String(win.options.webPreferences['preload'])).toMatch(/preload[/\\]index\.cjs$/)
    expect(win.loaded).toMatch(/renderer[/\\]index\.html$/)
  })

  it('denies every permission request', () => {
    const ses = electron.session.defaultSession as unknown as {
      setPermissionRequestHandler: {
        mock: { calls: [(wc: unknown, p: string, cb: (ok: boolean) => void) => void][] }
      }
    }
    const handler = ses.setPermissionRequestHandler.mock.calls[0]![0]
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn()
      handler({}, p, cb)
      expect(cb).toHaveBeenCalledWith(false)
    }
  })

  it("the built page's own CSP (all a file:// page gets) is the main process's policy", () => {
    // Chromium sends no response headers for file://, so the meta tag is what the packaged
    // renderer runs under: it must not allow more than the policy main declares (it once let
    // the page open WebSockets to any local port).
    const html = readFileSync(
      path.resolve(import.meta.dirname, '../../../renderer/index.html'),
      'utf8',
    )
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]
    const directives = (policy: string) =>
      policy
        .split(';')
        .map((d) => d.trim().replace(/\s+/g, ' '))
        .filter((d) => d && !d.startsWith('frame-ancestors')) // not allowed in a meta tag
        .sort()
    expect(meta).toBeDefined()
    expect(directives(meta!)).toEqual(directives(CONTENT_SECURITY_POLICY))
    expect(CONTENT_SECURITY_POLICY).toMatch(/connect-src 'self'(;|$)/)
  })

  it('blocks navigation away and new windows', () => {
    const wc = (fx.windows[0] as FakeWindow).webContents
    const away = { preventDefault: vi.fn() }
    wc.emit('will-navigate', away, 'https://evil.example/')
    expect(away.preventDefault).toHaveBeenCalled()
    const reload = { preventDefault: vi.fn() }
    wc.emit('will-navigate', reload, rendererUrl)
    expect(reload.preventDefault).not.toHaveBeenCalled()
    expect(wc.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    const webview = { preventDefault: vi.fn() }
    wc.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
  })

  it('answers the renderer, refuses other frames and bad input', async () => {
    const snap = (await fx.handlers.get('session:snapshot')!(own)) as Result<SessionSnapshot>
    expect(snap.ok).toBe(true)
    const refused = (await fx.handlers.get('session:disconnect')!({
      senderFrame: { url: 'https://evil.example/', parent: null },
    })) as Result<null>
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    const bad = (await fx.handlers.get('session:setBehaviour')!(own, {
      name: 'nope',
      enabled: true,
    })) as Result<unknown>
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it('connects the lab device and forwards engine events to the window', async () => {
    const wc = (fx.windows[0] as FakeWindow).webContents
    await until(
      () =>
        wc.sent.some(
          ([c, p]) => c === 'session:changed' && (p as SessionSnapshot).state.kind === 'connected',
        ),
      30_000,
    )
    expect(wc.sent.some(([c]) => c === 'timeline:added')).toBe(true)
    const info = (await fx.handlers.get('app:info')!(own)) as Result<{
      shell: string
      lab: { tryFailover: string }
    }>
    expect(info).toMatchObject({
      ok: true,
      value: {
        shell: 'electron',
        lab: { tryFailover: expect.stringContaining('npx lizard failover failover_js') },
      },
    })
  }, 40_000)

  it('disconnects cleanly on quit, stops the lab, then quits', async () => {
    const info = (await fx.handlers.get('app:info')!(own)) as Result<{
      lab: { controlUrl: string }
    }>
    const controlUrl = info.ok ? info.value.lab.controlUrl : ''
    expect((await fetch(`${controlUrl}/health`)).ok).toBe(true)
    const logs = vi.spyOn(console, 'log')
    const ev = { preventDefault: vi.fn() }
    electron.app.emit('before-quit', ev)
    expect(ev.preventDefault).toHaveBeenCalled()
    expect(electron.app.quit).not.toHaveBeenCalled()
    await until(
      () => (electron.app.quit as unknown as { mock: { calls: unknown[] } }).mock.calls.length > 0,
      15_000,
    )
    // The device left the hub before the lab went down.
    expect(logs.mock.calls.some((c) => /failover_js disconnected/.test(String(c[0])))).toBe(true)
    await expect(fetch(`${controlUrl}/health`)).rejects.toThrow()
    logs.mockRestore()
    // The second before-quit (from app.quit) goes through.
    const again = { preventDefault: vi.fn() }
    electron.app.emit('before-quit', again)
    expect(again.preventDefault).not.toHaveBeenCalled()
  }, 20_000)
})
