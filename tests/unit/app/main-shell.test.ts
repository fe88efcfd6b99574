import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { invokeChannels, type AppInfo, type Result } from '../../../shared/contract'
import type { SessionSnapshot } from '../../../shared/domain'
import type { PublicSettings } from '../../../shared/settings'
import { CONTENT_SECURITY_POLICY } from '../../../electron/main/security'
import { fx, until } from './electron-stub'

// electron/main/index.ts as Electron would run it, with the electron module stood in (its binary
// is not installed everywhere) and the REAL core, engine and lab behind it on free ports — the lab
// in a real child process, as Electron's utilityProcess would run it. Checks the window's
// security settings, the handlers, the event forwarding, the lab's isolation and the clean quit.

vi.mock('electron', async () => {
  const stub = await import('./electron-stub')
  return stub.electronStub(stub.fx)
})

const electron = await import('electron')
const win = () => fx.windows[0]!
/** A call as our window's own main frame makes it. */
const own = () => ({ sender: win().webContents, senderFrame: win().webContents.mainFrame })
const call = async <T>(channel: string, request?: unknown): Promise<Result<T>> =>
  (await fx.handlers.get(channel)!(own(), ...(request === undefined ? [] : [request]))) as Result<T>
const info = async () => {
  const r = await call<AppInfo>('app:info')
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}
const sentOf = (channel: string) =>
  win()
    .webContents.sent.filter(([c]) => c === channel)
    .map(([, p]) => p)

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
  for (const c of fx.labChildren) c.kill('SIGKILL')
  rmSync(fx.dataDir, { recursive: true, force: true })
})

