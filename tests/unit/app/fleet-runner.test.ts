import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FleetRunner } from '../../../electron/core/fleet-runner'
import type { LabService } from '../../../electron/core/index'
import type { DeviceSessionApi, DeviceSessionOptions } from '../../../electron/device/api'
import {
  zeroCounters,
  type Counters,
  type StateKind,
  type TelemetrySample,
  type TimelineEntry,
} from '../../../shared/domain'
import type { FleetSnapshot } from '../../../shared/fleet-view'
import type { TimelineCause } from '../../../shared/timeline'
import { AppCore } from '../../../electron/core/index'
import { FAKE_LAB_KEY, fakeDeps, testModel } from './fakes'
import { expectError, until, value } from './contract-scenario'

// The app's fleet runner over stand-in sessions that tell their story through the events a
// DeviceSession emits, and a stand-in lab control API: what the view is told, and how often.

const hosts = { a: 'hostA', b: 'hostB' }

/** A session that connects to its home (even index: A, odd: B) and moves when its hub dies. */
class StorySession extends EventEmitter {
  private id = 1
  private kind: StateKind = 'idle'
  hub: string | null = null
  closed = false
  counters: Counters = zeroCounters()
  log: TimelineEntry[] = []
  samples: TelemetrySample[] = []
  private seq = 0
  readonly home: string
  constructor(readonly o: DeviceSessionOptions) {
    super()
    this.home = Number(o.deviceId.split('-').pop()) % 2 === 0 ? hosts.a : hosts.b
  }
  entry(state: StateKind, cause: TimelineCause, at = Date.now()) {
    this.kind = state
    const e: TimelineEntry = { id: this.id++, at, state, cause, reason: cause.code }
    this.log.push(e)
    this.emit('timeline', e)
    this.emit('changed')
  }
  connected(hub: string, move: 'failover' | 'failback' | null, ms: number | null) {
    const from = this.hub
    this.hub = hub
    this.entry('connected', {
      code: 'connected',
      hub,
      via: 'dps',
      home: hub === this.home,
      move,
      from: move ? from : null,
      ms,
    })
  }
  /** Set by a test: DPS refuses this device's credentials. */
  static refuse = false
  async connect() {
    if (StorySession.refuse)
      return void setImmediate(() => {
        this.entry('provisioning', { code: 'dps-register', host: 'dps' })
        this.entry('failed', {
          code: 'failed',
          error: { code: 'bad-credentials', message: 'DPS rejected the credentials (401)' },
        })
      })
    setImmediate(() => {
      this.counters = { ...this.counters, registrations: this.counters.registrations + 1 }
      this.entry('provisioning', { code: 'dps-register', host: 'dps' })
      this.connected(this.home, null, null)
    })
  }
  /** Its hub died: lost now, back on the other one after `ms`. */
  lose(ms: number) {
    const was = this.hub!
    const lostAt = Date.now()
    this.entry('lost', { code: 'lost', hub: was, loss: { kind: 'closed' }, livedMs: 5000 }, lostAt)
    this.hub = was
    setTimeout(() => {
      this.entry('provisioning', { code: 'dps-after-loss', hub: was, loss: { kind: 'closed' } })
      this.connected(was === hosts.a ? hosts.b : hosts.a, 'failover', Date.now() - lostAt)
    }, ms)
  }
  telemetry(n: number) {
    for (let i = 0; i < n; i++) {
      const s: TelemetrySample = { seq: ++this.seq, at: Date.now(), component: null, values: {} }
      this.samples.push(s)
      this.counters = {
        ...this.counters,
        sent: this.counters.sent + 1,
        acknowledged: this.counters.acknowledged + 1,
      }
      this.emit('telemetry', s)
    }
  }
  async close() {
    this.closed = true
    this.entry('disconnected', { code: 'disconnected', unsent: 0 })
  }
  snapshot() {
    return {
      deviceId: this.o.deviceId,
      modelId: this.o.modelId,
      state: { kind: this.kind },
      hub:
        this.kind === 'connected' && this.hub
          ? { host: this.hub, label: this.o.hubLabels?.[this.hub] ?? this.hub, isHome: true }
          : null,
      homeHub: this.home,
      counters: this.counters,
      lastError: null,
      hubLabels: { ...this.o.hubLabels },
    }
  }
  timeline() {
    return [...this.log]
  }
  recentTelemetry() {
    return [...this.samples]
  }
  inbound() {
    return []
  }
  reportedLog() {
    return []
  }
}

