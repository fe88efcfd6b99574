import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron'
import { AppCore, loadModel } from '../core/index'
import { realDeps } from '../core/engine'
import { privateLabOptions } from '../../lab/index'
import type { LabOptions } from '../../lab/types'
import { registerIpcHandlers, trustedSenderCheck } from './ipc'
import { hardenSession, lockDownContents } from './security'

// The Electron shell: one window, one device. Everything the device does lives in AppCore; this
// file only owns the window, its security, the IPC wiring and the app's lifecycle.

const here = path.dirname(fileURLToPath(import.meta.url))
const devServerUrl = process.env['ELECTRON_RENDERER_URL']
const rendererUrl = devServerUrl ?? pathToFileURL(path.join(here, '../renderer/index.html')).href
const preloadPath = path.join(here, '../preload/index.cjs')
// The device model sits two levels above this bundle (out/main/index.js): the repo root in
// development, the root of app.asar when packaged (electron-builder.yml ships it there). Not
// app.getAppPath(): that is out/main when Electron is started with the bundle's path, as
// `electron out/main/index.js` and Playwright's _electron.launch do.
const modelPath = path.join(here, '../../failover.json')

// Tests and power users: a separate data folder, and the embedded lab on free ports.
if (process.env['IOTC_HA_DATA_DIR'])
  app.setPath('userData', path.resolve(process.env['IOTC_HA_DATA_DIR']))
const labOverrides = (): LabOptions | undefined =>
  process.env['IOTC_HA_LAB_PORTS'] === 'ephemeral'
    ? privateLabOptions(path.join(app.getPath('userData'), 'lab'))
    : undefined

let mainWindow: BrowserWindow | null = null
let core: AppCore | null = null
let quitting: 'no' | 'stopping' | 'done' = 'no'

function log(line: string): void {
  console.log(`[app] ${line}`)
}

// Two instances would fight over one device id (the hub drops the older connection each time
// the other connects), so the second one only focuses the first.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.enableSandbox()
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      console.error('could not start:', err)
      dialog.showErrorBox(
        'IoT Central HA device could not start',
        err instanceof Error ? err.message : String(err),
      )
      app.exit(1)
    })
}

const isTrustedSender = trustedSenderCheck(rendererUrl)
const isOwnUrl = (url: string): boolean => isTrustedSender({ url, parent: null })

async function start(): Promise<void> {
  hardenSession(session.defaultSession, devServerUrl)
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, isOwnUrl))

  const model = await loadModel(modelPath)
  core = new AppCore({
    dataDir: app.getPath('userData'),
    shell: 'electron',
    version: app.getVersion(),
    model,
    deps: realDeps,
    lab: labOverrides(),
    log,
  })
  const c = core
  registerIpcHandlers(ipcMain, {
    invoke: (channel, request) => c.invoke(channel, request),
    isTrustedSender,
    log,
  })
  c.onEvent((event, payload) => {
    const wc = mainWindow?.webContents
    if (wc && !wc.isDestroyed()) wc.send(event, payload)
  })

  createWindow()
  // The window shows at once; the lab and the device come up behind it and report as they go.
  await c.start()
  const lab = c.labHandle
  if (lab)
    log(`embedded lab: control ${lab.controlUrl}; try: ${c.appInfo().lab?.tryFailover ?? ''}`)

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1320,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'IoT Central HA device',
    backgroundColor: '#f6f7f9',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  mainWindow = win
  win.once('ready-to-show', () => win.show())
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null
  })
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(path.join(here, '../renderer/index.html'))
}

// Clean disconnect on quit: flush what can be flushed, close MQTT, stop the lab, then exit.
app.on('before-quit', (event) => {
  if (quitting === 'done' || !core) return
  event.preventDefault()
  if (quitting === 'stopping') return
  quitting = 'stopping'
  const hardStop = setTimeout(() => {
    log('shutdown took too long; exiting')
    app.exit(0)
  }, 10_000)
  core
    .stop()
    .catch((err: unknown) => log(`shutdown: ${(err as Error).message}`))
    .finally(() => {
      clearTimeout(hardStop)
      quitting = 'done'
      app.quit()
    })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
