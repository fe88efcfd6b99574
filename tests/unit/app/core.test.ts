import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppCore, EventBatcher } from '../../../electron/core/index'
import type { AppInfo, EventChannel, Result } from '../../../shared/contract'
import type { SessionSnapshot } from '../../../shared/domain'
import type { PublicSettings } from '../../../shared/settings'
import { deriveDeviceKey } from '../../../electron/device/keys'
import { fakeDeps, FakeSession, testModel } from './fakes'
import { expectError, until, value } from './contract-scenario'

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'iotc-core-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

async function makeCore(
  deps = fakeDeps(),
  extra: Partial<ConstructorParameters<typeof AppCore>[0]> = {},
) {
  const core = new AppCore({
    dataDir,
    shell: 'web',
    version: '0',
    model: await testModel(),
    deps,
    ...extra,
  })
  return { core, deps }
}

const central = {
  idScope: '0ne00ABCDEF',
  keyKind: 'group' as const,
  key: 'Y2VudHJhbC1ncm91cC1rZXktMTIzNDU2Nzg5MA==',
  deviceId: 'dev-1',
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
  transport: 'mqtt' as const,
}

describe('AppCore', () => {
  it('starts the embedded lab and a connected lab device when nothing is saved', async () => {
    const { core, deps } = await makeCore()
    await core.start()
    expect(deps.labs).toHaveLength(1)
    expect(deps.labs[0]!.options.dataDir).toBeUndefined() // the lab's default folder, where lizard looks
    const s = deps.sessions[0]!
    expect(s.options).toMatchObject({
      deviceId: 'failover_js',
      provisioningHost: '127.0.0.1:18883',
      ca: 'FAKE CA',
      transport: 'mqtt',
    })
    expect(s.options.dataDir).toBe(
      path.join(dataDir, 'devices', 'lab', '0neLAB0001_hub-a-1_hub-b-2', 'failover_js'),
    )
    expect(s.calls).toEqual(['connect'])
    await core.stop()
    expect(s.closed).toBe(true)
    expect(deps.labs[0]!.stopped).toBe(true)
  })

  it('falls back to free ports when the default lab ports are taken', async () => {
    const deps = fakeDeps()
    const start = deps.startLab.bind(deps)
    let first = true
    deps.startLab = async (opts) => {
      if (first) {
        first = false
        throw Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8883'), {
          code: 'EADDRINUSE',
        })
      }
      return start(opts)
    }
    const { core } = await makeCore(deps)
    await core.start()
    expect(deps.labs[0]!.options).toMatchObject({
      dpsPort: 0,
      hubAPort: 0,
      hubBPort: 0,
      controlPort: 0,
    })
    await core.stop()
  })

  it('says plainly when the lab cannot start, and keeps answering', async () => {
    const deps = fakeDeps()
    deps.startLab = async () => {
      throw new Error('cannot write the CA')
    }
    const { core } = await makeCore(deps)
    await core.start()
    expectError(
      await core.invoke('session:snapshot', undefined),
      'unavailable',
      /embedded lab could not start: cannot write the CA/,
    )
    expect(value(await core.invoke('app:info', undefined))).toMatchObject({
      mode: 'lab',
      lab: {
        status: 'stopped',
        stoppedReason: expect.stringMatching(/cannot write the CA/),
      },
    })
    await core.stop()
  })

  it('starts in central mode from saved settings, with no lab', async () => {
    const { core: first } = await makeCore()
    await first.start()
    value(await first.invoke('settings:save', central))
    await first.stop()
    const st = await stat(path.join(dataDir, 'settings.json'))
    expect(st.mode & 0o077).toBe(0)

    const { core, deps } = await makeCore()
    await core.start()
    expect(deps.labs).toHaveLength(0)
    // The device connects with the key derived for it; the group key is not kept or used.
    expect(deps.sessions[0]!.options).toMatchObject({
      deviceKey: deriveDeviceKey(central.key, 'dev-1'),
      deviceId: 'dev-1',
    })
    expect(deps.sessions[0]!.options.groupKey).toBeUndefined()
    const profileId = (value(await core.invoke('settings:get', undefined)) as PublicSettings)
      .activeProfileId!
    const deviceKey = 'ZGV2aWNlLWtleS1mb3ItZGV2LTEtMTIzNDU2Nzg5MA=='
    value(
      await core.invoke('settings:save', {
        ...central,
        profileId,
        keyKind: 'device',
        key: deviceKey,
      }),
    )
    expect(deps.sessions[1]!.options).toMatchObject({ deviceKey })
    expect(deps.sessions[1]!.options.groupKey).toBeUndefined()
    await core.stop()
  })

  it('keeps a device folder per application: another scope or another lab starts clean', async () => {
    // The folder holds the home hub and the outbox. Shared between IoT Central applications, or
    // with a lab that came up on other ports, the device would call a hub it has never had its
    // "home", show FAILED OVER at home, count failbacks as failovers, and send one
    // application's queued telemetry to another.
    const deps = fakeDeps()
    const start = deps.startLab.bind(deps)
    let run = 0
    deps.startLab = async (opts) => {
      const lab = await start(opts)
      run++
      return {
        ...lab,
        hubs: {
          a: { host: `127.0.0.1:${run}1`, port: 1 },
          b: { host: `127.0.0.1:${run}2`, port: 2 },
        },
      }
    }
    const lines: string[] = []
    const { core } = await makeCore(deps, { log: (l) => lines.push(l) })
    await core.start()
    const profileId = (value(await core.invoke('settings:save', central)) as PublicSettings)
      .activeProfileId!
    value(
      await core.invoke('settings:save', {
        ...central,
        profileId,
        idScope: '0ne00OTHER1',
        key: '',
      }),
    )
    value(await core.invoke('settings:save', { ...central, profileId, key: '' }))
    value(await core.invoke('settings:useLab', undefined))
    const dirs = deps.sessions.map((s) => s.options.dataDir)
    expect(dirs[1]).not.toBe(dirs[2]) // same device id, another application
    expect(dirs[3]).toBe(dirs[1]) // the same application again: its outbox and home hub
    expect(dirs[4]).not.toBe(dirs[0]) // the lab restarted on other ports
    expect(new Set(dirs.map((d) => path.dirname(d))).size).toBe(4)
    // The terminal hears the restarted lab's address: the one printed at start may be dead.
    expect(lines.filter((l) => l.includes('[lab] started again'))).toEqual([
      expect.stringMatching(/control (\S+); try: npx lizard failover failover_js --url \1$/),
    ])
    await core.stop()
  })

  it('a settings change keeps the switches and periods the user set', async () => {
    const { core, deps } = await makeCore()
    await core.start()
    value(await core.invoke('session:setBehaviour', { name: 'telemetry', enabled: false }))
    value(await core.invoke('session:setPeriods', { telemetryMs: 500 }))
    value(await core.invoke('settings:save', central))
    expect(deps.sessions[1]!.options.behaviours).toMatchObject({
      telemetry: false,
      c2dCommands: true,
    })
    expect(deps.sessions[1]!.options.periods).toEqual({ telemetryMs: 500, reportedMs: 15000 })
    await core.stop()
  })

  it('a corrupt settings file means lab mode, not a crash', async () => {
    await writeFile(path.join(dataDir, 'settings.json'), '{ nope')
    const lines: string[] = []
    const { core, deps } = await makeCore(fakeDeps(), { log: (l) => lines.push(l) })
    await core.start()
    expect(deps.labs).toHaveLength(1)
    expect(lines.join('\n')).toMatch(/not JSON/)
    await core.stop()
  })

  it('settings changes are serialised: the last one wins, every old session is closed', async () => {
    const { core, deps } = await makeCore()
    await core.start()
    const results = await Promise.all([
      core.invoke('settings:save', central),
      core.invoke('settings:useLab', undefined),
      core.invoke('settings:save', { ...central, deviceId: 'dev-9' }),
    ])
    for (const r of results) value(r)
    expect(deps.sessions.slice(0, -1).every((s) => s.closed)).toBe(true)
    expect(deps.sessions.at(-1)!.options.deviceId).toBe('dev-9')
    const saved = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as {
      active: string
      profiles: { id: string; deviceId: string }[]
    }
    expect(saved.profiles.find((p) => p.id === saved.active)?.deviceId).toBe('dev-9')
    await core.stop()
  })

  it('engine exceptions become typed errors', async () => {
    const { core, deps } = await makeCore()
    await core.start()
    deps.sessions[0]!.setBehaviour = () => {
      throw Object.assign(new Error('hub refused'), { code: 'hub-refused' })
    }
    expectError(
      await core.invoke('session:setBehaviour', { name: 'telemetry', enabled: true }),
      'hub-refused',
      /hub refused/,
    )
    deps.sessions[0]!.reconnect = () => {
      throw new TypeError('boom')
    }
    expectError(await core.invoke('session:reconnect', undefined), 'internal', /boom/)
    await core.stop()
  })
})