describe('Electron main process (electron stood in, real engine and lab)', () => {
  it('takes the single-instance lock and turns the renderer sandbox on for every window', () => {
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled()
    expect(electron.app.enableSandbox).toHaveBeenCalled()
  })

  it('opens one window with context isolation, sandbox, no Node, and the app icon', () => {
    const w = win()
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      devTools: true, // development; a packaged app has none (main-packaged.test.ts)
    })
    expect(String(w.options.webPreferences['preload'])).toMatch(/preload[/\\]index\.cjs$/)
    expect(w.loaded).toMatch(/renderer[/\\]index\.html$/)
    expect(w.options.icon).toMatch(/resources[/\\]icon\.png$/)
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
    const wc = win().webContents
    const away = { preventDefault: vi.fn() }
    wc.emit('will-navigate', away, 'https://evil.example/')
    expect(away.preventDefault).toHaveBeenCalled()
    const reload = { preventDefault: vi.fn() }
    wc.emit('will-navigate', reload, wc.getURL())
    expect(reload.preventDefault).not.toHaveBeenCalled()
    expect(wc.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    const webview = { preventDefault: vi.fn() }
    wc.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
  })

  it('answers its window by identity, refuses other frames and bad input', async () => {
    expect((await call<SessionSnapshot>('session:snapshot')).ok).toBe(true)
    // The same window's frame, whatever URL text Chromium reports (a short Windows path here).
    const oddUrl = {
      sender: win().webContents,
      senderFrame: {
        ...win().webContents.mainFrame,
        url: 'file:///C:/Users/JANEDO~1/AppData/Local/app/resources/app.asar/out/renderer/index.html',
      },
    }
    expect(((await fx.handlers.get('session:snapshot')!(oddUrl)) as Result<unknown>).ok).toBe(true)
    const refused = (await fx.handlers.get('session:disconnect')!({
      sender: win().webContents,
      senderFrame: { url: win().webContents.getURL(), parent: null, processId: 1, routingId: 9 },
    })) as Result<null>
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    const bad = await call('session:setBehaviour', { name: 'nope', enabled: true })
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it('connects the lab device and forwards engine events to the window', async () => {
    await until(
      () =>
        sentOf('session:changed').some((p) => (p as SessionSnapshot).state.kind === 'connected'),
      30_000,
    )
    expect(sentOf('timeline:added').length).toBeGreaterThan(0)
    expect(await info()).toMatchObject({
      shell: 'electron',
      canOpenLogs: true,
      lab: {
        status: 'running',
        tryFailover: expect.stringMatching(/^npx lizard failover failover_js --url http:/),
      },
    })
  }, 40_000)

  it('keeps saved keys sealed by the keychain and says so', async () => {
    const settings = await call<PublicSettings>('settings:get')
    expect(settings).toMatchObject({
      ok: true,
      value: { secretStorage: { encrypted: true, notice: null } },
    })
  })

  it('a menu without DevTools surprises: Help opens the logs and copies diagnostics', async () => {
    const help = (
      fx.menu as { role?: string; submenu?: { label?: string; click?: () => void }[] }[]
    ).find((m) => m.role === 'help')!
    const item = (label: string) => help.submenu!.find((i) => i.label === label)!
    item('Open Logs Folder').click!()
    expect(fx.opened.at(-1)).toBe(path.join(fx.dataDir, 'logs'))
    item('Copy Diagnostics').click!()
    expect(fx.clipboard.at(-1)).toMatch(/diagnostics[\s\S]*failover_js/)
    // The log file has the lab's address and the device's connection changes.
    const log = readFileSync(path.join(fx.dataDir, 'logs', 'app.log'), 'utf8')
    expect(log).toMatch(/embedded lab: control http:\/\/127\.0\.0\.1:\d+/)
    expect(log).toMatch(/\[device\] connected/)
  })

  it('a lab process that dies leaves the app and its window running, and can be restarted', async () => {
    const before = await info()
    const child = fx.labChildren.at(-1)!
    child.kill('SIGKILL')
    await until(
      () => sentOf('app:changed').some((p) => (p as AppInfo).lab?.status === 'stopped'),
      15_000,
    )
    const stopped = await info()
    expect(stopped.lab).toMatchObject({
      status: 'stopped',
      stoppedReason: expect.stringMatching(/^the lab process exited with code \d+/),
    })
    // The device is still there, and says its lab is gone.
    expect((await call<SessionSnapshot>('session:snapshot')).ok).toBe(true)
    const mark = sentOf('session:changed').length
    const restarted = await call<AppInfo>('lab:restart')
    expect(restarted).toMatchObject({ ok: true, value: { lab: { status: 'running' } } })
    // Back on the same ports, so the device's settings hold and it reconnects by itself.
    expect(restarted.ok && restarted.value.lab!.controlUrl).toBe(before.lab!.controlUrl)
    await until(
      () =>
        sentOf('session:changed')
          .slice(mark)
          .some((p) => (p as SessionSnapshot).state.kind === 'connected'),
      30_000,
    )
  }, 60_000)

  it('disconnects cleanly on quit, stops the lab, then quits', async () => {
    const controlUrl = (await info()).lab!.controlUrl!
    expect((await fetch(`${controlUrl}/health`)).ok).toBe(true)
    const ev = { preventDefault: vi.fn() }
    electron.app.emit('before-quit', ev)
    expect(ev.preventDefault).toHaveBeenCalled()
    expect(electron.app.quit).not.toHaveBeenCalled()
    await until(
      () => (electron.app.quit as unknown as { mock: { calls: unknown[] } }).mock.calls.length > 0,
      15_000,
    )
    // The device left the hub before the lab went down.
    const log = readFileSync(path.join(fx.dataDir, 'logs', 'app.log'), 'utf8')
    expect(log).toMatch(/failover_js disconnected/)
    await expect(fetch(`${controlUrl}/health`)).rejects.toThrow()
    expect(fx.labChildren.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true)
    // The second before-quit (from app.quit) goes through.
    const again = { preventDefault: vi.fn() }
    electron.app.emit('before-quit', again)
    expect(again.preventDefault).not.toHaveBeenCalled()
    // Nothing secret reached the log folder.
    const logs = readdirSync(path.join(fx.dataDir, 'logs'))
      .map((f) => readFileSync(path.join(fx.dataDir, 'logs', f), 'utf8'))
      .join('\n')
    expect(logs).not.toMatch(/sig=(?!\[redacted\])|SharedAccessSignature (?!\[redacted\])/)
  }, 20_000)
})
