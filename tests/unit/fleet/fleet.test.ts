import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AppError,
  type StateKind,
  type TimelineEntry,
  zeroCounters,
} from '../../../shared/domain'
import type { TimelineCause } from '../../../shared/timeline'
import type { DeviceSessionApi, DeviceSessionOptions } from '../../../electron/device/api'
import { RunError } from '../../../electron/fleet/errors'
import { Fleet, type FleetOptions } from '../../../electron/fleet/fleet'
import { parseModel } from '../../../shared/dtdl'
import { waitFor } from '../../support/lab'

// The fleet against stand-in sessions that tell a scripted story through the same events a
// DeviceSession emits: what it counts, how it paces, and that a refused first device stops it.

const model = parseModel({
  '@context': 'dtmi:dtdl:context;2',
  '@id': 'dtmi:test:Fleet;1',
  '@type': 'Interface',
  contents: [{ '@type': 'Telemetry', name: 't', schema: 'double' }],
})

class FakeSession extends EventEmitter {
  connects: number[] = []
  closed = false
  lastError: AppError | null = null
  private id = 1
  private hub: string | null = null
  private kind: StateKind = 'idle'
  constructor(
    readonly o: DeviceSessionOptions,
    private readonly story: (s: FakeSession) => void,
  ) {
    super()
  }
  entry(
    state: StateKind,
    cause: TimelineCause,
    extra: Partial<TimelineEntry> = {},
    at = Date.now(),
  ) {
    this.kind = state
    if (cause.code === 'connected') this.hub = cause.hub
    if (cause.code === 'lost') this.hub = null
    this.emit('timeline', { id: this.id++, at, state, cause, reason: cause.code, ...extra })
  }
  async connect() {
    this.connects.push(Date.now())
    setImmediate(() => this.story(this))
  }
  async close() {
    this.closed = true
    this.entry('disconnected', { code: 'disconnected', unsent: 0 })
  }
  snapshot() {
    return {
      state: { kind: this.kind },
      hub:
        this.kind === 'connected' && this.hub
          ? { host: this.hub, label: this.hub, isHome: true }
          : null,
      homeHub: 'hostA',
      counters: { ...zeroCounters(), registrations: 1 },
      lastError: this.lastError,
    }
  }
}