describe('EventBatcher', () => {
  it('coalesces snapshots and reported statuses, keeps every list item in order', async () => {
    const sent: { event: EventChannel; payload: unknown }[] = []
    const b = new EventBatcher((event, payload) => sent.push({ event, payload }), {
      intervalMs: 30,
    })
    const s = new FakeSession({} as never)
    s.snapshot = () => ({ deviceId: 'x' }) as never
    b.attach(s)
    s.sendTelemetry(10)
    s.report({ battery: 1 }, 'queued', 1)
    s.report({ battery: 1 }, 'sent', 1)
    s.report({ battery: 1 }, 'acknowledged', 1)
    s.report({ battery: 2 }, 'queued', 2)
    await until(() => sent.some((m) => m.event === 'session:changed'))
    expect(sent.filter((m) => m.event === 'session:changed')).toHaveLength(1)
    expect(sent.filter((m) => m.event === 'telemetry:added')).toHaveLength(1)
    const reported = sent
      .filter((m) => m.event === 'reported:changed')
      .flatMap((m) => m.payload as { id: number; status: string }[])
    expect(reported.map((r) => [r.id, r.status])).toEqual([
      [1, 'acknowledged'],
      [2, 'queued'],
    ])
    // Detached sessions are not heard.
    b.attach(null)
    sent.length = 0
    s.sendTelemetry(5)
    await new Promise((r) => setTimeout(r, 60))
    expect(sent).toEqual([])
    b.close()
  })

  it('splits a huge backlog into bounded pushes', () => {
    const sent: unknown[][] = []
    const b = new EventBatcher((_e, p) => sent.push(p as unknown[]), {
      intervalMs: 1000,
      maxBatch: 100,
    })
    const s = new FakeSession({} as never)
    b.attach(s)
    for (let i = 0; i < 250; i++)
      s.emit('timeline', { id: i, at: 0, state: 'connected', reason: '' })
    b.flush()
    expect(sent.map((p) => p.length)).toEqual([100, 100, 50])
    b.close()
  })
})

