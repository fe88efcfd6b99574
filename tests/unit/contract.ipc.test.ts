import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  apiName,
  eventChannels,
  invokeChannels,
  onName,
  type InvokeChannel,
} from '../../shared/contract'
import { AppCore } from '../../electron/core/index'
import {
  registerIpcHandlers,
  windowSenderCheck,
  type InvokeEventLike,
  type SenderContentsLike,
} from '../../electron/main/ipc'
import { buildRendererApi } from '../../electron/preload/api'
import { IpcPair } from './app/ipc-pair'
import { fakeDeps, testModel } from './app/fakes'
import {
  exerciseBadInput,
  exerciseEveryChannel,
  expectError,
  recordEvents,
  until,
  value,
} from './app/contract-scenario'

// The Electron shell's wiring — main's ipcMain.handle registrations and the preload's API —
// with Electron's ipc modules stood in by an in-process pair.

// What Chromium reports for a page under C:\Users\JANEDO~1: not the text Node's pathToFileURL
// would build (it escapes ~ and keeps the drive letter's case). Identity, not text, decides.
const rendererUrl =
  'file:///C:/Users/JANEDO~1/AppData/Local/Programs/app/resources/app.asar/out/renderer/index.html'
const mainFrame = { url: rendererUrl, parent: null, processId: 4, routingId: 1 }
const windowContents: SenderContentsLike = { id: 7, mainFrame }
const ownFrame: InvokeEventLike = { sender: windowContents, senderFrame: mainFrame }

let dataDir: string
let core: AppCore
let deps: ReturnType<typeof fakeDeps>
let pair: IpcPair
let unregister: () => void

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-ipc-'))
  deps = fakeDeps()
  core = new AppCore({
    dataDir,
    shell: 'electron',
    version: '1.2.3',
    model: await testModel(),
    deps,
    batch: { intervalMs: 20 },
  })
  pair = new IpcPair()
  unregister = registerIpcHandlers(pair.main, {
    invoke: (channel, request) => core.invoke(channel, request),
    isTrustedSender: windowSenderCheck(() => windowContents),
  })
  core.onEvent((event, payload) => pair.send(event, payload))
  await core.start()
})

afterEach(async () => {
  unregister()
  await core.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('Electron IPC wiring', () => {
  it('registers exactly one handler per contract channel', () => {
    expect([...pair.handlers.keys()].sort()).toEqual(Object.keys(invokeChannels).sort())
  })

  it('exposes one named function per channel and one subscription per event, nothing else', () => {
    const api = buildRendererApi(pair.renderer(ownFrame))
    const expected = [
      ...(Object.keys(invokeChannels) as InvokeChannel[]).map(apiName),
      ...eventChannels.map(onName),
    ].sort()
    expect(Object.keys(api).sort()).toEqual(expected)
    for (const fn of Object.values(api)) expect(typeof fn).toBe('function')
    expect(Object.keys(api)).not.toContain('invoke')
  })

  it('answers every channel through main and preload', async () => {
    const api = buildRendererApi(pair.renderer(ownFrame))
    await exerciseEveryChannel(
      api,
      () => deps.sessions,
      () => pair.received,
    )
    // The scenario ends by deleting the profile it saved: nothing of it lingers in the file.
    const file = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as {
      profiles: unknown[]
    }
    expect(file.profiles).toEqual([])
  })

  it('rejects bad input with a typed bad-request error', async () => {
    const api = buildRendererApi(pair.renderer(ownFrame))
    await exerciseBadInput(api, () => deps.sessions)
    // Two arguments where the contract has one.
    const raw = pair.renderer(ownFrame)
    expectError(
      (await raw.invoke(
        'session:setBehaviour',
        { name: 'telemetry', enabled: true },
        'extra',
      )) as never,
      'bad-request',
    )
    // A request where the channel takes none.
    expectError((await raw.invoke('session:connect', { surprise: true })) as never, 'bad-request')
  })

  it('refuses calls from a frame that is not our renderer', async () => {
    const session = deps.sessions[0]!
    const otherWindow: SenderContentsLike = {
      id: 8,
      mainFrame: { url: rendererUrl, parent: null, processId: 5, routingId: 1 },
    }
    const callers: InvokeEventLike[] = [
      // Another window, even one showing the very same page.
      { sender: otherWindow, senderFrame: otherWindow.mainFrame },
      // An iframe inside our page (same process, its own routing id).
      {
        sender: windowContents,
        senderFrame: { url: rendererUrl, parent: mainFrame, processId: 4, routingId: 2 },
      },
      // A top-level frame of our contents that is not its main frame any more.
      {
        sender: windowContents,
        senderFrame: { url: 'https://evil.example/', parent: null, processId: 9, routingId: 3 },
      },
      { sender: windowContents, senderFrame: null }, // a destroyed frame
    ]
    for (const caller of callers) {
      const api = buildRendererApi(pair.renderer(caller))
      expectError(
        await api.sessionDisconnect(),
        'bad-request',
        /did not come from the app's window/,
      )
      expectError(await api.settingsGet(), 'bad-request', /did not come from the app's window/)
    }
    expect(session.calls).not.toContain('disconnect')
  })

  it('refuses everything while there is no window', () => {
    const check = windowSenderCheck(() => null)
    expect(check(ownFrame)).toBe(false)
  })

  it('accepts the main frame whatever URL text it has (dev server, odd Windows paths)', () => {
    const check = windowSenderCheck(() => windowContents)
    for (const url of ['http://localhost:5173/', 'file:///c:/Users/Jane%20Doe/[x]/index.html'])
      expect(check({ sender: windowContents, senderFrame: { ...mainFrame, url } })).toBe(true)
  })

  it('subscriptions strip the IPC event and unsubscribe', async () => {
    const api = buildRendererApi(pair.renderer(ownFrame))
    const got: unknown[][] = []
    const off = api.onTimelineAdded((...args: unknown[]) => got.push(args))
    expect(pair.listenerCount('timeline:added')).toBe(1)
    value(await api.sessionDisconnect())
    await until(() => got.length > 0)
    expect(got[0]).toHaveLength(1)
    expect(got[0]![0]).toEqual(
      expect.arrayContaining([expect.objectContaining({ state: 'disconnected' })]),
    )
    off()
    off()
    expect(pair.listenerCount('timeline:added')).toBe(0)
  })

  it('an unregistered channel becomes an unavailable error, not a rejection', async () => {
    unregister()
    const api = buildRendererApi(pair.renderer(ownFrame))
    expectError(await api.appInfo(), 'unavailable', /No handler/)
  })

  it('batches a fast device: thousands of samples arrive in a handful of pushes', async () => {
    const api = buildRendererApi(pair.renderer(ownFrame))
    const ev = recordEvents(api)
    const session = deps.sessions[0]!
    // 2,000 in all: the batcher holds at most 4 × 500 samples between pushes (a runaway device
    // must not grow it without bound), so however late a push comes on a busy machine, none is
    // dropped here and every one must arrive.
    for (let i = 0; i < 20; i++) {
      session.sendTelemetry(100)
      await new Promise((r) => setTimeout(r, 2))
    }
    await until(() => ev.got['telemetry:added'].flat().length === 2000)
    const seqs = ev.got['telemetry:added'].flat().map((s) => s.seq)
    expect(seqs).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1))
    // Batched: never more than one push per burst of 100, whatever the timing.
    expect(ev.got['telemetry:added'].length).toBeLessThanOrEqual(20)
    await until(() => ev.got['session:changed'].at(-1)?.counters.sent === 2000)
    expect(ev.got['session:changed'].length).toBeLessThan(40)
    ev.off()
  })
})
