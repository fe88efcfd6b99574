import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  safeStorage,
  session,
  shell,
} from 'electron'
import pkg from '../../package.json'
import { main as lizardMain } from '../../lab/cli'
import { privateLabOptions } from '../../lab/index'
import type { LabOptions } from '../../lab/types'
import {
  AppCore,
  readModelFile,
  LogFile,
  Redactor,
  safeStorageBox,
  startLabProcess,
} from '../core/index'
import { realDeps } from '../core/engine'
import { labWorkerEntry } from '../core/lab-process'
import { registerIpcHandlers, windowSenderCheck } from './ipc'
import { utilityLabChild } from './lab-child'
import { appExecutable, lizardHint } from './lizard-hint'
import { menuTemplate } from './menu'
import { hardenSession, lockDownContents } from './security'

// The Electron shell: one window, one device. Everything the device does lives in AppCore; this
// file only owns the window, its security, the menu, the IPC wiring and the app's lifecycle.

const here = path.dirname(fileURLToPath(import.meta.url))
const homepage = pkg.homepage

// `<app> --lizard failover <id>`: a packaged app is its own lizard, for users without Node.
const lizardAt = process.argv.indexOf('--lizard')
if (lizardAt > 0) {
  lizardMain(process.argv.slice(lizardAt + 1)).then(
    (code) => app.exit(code),
    (err: unknown) => {
      process.stderr.write(`lizard: ${(err as Error).message}\n`)
      app.exit(1)
    },
  )
} else {
  runApp()
}

function runApp(): void {
  // The dev server only in development: a packaged app never loads code from a URL it is told.
  const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL']
  const preloadPath = path.join(here, '../preload/index.cjs')
  // The device model and the icon sit two levels above this bundle (out/main/index.js): the repo
  // root in development, the root of app.asar when packaged. Not app.getAppPath(): that is
  // out/main when Electron is started with the bundle's path, as Playwright's _electron does.
  const modelPath = path.join(here, '../../failover.json')
  const iconPath = path.join(here, '../../resources/icon.png')

  // Tests and power users: a separate data folder, and the embedded lab on free ports.
  if (process.env['IOTC_HA_DATA_DIR'])
    app.setPath('userData', path.resolve(process.env['IOTC_HA_DATA_DIR']))
  const labOverrides = (): Omit<LabOptions, 'log'> | undefined =>
    process.env['IOTC_HA_LAB_PORTS'] === 'ephemeral'
      ? privateLabOptions(path.join(app.getPath('userData'), 'lab'))
      : undefined

  let mainWindow: BrowserWindow | null = null
  let core: AppCore | null = null
  let quitting: 'no' | 'stopping' | 'done' = 'no'
  const redactor = new Redactor()
  const logFile = new LogFile(path.join(app.getPath('userData'), 'logs'), redactor)
  const log = (line: string) => console.log(`[app] ${line}`)

  // An exception nothing caught (an SDK bug on a later tick) must not end the app with a crash
  // dialog: it is recorded, shown, and the device session restarts from its on-disk outbox.
  process.on('uncaughtException', (err) => {
    if (core) void core.recoverFromFault(err, 'uncaught exception')
    else logFile.write(`fault before start: ${err.stack ?? String(err)}`)
  })
  process.on('unhandledRejection', (err) => {
    if (core) void core.recoverFromFault(err, 'unhandled rejection')
    else logFile.write(`fault before start: ${String(err)}`)
  })

  // Two instances would fight over one device id (the hub drops the older connection each time
  // the other connects), so the second one only focuses the first.
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
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
      logFile.write(`could not start: ${(err as Error).stack ?? String(err)}`)
      dialog.showErrorBox(
        'IoT Central HA device could not start',
        err instanceof Error ? err.message : String(err),
      )
      app.exit(1)
    })

  async function start(): Promise<void> {
    hardenSession(session.defaultSession, devServerUrl)
    app.on('web-contents-created', (_event, contents) => lockDownContents(contents))

    const builtIn = await readModelFile(modelPath)
    const spawnLab = utilityLabChild(labWorkerEntry(here).file)
    const executable = appExecutable(process.env, process.execPath)
    const c = new AppCore({
      dataDir: app.getPath('userData'),
      shell: 'electron',
      version: app.getVersion(),
      model: builtIn.model,
      modelFiles: builtIn.files,
      // The lab runs in a utility process: a lab fault never takes the window or the device down.
      deps: realDeps((options) =>
        startLabProcess(spawnLab, options, (line) => c.log(`[lab] ${line}`)),
      ),
      secretBox: safeStorageBox(safeStorage, process.platform),
      redactor,
      logFile,
      lab: labOverrides(),
      log,
      lizardPrefix: app.isPackaged ? `"${executable}" --lizard` : 'npx lizard',
      lizardHint: lizardHint({
        isPackaged: app.isPackaged,
        platform: process.platform,
        execPath: executable,
      }),
      openLogs: async () => {
        const problem = await shell.openPath(logFile.dir)
        if (problem) throw new Error(problem)
      },
    })
    core = c
    c.log(
      `starting ${app.getVersion()} (${app.isPackaged ? 'packaged' : 'development'}), data in ${app.getPath('userData')}`,
    )
    registerIpcHandlers(ipcMain, {
      invoke: (channel, request) => c.invoke(channel, request),
      isTrustedSender: windowSenderCheck(() => mainWindow?.webContents ?? null),
      log: (line) => c.log(line),
    })
    c.onEvent((event, payload) => {
      const wc = mainWindow?.webContents
      if (wc && !wc.isDestroyed()) wc.send(event, payload)
    })
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(process.platform, app.isPackaged, {
          homepage,
          openExternal: (url) => void shell.openExternal(url),
          openLogs: () => void shell.openPath(logFile.dir),
          copyDiagnostics: () => clipboard.writeText(c.diagnostics()),
        }),
      ),
    )

    createWindow()
    // The window shows at once; the lab and the device come up behind it and report as they go.
    await c.start()
    const lab = c.labHandle
    if (lab)
      c.log(`embedded lab: control ${lab.controlUrl}; try: ${c.appInfo().lab?.tryFailover ?? ''}`)

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
      icon: iconPath,
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
        devTools: !app.isPackaged,
      },
    })
    mainWindow = win
    win.once('ready-to-show', () => win.show())
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = null
    })
    win.webContents.on('render-process-gone', (_e, details) =>
      core?.log(`the window's renderer stopped: ${details.reason}`),
    )
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
      core?.log('shutdown took too long; exiting')
      app.exit(0)
    }, 10_000)
    core
      .stop()
      .catch((err: unknown) => core?.log(`shutdown: ${(err as Error).message}`))
      .finally(() => {
        clearTimeout(hardStop)
        quitting = 'done'
        app.quit()
      })
  })

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
}
