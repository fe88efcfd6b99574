import { describe, expect, it } from 'vitest'
import {
  appendMarkers,
  appendPoint,
  buildFleetSnapshot,
  labMarkers,
  labViewOf,
  pointOf,
  settleDownTimes,
  type LabStatsAnswer,
  type LabStatusAnswer,
  type SnapshotDevice,
  type SnapshotInput,
} from '../../../electron/core/fleet-snapshot'
import type { FleetProgress } from '../../../electron/fleet/fleet'
import type { MoveRaw } from '../../../electron/fleet/recorder'
import type { FleetMarker, FleetPoint } from '../../../shared/fleet-view'

// The fleet view's snapshot from what the runner holds: pure, so table-sized cases say it all.

const t0 = 1_700_000_000_000

function progress(over: Partial<FleetProgress> = {}): FleetProgress {
  return {
    devices: 4,
    started: 4,
    connected: { A: 2, B: 2 },
    moving: 0,
    starting: 0,
    failed: 0,
    throttledNow: 0,
    throttles: 0,
    registrations: 4,
    moves: 0,
    produced: 10,
    ...over,
  }
}

function move(from: string, to: string, lostAt: number, backAfterMs: number, reg = 1): MoveRaw {
  return {
    kind: 'failover',
    from,
    to,
    lostAt,
    detectedAt: lostAt + 5,
    connectedAt: lostAt + backAfterMs,
    connectedMs: backAfterMs,
    firstAckMs: null,
    firstAckAt: null,
    registrations: reg,
    throttled: 0,
  }
}

const killA: FleetMarker = { at: t0, kind: 'hub-down', hub: 'A', text: 'hub A killed' }

function input(devices: SnapshotDevice[], over: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    base: {
      available: true,
      unavailableReason: null,
      status: 'running',
      problem: null,
      prefix: 'fleet',
      devices: devices.length,
      telemetryMs: 10_000,
      startedAt: t0 - 60_000,
      endedAt: null,
    },
    progress: progress(),
    devices,
    counters: { acknowledged: 9, queued: 1, lost: null },
    series: [],
    dps: [],
    markers: [killA],
    lab: null,
    labProblem: null,
    now: t0 + 30_000,
    ...over,
  }
}

describe('the fleet snapshot', () => {
  it('counts per hub (A and B first), totals, and the wave an event caused, with its slowest', () => {
    const devices: SnapshotDevice[] = [
      { id: 'fleet-0', home: 'A', moves: [move('A', 'B', t0, 2000)], away: null, hub: 'B' },
      { id: 'fleet-1', home: 'A', moves: [move('A', 'B', t0, 9000, 3)], away: null, hub: 'B' },
      { id: 'fleet-2', home: 'B', moves: [], away: null, hub: 'B' },
      { id: 'fleet-3', home: 'A', moves: [], away: { hub: 'A', detectedAt: t0 + 5 }, hub: null },
    ]
    const s = buildFleetSnapshot(
      input(devices, { progress: progress({ connected: { B: 3 }, moving: 1, moves: 2 }) }),
    )
    expect(s.hubs).toEqual([
      { label: 'A', connected: 0 },
      { label: 'B', connected: 3 },
    ])
    expect(s).toMatchObject({ connected: 3, moving: 1, status: 'running', devices: 4 })
    expect(s.totals).toEqual({
      registrations: 4,
      throttles: 0,
      moves: 2,
      produced: 10,
      acknowledged: 9,
      queued: 1,
      lost: null,
    })
    expect(s.waves).toHaveLength(1)
    expect(s.waves[0]).toMatchObject({
      kind: 'failover',
      cause: 'hub A killed',
      devices: 3,
      back: 2,
      notBack: 1,
      p50: 9000,
      p100: null,
    })
    // Not back first (away since the event), then the slowest back.
    expect(s.slowest.map((d) => [d.id, d.backMs, d.awayMs, d.registrations])).toEqual([
      ['fleet-3', null, 30_000, 0],
      ['fleet-1', 9000, null, 3],
      ['fleet-0', 2000, null, 1],
    ])
  })

  it('keeps the slowest list to ten, from the last wave only', () => {
    const early: FleetMarker = { at: t0 - 20_000, kind: 'hub-down', hub: 'B', text: 'hub B killed' }
    const devices: SnapshotDevice[] = Array.from({ length: 15 }, (_, i) => ({
      id: `fleet-${i}`,
      home: 'A',
      moves: [move('B', 'A', t0 - 20_000, 60_000), move('A', 'B', t0, 1000 + i * 100)],
      away: null,
      hub: 'B',
    }))
    const s = buildFleetSnapshot(input(devices, { markers: [early, killA] }))
    expect(s.waves.map((w) => w.cause)).toEqual(['hub B killed', 'hub A killed'])
    expect(s.slowest).toHaveLength(10)
    expect(s.slowest[0]).toMatchObject({ id: 'fleet-14', backMs: 2400 })
    expect(s.slowest.every((d) => d.backMs! < 60_000)).toBe(true)
  })

  it('without a fleet, is empty and says nothing of waves', () => {
    const s = buildFleetSnapshot(input([], { progress: null, markers: [] }))
    expect(s).toMatchObject({ connected: 0, waves: [], slowest: [], started: 0 })
    expect(s.hubs.map((h) => h.label)).toEqual(['A', 'B'])
  })
})