/** The lab's control API as the runner reads it: hub modes and DPS's counts, set by the test. */
class FakeLab {
  registrations = { accepted: 0, throttled: 0 }
  hubs = {
    a: {
      mode: 'up',
      since: new Date(0).toISOString(),
      dps: { available: true, detectAt: null, rebalanceAt: null },
    },
    b: {
      mode: 'up',
      since: new Date(0).toISOString(),
      dps: { available: true, detectAt: null, rebalanceAt: null },
    },
  }
  reads = 0
  read = async (_url: string, path: '/stats' | '/lab'): Promise<unknown> => {
    this.reads++
    if (path === '/lab') return { hubs: this.hubs, dps: { mode: 'up' } }
    const q = (accepted: number, throttled: number) => ({ accepted, throttled, perMinute: [] })
    return {
      at: new Date().toISOString(),
      quotas: {
        dpsRate: 0,
        dpsBurstInForce: null,
        pollLimit: 0,
        pollWindowSec: 10,
        hubConnectRate: 0,
      },
      dpsRegistrations: q(this.registrations.accepted, this.registrations.throttled),
      dpsPolls: q(0, 0),
      hubConnects: { a: q(0, 0), b: q(0, 0) },
      homeHubs: { a: 0, b: 0 },
      connected: { a: 0, b: 0 },
    }
  }
  kill(hub: 'a' | 'b') {
    this.hubs[hub] = { ...this.hubs[hub], mode: 'killed', since: new Date().toISOString() }
  }
}

const labService: LabService = {
  idScope: '0neLAB0001',
  groupPrimaryKey: FAKE_LAB_KEY,
  groupSecondaryKey: FAKE_LAB_KEY,
  dpsHost: '127.0.0.1:1',
  hubs: { a: { host: hosts.a, port: 1 }, b: { host: hosts.b, port: 2 } },
  controlUrl: 'http://127.0.0.1:1',
  ca: 'FAKE CA',
  caPath: '/nonexistent',
  webSockets: { enabled: false, reason: 'test' },
  stop: async () => {},
  onExit: () => {},
}

let dir: string
let runner: FleetRunner
let sessions: StorySession[]
let pushed: FleetSnapshot[]
let lab: FakeLab
let labUp: boolean

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-runner-'))
  sessions = []
  pushed = []
  lab = new FakeLab()
  labUp = true
  const model = await testModel()
  runner = new FleetRunner({
    createSession: (o) => {
      const s = new StorySession(o)
      sessions.push(s)
      return s as unknown as DeviceSessionApi
    },
    lab: () => (labUp ? { lab: labService } : { why: 'no lab here' }),
    model: () => model,
    dataDir: dir,
    emit: (s) => pushed.push(s),
    log: () => {},
    readLab: lab.read,
    tickMs: 50,
    labPollMs: 50,
    startupTimeoutMs: 5000,
  })
})

afterEach(async () => {
  StorySession.refuse = false
  await runner.close()
  rmSync(dir, { recursive: true, force: true })
})

const latest = () => pushed[pushed.length - 1]!