const connects = (s: FakeSession) => {
  s.entry('provisioning', { code: 'dps-register', host: 'dps' })
  s.entry('connected', {
    code: 'connected',
    hub: 'hostA',
    via: 'dps',
    home: true,
    move: null,
    from: null,
    ms: null,
  })
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-unit-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function fleetOf(n: number, story: (s: FakeSession) => void, over: Partial<FleetOptions> = {}) {
  const sessions: FakeSession[] = []
  const fleet = new Fleet({
    prefix: 'f',
    range: { from: 0, to: n },
    target: {
      kind: 'lab',
      idScope: '0ne00000000',
      groupKey: Buffer.alloc(32).toString('base64'),
      provisioningHost: 'dps',
      hubLabels: { hostA: 'A', hostB: 'B' },
      transport: 'mqtt',
    },
    model,
    dataDir: dir,
    pacing: { rampMs: 0, connectRate: 1000, dpsRate: null },
    startupTimeoutMs: 5000,
    createSession: (o) => {
      const s = new FakeSession(o, story)
      sessions.push(s)
      return s as unknown as DeviceSessionApi
    },
    ...over,
  })
  return { fleet, sessions }
}

describe('Fleet', () => {
  it('builds one session per index with its own id and folder, from the group key', async () => {
    const { fleet, sessions } = fleetOf(3, connects, { range: { from: 5, to: 8 } })
    await fleet.open(new AbortController().signal)
    expect(sessions.map((s) => s.o.deviceId)).toEqual(['f-5', 'f-6', 'f-7'])
    expect(sessions.map((s) => s.o.dataDir)).toEqual(
      ['f-5', 'f-6', 'f-7'].map((id) => join(dir, id)),
    )
    expect(new Set(sessions.map((s) => s.o.model)).size).toBe(1)
    expect(sessions.every((s) => s.o.groupKey && !s.o.deviceKey)).toBe(true)
    await fleet.close()
  })

  it('connects the first device alone, then the rest at the pace of the budget', async () => {
    const { fleet, sessions } = fleetOf(6, connects, {
      pacing: { rampMs: 0, connectRate: 50, dpsRate: null },
    })
    await fleet.open(new AbortController().signal)
    await fleet.start(new AbortController().signal)
    const first = sessions[0]!.connects[0]!
    const rest = sessions.slice(1).map((s) => s.connects[0]!)
    expect(Math.min(...rest)).toBeGreaterThanOrEqual(first)
    // 50 connects/s: 20 ms apart; five of them span at least 80 ms.
    expect(Math.max(...rest) - Math.min(...rest)).toBeGreaterThanOrEqual(75)
    await waitFor('all connected', () => fleet.progress().connected.A === 6)
    expect(fleet.progress()).toMatchObject({ devices: 6, started: 6, moving: 0, registrations: 6 })
    await fleet.close()
  })

  it('stops at a refused first device, in one line, before the others connect', async () => {
    const { fleet, sessions } = fleetOf(4, (s) => {
      s.entry('provisioning', { code: 'dps-register', host: 'dps' })
      s.lastError = {
        code: 'bad-credentials',
        message: "DPS rejected the device's credentials (401)",
      }
      s.entry('failed', { code: 'failed', error: s.lastError })
    })
    await fleet.open(new AbortController().signal)
    const started = fleet.start(new AbortController().signal)
    await expect(started).rejects.toBeInstanceOf(RunError)
    await expect(started).rejects.toThrow(
      /the first device \(f-0\) could not connect: DPS rejected/,
    )
    expect(sessions.slice(1).every((s) => s.connects.length === 0)).toBe(true)
    await fleet.close()
    expect(sessions.every((s) => s.closed)).toBe(true)
  })

  it('records each move raw: lost, noticed, connected, first ack, and its registrations', async () => {
    const t = Date.now()
    const { fleet, sessions } = fleetOf(1, connects)
    await fleet.open(new AbortController().signal)
    await fleet.start(new AbortController().signal)
    const s = sessions[0]!
    s.entry(
      'lost',
      { code: 'lost', hub: 'hostA', loss: { kind: 'closed' }, livedMs: 5000 },
      {},
      t + 100,
    )
    s.entry(
      'provisioning',
      { code: 'dps-after-loss', hub: 'hostA', loss: { kind: 'closed' } },
      {},
      t + 150,
    )
    s.entry(
      'waiting',
      { code: 'wait', ms: 1000, why: { code: 'dps-failed', problem: { kind: 'throttled' } } },
      {},
      t + 200,
    )
    expect(fleet.progress()).toMatchObject({ moving: 1, throttledNow: 1, throttles: 1 })
    s.entry('provisioning', { code: 'dps-register', host: 'dps' }, {}, t + 1200)
    s.entry(
      'connected',
      {
        code: 'connected',
        hub: 'hostB',
        via: 'dps',
        home: false,
        move: 'failover',
        from: 'hostA',
        ms: 1400,
      },
      { mark: 'failover', durationMs: 1400 },
      t + 1500,
    )
    s.entry(
      'connected',
      {
        code: 'move-acked',
        move: 'failover',
        hub: 'hostB',
        from: 'hostA',
        ms: 1600,
        what: 'telemetry',
      },
      {},
      t + 1700,
    )
    expect(fleet.progress()).toMatchObject({
      connected: { B: 1 },
      moving: 0,
      moves: 1,
      // The first one, and the one after the 429: the throttled request is a throttle.
      registrations: 2,
    })
    const r = fleet.devices[0]!.recorder
    expect(r.moves).toEqual([
      {
        kind: 'failover',
        from: 'A',
        to: 'B',
        lostAt: t + 100,
        detectedAt: t + 100,
        connectedAt: t + 1500,
        connectedMs: 1400,
        firstAckMs: 1600,
        firstAckAt: t + 1700,
        registrations: 1,
        throttled: 1,
      },
    ])
    expect(r.initialRegistrations).toBe(1)
    await fleet.close()
  })
})