describe("a hub's kill", () => {
  it('counts from the first device that noticed it, when that was just before the lab said', () => {
    const devices: SnapshotDevice[] = [
      { id: 'fleet-0', home: 'A', moves: [move('A', 'B', t0 - 300, 900)], away: null, hub: 'B' },
      { id: 'fleet-1', home: 'A', moves: [], away: { hub: 'A', detectedAt: t0 - 40 }, hub: null },
      // Long before: another story, not this kill's.
      { id: 'fleet-2', home: 'A', moves: [move('A', 'B', t0 - 60_000, 900)], away: null, hub: 'B' },
    ]
    const [m] = settleDownTimes([killA], devices)
    expect(m).toEqual({ ...killA, at: t0 - 295 })
    const s = buildFleetSnapshot(input(devices, { markers: [m!] }))
    expect(s.waves.map((w) => [w.cause, w.devices])).toEqual([
      ['failovers with no known event', 1],
      ['hub A killed', 2],
    ])
    // Other hubs' and other kinds' markers are left as they are.
    const restored: FleetMarker = { ...killA, kind: 'hub-up', text: 'hub A restored' }
    expect(settleDownTimes([restored], devices)).toEqual([restored])
  })
})

describe('the wave series', () => {
  const p = (at: number, a: number): FleetPoint => ({ at, a, b: 0, away: 0, waiting: 0 })

  it('is thinned, never past its bound, keeping the first and the newest point', () => {
    let list: FleetPoint[] = []
    for (let i = 0; i < 5000; i++) {
      list = appendPoint(list, p(i, i), 600)
      expect(list.length).toBeLessThanOrEqual(600)
    }
    expect(list[0]!.at).toBe(0)
    expect(list[list.length - 1]!.at).toBe(4999)
    // Time keeps its order.
    expect(list.every((x, i) => i === 0 || x.at > list[i - 1]!.at)).toBe(true)
  })

  it('draws a run of equal counts from its first and last point', () => {
    let list: FleetPoint[] = []
    for (let i = 0; i < 100; i++) list = appendPoint(list, p(i, 7))
    expect(list.map((x) => x.at)).toEqual([0, 99])
    list = appendPoint(list, p(100, 8))
    expect(list.map((x) => x.a)).toEqual([7, 7, 8])
  })

  it('is sampled from the progress: per hub, lost, not connected yet', () => {
    expect(pointOf(progress({ devices: 10, connected: { A: 3, B: 4 }, moving: 2 }), 5)).toEqual({
      at: 5,
      a: 3,
      b: 4,
      away: 2,
      waiting: 1,
    })
  })

  it('keeps at most the bound of markers, the newest, in time order', () => {
    const m = (at: number): FleetMarker => ({ at, kind: 'dps', hub: null, text: `m${at}` })
    let list: FleetMarker[] = []
    for (let i = 0; i < 30; i += 2) list = appendMarkers(list, [m(i + 2), m(i + 1)], 10)
    expect(list.map((x) => x.at)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30])
  })
})