describe('AppCore start-up', () => {
  it('calls made while the lab is still starting wait for it instead of failing', async () => {
    const deps = fakeDeps()
    const start = deps.startLab.bind(deps)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    deps.startLab = async (opts) => {
      await gate
      return start(opts)
    }
    const { core } = await makeCore(deps)
    const starting = core.start()
    const early = Promise.all([
      core.invoke('session:snapshot', undefined),
      core.invoke('app:info', undefined),
    ])
    await new Promise((r) => setTimeout(r, 20))
    release()
    const [snap, info] = await early
    expect(value(snap as Result<SessionSnapshot>).deviceId).toBe('failover_js')
    expect(value(info as Result<AppInfo>).lab?.controlUrl).toBe('http://127.0.0.1:18090')
    await starting
    await core.stop()
  })
})

describe('AppCore when things break', () => {
  it('a lab process that stops is shown with its reason and can be started again', async () => {
    const { core, deps } = await makeCore()
    const infos: AppInfo[] = []
    core.onEvent((event, payload) => event === 'app:changed' && infos.push(payload as AppInfo))
    await core.start()
    deps.labs[0]!.crash('the lab process exited with code 1')
    expect(infos.at(-1)!.lab).toMatchObject({
      status: 'stopped',
      stoppedReason: 'the lab process exited with code 1',
    })
    // The device is still there: its reconnection continues on its own.
    expect(deps.sessions[0]!.closed).toBe(false)
    const back = value(await core.invoke('lab:restart', undefined)) as AppInfo
    expect(back.lab).toMatchObject({ status: 'running', controlUrl: 'http://127.0.0.1:18090' })
    // Same ports again (the lab's own ones, even where they were free ports at first).
    expect(deps.labs[1]!.options).toMatchObject({ dpsPort: 18883, controlPort: 18090 })
    // Same addresses: the session carries on, nudged to reconnect now.
    expect(deps.sessions).toHaveLength(1)
    expect(deps.sessions[0]!.calls).toContain('reconnect')
    await core.stop()
  })

  it('lab:restart is refused while a profile is in use', async () => {
    const { core } = await makeCore()
    await core.start()
    value(await core.invoke('settings:save', central))
    expectError(
      await core.invoke('lab:restart', undefined),
      'unavailable',
      /lab is the device profile/,
    )
    await core.stop()
  })

  it('a fault nobody caught restarts the session (outbox kept) and is shown; repeated ones stop it', async () => {
    const lines: string[] = []
    const { core, deps } = await makeCore(fakeDeps(), { log: (l) => lines.push(l) })
    await core.start()
    value(await core.invoke('session:setBehaviour', { name: 'c2dCommands', enabled: false }))
    await core.recoverFromFault(new TypeError('callback is not a function'), 'uncaught exception')
    expect(deps.sessions).toHaveLength(2)
    expect(deps.sessions[0]!.closed).toBe(true)
    // Same device folder: the new session picks up the outbox the old one left.
    expect(deps.sessions[1]!.options.dataDir).toBe(deps.sessions[0]!.options.dataDir)
    expect(deps.sessions[1]!.options.behaviours).toMatchObject({ c2dCommands: false })
    expect(deps.sessions[1]!.calls).toEqual(['connect'])
    const info = value(await core.invoke('app:info', undefined)) as AppInfo
    expect(info.lastFault?.message).toMatch(
      /TypeError: callback is not a function — the device session was restarted/,
    )
    expect(lines.join('\n')).toMatch(
      /fault \(uncaught exception\): TypeError: callback is not a function/,
    )
    for (let i = 0; i < 3; i++)
      await core.recoverFromFault(new Error('again'), 'uncaught exception')
    const last = deps.sessions.at(-1)!
    expect(last.calls).toEqual([]) // built, not connected: the user decides
    expect((value(await core.invoke('app:info', undefined)) as AppInfo).lastFault?.message).toMatch(
      /repeated faults: the device is stopped/,
    )
    await core.stop()
  })
})

describe('AppCore when the engine can restart itself', () => {
  it('asks the session to start over (timeline and counters kept) instead of building a new one', async () => {
    const deps = fakeDeps()
    const create = deps.createSession.bind(deps)
    const restarts: unknown[] = []
    deps.createSession = (o) => {
      const s = create(o) as FakeSession & { restart?: (f: unknown) => Promise<void> }
      s.restart = async (f) => void restarts.push(f)
      return s
    }
    const { core } = await makeCore(deps)
    await core.start()
    const fault = new TypeError('callback is not a function')
    await core.recoverFromFault(fault, 'uncaught exception')
    expect(restarts).toEqual([fault])
    expect(deps.sessions).toHaveLength(1)
    await core.stop()
  })
})
