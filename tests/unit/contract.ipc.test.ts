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
import { registerIpcHandlers, trustedSenderCheck } from '../../electron/main/ipc'
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

const rendererUrl = 'file:///opt/app/resources/app.asar/out/renderer/index.html'
const ownFrame = { url: rendererUrl, parent: null }

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
    isTrustedSender: trustedSenderCheck(rendererUrl),
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
    // The key is on disk, owner-only, and nowhere the renderer saw.
    const file = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as {
      central: { key: string }
    }
    expect(file.central.key).toMatch(/^Y2VudHJhbC1n/)
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
    const frames = [
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///tmp/other.html', parent: null },
      { url: rendererUrl, parent: { url: rendererUrl } }, // an iframe inside our page
      null, // a destroyed frame
    ]
    for (const frame of frames) {
      const api = buildRendererApi(pair.renderer(frame))
      expectError(
        await api.sessionDisconnect(),
        'bad-request',
        /did not come from the app's window/,
      )
      expectError(await api.settingsGet(), 'bad-request', /did not come from the app's window/)
    }
    expect(session.calls).not.toContain('disconnect')
  })

  it('accepts the dev server origin when running under electron-vite dev', () => {
    const check = trustedSenderCheck('http://localhost:5173/')
    expect(check({ url: 'http://localhost:5173/index.html', parent: null })).toBe(true)
    expect(check({ url: 'http://localhost:5174/', parent: null })).toBe(false)
    expect(check({ url: 'not a url', parent: null })).toBe(false)
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
    for (let i = 0; i < 20; i++) {
      session.sendTelemetry(250)
      await new Promise((r) => setTimeout(r, 2))
    }
    await until(() => ev.got['telemetry:added'].flat().length === 5000)
    const seqs = ev.got['telemetry:added'].flat().map((s) => s.seq)
    expect(seqs).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
    expect(ev.got['telemetry:added'].length).toBeLessThan(40)
    await until(() => ev.got['session:changed'].at(-1)?.counters.sent === 5000)
    expect(ev.got['session:changed'].length).toBeLessThan(40)
    ev.off()
  })
})