describe('the lab, as read from its control API', () => {
  const q = (accepted: number, throttled: number, minutes: [string, number, number][] = []) => ({
    accepted,
    throttled,
    perMinute: minutes.map(([minute, a, t]) => ({ minute, accepted: a, throttled: t })),
  })
  const stats = (at: number, reg: number, thr: number): LabStatsAnswer => ({
    at: new Date(at).toISOString(),
    quotas: {
      dpsRate: 200,
      dpsBurstInForce: 17,
      pollLimit: 5,
      pollWindowSec: 10,
      hubConnectRate: 100,
    },
    dpsRegistrations: q(reg, thr, [['2026-01-01T10:00:00.000Z', reg, thr]]),
    dpsPolls: q(3, 0),
    hubConnects: { a: q(5, 0), b: q(6, 1, [['2026-01-01T10:01:00.000Z', 6, 1]]) },
    homeHubs: { a: 10, b: 11 },
    connected: { a: 5, b: 6 },
  })

  it('gives DPS accepted and throttled per second from two readings, and the latest minutes', () => {
    const first = labViewOf(stats(t0, 10, 0), null)
    expect(first.dpsPerSecond).toBeNull()
    const second = labViewOf(stats(t0 + 2000, 30, 8), first)
    expect(second.dpsPerSecond).toEqual({ accepted: 10, throttled: 4 })
    expect(second.totals.registrations).toEqual({ accepted: 30, throttled: 8 })
    expect(second.perMinute.map((m) => m.minute)).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T10:01:00.000Z',
    ])
    expect(second.perMinute[1]!.hubB).toEqual({ accepted: 6, throttled: 1 })
    expect(second.perMinute[1]!.registrations).toEqual({ accepted: 0, throttled: 0 })
  })

  const hub = (mode: string, since: number, available = true, detectAt: number | null = null) => ({
    mode,
    since: new Date(since).toISOString(),
    dps: {
      available,
      detectAt: detectAt === null ? null : new Date(detectAt).toISOString(),
      rebalanceAt: null,
    },
  })
  const lab = (a: ReturnType<typeof hub>, b = hub('up', 0), dps = 'up'): LabStatusAnswer => ({
    hubs: { a, b },
    dps: { mode: dps },
  })

  it("marks a hub's kill and restore at the lab's own times, and DPS's moves when planned", () => {
    const up = lab(hub('up', 0))
    expect(labMarkers(null, up, t0)).toEqual([])
    const killed = lab(hub('killed', t0, true, t0 + 1000))
    expect(labMarkers(up, killed, t0 + 400)).toEqual([
      { at: t0, kind: 'hub-down', hub: 'A', text: 'hub A killed' },
    ])
    const noticed = lab(hub('killed', t0, false))
    expect(labMarkers(killed, noticed, t0 + 1600)).toEqual([
      { at: t0 + 1000, kind: 'dps-away', hub: 'A', text: "DPS sends hub A's devices to B" },
    ])
    const throttled = lab(hub('killed', t0, false), hub('up', 0), 'throttled')
    expect(labMarkers(noticed, throttled, t0 + 2000)).toEqual([
      { at: t0 + 2000, kind: 'dps', hub: null, text: 'DPS throttled' },
    ])
  })
})
