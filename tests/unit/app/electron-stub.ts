import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { vi } from 'vitest'
import { testKeychain } from '../../support/keychain'

// The `electron` module stood in for the main process's tests (its binary is not installed
// everywhere). Everything behind it is real: the core, the engine, and the lab, which runs in a
// real child process where Electron would give it a utilityProcess.

export interface ElectronFixture {
  dataDir: string
  isPackaged: boolean
  windows: FakeWindow[]
  handlers: Map<string, (...a: unknown[]) => Promise<unknown>>
  /** The lab processes the shell started, newest last. */
  labChildren: ChildProcess[]
  menu: unknown[] | null
  clipboard: string[]
  opened: string[]
}

/** The one fixture of a test file: the stub reads it, the test sets and inspects it. */
export const fx: ElectronFixture = newFixture()

export function newFixture(): ElectronFixture {
  return {
    dataDir: '',
    isPackaged: false,
    windows: [],
    handlers: new Map(),
    labChildren: [],
    menu: null,
    clipboard: [],
    opened: [],
  }
}

export type FakeWindow = EventEmitter & {
  options: { icon?: string; webPreferences: Record<string, unknown> }
  loaded: string | null
  webContents: FakeWebContents
}

export type FakeWebContents = EventEmitter & {
  id: number
  mainFrame: { processId: number; routingId: number; parent: null; url: string }
  sent: [string, unknown][]
  openHandler: ((d: unknown) => unknown) | null
  getURL(): string
}

const repoRoot = path.resolve(import.meta.dirname, '../../..')

/** A module object to return from `vi.mock('electron', …)`. */
export function electronStub(fx: ElectronFixture) {
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => true),
    enableSandbox: vi.fn(),
    whenReady: () => Promise.resolve(),
    get isPackaged() {
      return fx.isPackaged
    },
    // What Electron reports when started as `electron out/main/index.js` (Playwright's
    // _electron.launch does this): the bundle's folder, not the repo root.
    getAppPath: () => path.join(repoRoot, 'out', 'main'),
    getPath: vi.fn(() => fx.dataDir),
    setPath: vi.fn(),
    getVersion: () => '0.1.0-test',
    quit: vi.fn(),
    exit: vi.fn(),
  })
  let nextId = 1
  class WebContents extends EventEmitter {
    id = nextId++
    mainFrame = { processId: 100 + this.id, routingId: 1, parent: null, url: '' }
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
    getURL() {
      return this.mainFrame.url
    }
  }
  class BrowserWindow extends EventEmitter {
    webContents = new WebContents()
    loaded: string | null = null
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super()
      fx.windows.push(this as unknown as FakeWindow)
      app.emit('web-contents-created', {}, this.webContents)
    }
    static getAllWindows() {
      return fx.windows
    }
    async loadFile(file: string) {
      this.loaded = file
      this.webContents.mainFrame.url = pathToFileURL(file).href
    }
    async loadURL(url: string) {
      this.loaded = url
      this.webContents.mainFrame.url = url
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
  // A utility process is Node in a child: a forked child speaking the same parentPort-like API.
  const utilityProcess = {
    fork(entry: string) {
      const child = fork(entry, [], {
        execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      })
      fx.labChildren.push(child)
      const emitter = Object.assign(new EventEmitter(), {
        postMessage: (m: unknown) => child.connected && child.send(m as object),
        kill: () => child.kill(),
      })
      child.on('message', (m) => emitter.emit('message', m))
      child.once('exit', (code) => emitter.emit('exit', code ?? 1))
      return emitter
    },
  }
  // A keychain stand-in that really encrypts, so a test can tell sealed from plain.
  const safeStorage = testKeychain()
  const electron = {
    app,
    BrowserWindow,
    ipcMain,
    utilityProcess,
    safeStorage,
    session: { defaultSession: ses },
    dialog: { showErrorBox: vi.fn() },
    Menu: {
      buildFromTemplate: (t: unknown[]) => t,
      setApplicationMenu: (m: unknown[]) => (fx.menu = m),
    },
    clipboard: { writeText: (t: string) => fx.clipboard.push(t) },
    shell: {
      openPath: async (p: string) => {
        fx.opened.push(p)
        return ''
      },
      openExternal: async (u: string) => void fx.opened.push(u),
    },
  }
  return { ...electron, default: electron }
}

export async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}
