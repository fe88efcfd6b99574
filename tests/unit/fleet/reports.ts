import type { FleetEvent } from '../../../electron/fleet/waves'
import {
  buildReport,
  type DeviceReport,
  type FleetMeta,
  type FleetReport,
} from '../../../electron/fleet/report'
import type { MoveRaw } from '../../../electron/fleet/recorder'

// Synthetic reports for the report and merge tests: raw timestamps from a seeded generator.

export const t0 = Date.parse('2026-05-01T12:00:00Z')

export function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

export function move(
  kind: MoveRaw['kind'],
  detectedAt: number,
  connectedMs: number,
  ackMs: number | null,
  extra: Partial<MoveRaw> = {},
): MoveRaw {
  const lostAt = detectedAt - 50
  return {
    kind,
    from: kind === 'failover' ? 'A' : 'B',
    to: kind === 'failover' ? 'B' : 'A',
    lostAt,
    detectedAt,
    connectedAt: lostAt + connectedMs,
    connectedMs,
    firstAckMs: ackMs,
    firstAckAt: ackMs === null ? null : lostAt + ackMs,
    registrations: 1,
    throttled: 0,
    ...extra,
  }
}

export function device(
  index: number,
  over: Partial<DeviceReport> = {},
  prefix = 'fleet',
): DeviceReport {
  return {
    id: `${prefix}-${index}`,
    index,
    hub: 'A',
    home: 'A',
    state: 'connected',
    moves: [],
    movesDropped: 0,
    away: null,
    reconnects: 0,
    registrations: 1,
    initialRegistrations: 1,
    firstConnectedAt: t0 + 1000 + index,
    throttled: 0,
    dpsErrors: 0,
    produced: 10,
    acknowledged: 10,
    queued: 0,
    dropped: 0,
    lost: 0,
    telemetry: { produced: 8, acknowledged: 8 },
    lab: { count: 8, unique: 8, duplicates: 0, missing: 0 },
    ...over,
  }
}

export function meta(over: Partial<FleetMeta> = {}): FleetMeta {
  return {
    prefix: 'fleet',
    devices: 100,
    shards: 1,
    ranges: [{ from: 0, to: 100 }],
    template: { modelId: 'dtmi:Sample:Failover;1', source: 'failover.json (built in)' },
    target: {
      kind: 'lab',
      idScope: '0ne00000000',
      dpsHost: '127.0.0.1:1',
      labUrl: 'http://127.0.0.1:2',
    },
    hubs: { A: '127.0.0.1:3', B: '127.0.0.1:4' },
    telemetryMs: 10_000,
    reportedMs: 60_000,
    pacing: { rampMs: 0, connectRate: 100, dpsRate: null },
    scenario: null,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 600_000).toISOString(),
    durationMs: 600_000,
    ended: 'completed',
    endedWhy: null,
    ...over,
  }
}

export const outageEvents: FleetEvent[] = [
  { at: t0 + 30_000, text: 'outage a 60s · hub A goes down', moves: true },
  { at: t0 + 40_000, text: 'outage a 60s · DPS notices', moves: false },
  { at: t0 + 120_000, text: 'outage a 60s · DPS names hub A again', moves: true },
]

/** n devices, half of them homed on A: those fail over after the outage and fail back after the rebalance. */
export function outageDevices(n: number, seed = 1): DeviceReport[] {
  const r = rng(seed)
  return Array.from({ length: n }, (_, i) => {
    if (i % 2) return device(i, { hub: 'B', home: 'B' })
    const over = move(
      'failover',
      t0 + 30_000 + Math.floor(r() * 100),
      10_000 + Math.floor(r() * 5000),
      10_500 + Math.floor(r() * 5000),
    )
    const back = move(
      'failback',
      t0 + 120_000 + Math.floor(r() * 50),
      800 + Math.floor(r() * 900),
      r() < 0.1 ? null : 1000 + Math.floor(r() * 900),
      { registrations: r() < 0.2 ? 2 : 1 },
    )
    return device(i, {
      moves: [over, back],
      registrations: 1 + over.registrations + back.registrations,
    })
  })
}

export function report(
  devices: DeviceReport[],
  events: FleetEvent[] = outageEvents,
  m: Partial<FleetMeta> = {},
): FleetReport {
  return buildReport(meta(m), devices, events, [], [])
}