describe('the fleet runner', () => {
  it('runs a fleet beside the single device: counts per hub, pushed on a ticker, not per message', async () => {
    const started = await runner.start({ devices: 6 })
    expect(started.status).toBe('starting')
    expect(sessions.map((s) => s.o.deviceId)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `fleet-${i}`))
    // Every device key comes from the lab's group key; the folders are the app's, per lab.
    expect(
      sessions.every((s) => s.o.groupKey === FAKE_LAB_KEY && s.o.dataDir.startsWith(dir)),
    ).toBe(true)
    await until(() => latest().status === 'running' && latest().connected === 6)
    expect(latest().hubs).toEqual([
      { label: 'A', connected: 3 },
      { label: 'B', connected: 3 },
    ])
    const before = pushed.length
    const t = Date.now()
    for (let i = 0; i < 20; i++) {
      for (const s of sessions) s.telemetry(50)
      await new Promise((r) => setTimeout(r, 10))
    }
    await until(() => latest().totals.acknowledged === 6000)
    const ticks = (Date.now() - t) / 50
    // 6,000 messages; a push a tick at most (and a couple for the lab's answers).
    expect(pushed.length - before).toBeLessThanOrEqual(Math.ceil(ticks) + 2)
    expect(latest().series.length).toBeGreaterThan(0)
    expect(latest().lab?.totals.registrations).toEqual({ accepted: 0, throttled: 0 })
  })

  it("marks the lab's kill, draws the wave, lists the slowest, and opens one of them", async () => {
    await runner.start({ devices: 6, prefix: 'wave' })
    await until(() => latest().connected === 6)
    // Let the runner see the lab as it is before anything happens.
    await until(() => lab.reads >= 4)
    lab.kill('a')
    sessions.filter((s) => s.hub === hosts.a).forEach((s, i) => s.lose(50 + i * 40))
    await until(() => latest().hubs[1]!.connected === 6 && latest().waves.length === 1)
    const s = latest()
    expect(s.markers).toEqual([expect.objectContaining({ kind: 'hub-down', hub: 'A' })])
    expect(s.waves[0]).toMatchObject({
      kind: 'failover',
      cause: 'hub A killed',
      devices: 3,
      back: 3,
    })
    // A's devices (the even ones), slowest first.
    expect(s.slowest.map((d) => d.id).sort()).toEqual(['wave-0', 'wave-2', 'wave-4'])
    const back = s.slowest.map((d) => d.backMs!)
    expect(back.every((ms, i) => i === 0 || ms <= back[i - 1]!)).toBe(true)
    expect(back[0]).toBeGreaterThanOrEqual(130)

    const d = runner.device({ id: 'wave-4' })
    expect(d).toMatchObject({ id: 'wave-4', live: true, snapshot: { deviceId: 'wave-4' } })
    expect(d.timeline.map((e) => e.state)).toEqual([
      'provisioning',
      'connected',
      'lost',
      'provisioning',
      'connected',
    ])
    // Only what came after the cursor.
    const more = runner.device({ id: 'wave-4', timelineAfter: d.timeline[2]!.id })
    expect(more.timeline.map((e) => e.id)).toEqual([4, 5])
    expect(() => runner.device({ id: 'wave-99' })).toThrow(/not a device of this fleet/)
  })

  it('stops cleanly: every session closed, the counts as they ended, nothing lost', async () => {
    await runner.start({ devices: 4 })
    await until(() => latest().connected === 4)
    sessions[0]!.telemetry(3)
    const stopped = await runner.stop()
    expect(sessions.every((s) => s.closed)).toBe(true)
    expect(stopped).toMatchObject({ status: 'stopped', connected: 0 })
    expect(stopped.totals).toMatchObject({ produced: 3, acknowledged: 3, queued: 0, lost: 0 })
    // A stopped fleet's devices can still be looked at.
    expect(runner.device({ id: 'fleet-0' }).live).toBe(false)
    // And a second stop changes nothing.
    expect((await runner.stop()).status).toBe('stopped')
  })

  it('says in a line why a fleet could not run (the first device refused), and closes it', async () => {
    StorySession.refuse = true
    await runner.start({ devices: 3 })
    await until(() => latest().status === 'failed')
    expect(latest().problem).toMatch(/the first device \(fleet-0\) could not connect/)
    expect(sessions.every((s) => s.closed)).toBe(true)
    // Only the first device was asked to connect.
    expect(sessions.slice(1).every((s) => s.log.every((e) => e.state === 'disconnected'))).toBe(
      true,
    )
  })

  it('refuses a second fleet while one runs, and any fleet without the embedded lab', async () => {
    await runner.start({ devices: 2 })
    await expect(runner.start({ devices: 2 })).rejects.toThrow(/running already/)
    await runner.stop()
    labUp = false
    await expect(runner.start({ devices: 2 })).rejects.toThrow(/no lab here/)
    expect(runner.snapshot()).toMatchObject({ available: false, unavailableReason: 'no lab here' })
  })
})

describe('the fleet in the app', () => {
  const central = {
    idScope: '0ne00ABCDEF',
    keyKind: 'group' as const,
    key: 'Y2VudHJhbC1ncm91cC1rZXktMTIzNDU2Nzg5MA==',
    deviceId: 'dev-1',
    modelId: 'dtmi:Sample:Failover;1',
    provisioningHost: 'global.azure-devices-provisioning.net',
    transport: 'mqtt' as const,
  }

  it('runs only against the embedded lab: a switch to IoT Central stops it first, and says why', async () => {
    const deps = fakeDeps()
    const core = new AppCore({
      dataDir: dir,
      shell: 'web',
      version: '0',
      model: await testModel(),
      deps,
    })
    await core.start()
    try {
      value(await core.invoke('fleet:start', { devices: 2 }))
      const fleet = deps.sessions.slice(-2)
      value(await core.invoke('settings:save', central))
      expect(fleet.every((s) => s.closed)).toBe(true)
      const after = value(await core.invoke('fleet:state', undefined)) as FleetSnapshot
      expect(after).toMatchObject({ available: false, status: 'stopped' })
      expect(after.unavailableReason).toMatch(/embedded lab/)
      expectError(await core.invoke('fleet:start', { devices: 2 }), 'unavailable', /embedded lab/)
      // The lab is gone: nothing of the lab is asked, no fleet device is built.
      expect(deps.sessions.filter((s) => s.options.deviceId.startsWith('fleet-'))).toHaveLength(2)
    } finally {
      await core.stop()
    }
  })
})
