import { z } from 'zod'
import type { MoveKind } from '../../shared/timeline'
import { fleetLimits } from './limits'
import { type Percentiles, percentiles } from './percentiles'
import type { AwayRaw, MoveRaw } from './recorder'
import type { IndexRange } from './shards'
import { type FleetEvent, type Wave, computeWaves, round2, sortEvents } from './waves'

// The fleet's report: per device its raw timestamps and counts, and what follows from them
// (totals, waves). Everything derived is recomputed from the raw part, by buildReport here and by
// merge, so a merged report is exactly the report one runner would have written.

export const reportKind = 'iotc-fleet-report'
export const reportVersion = 1

/** What the lab received from a device (GET /devices/{id}/telemetry?limit=0). */
export interface LabCounts {
  count: number
  unique: number
  duplicates: number
  /** Sequence numbers missing between the first and the last received (the lab lists ≤ 1,000). */
  missing: number
}

export interface DeviceReport {
  id: string
  index: number
  /** The hub it was connected to when the run ended (label), or null. */
  hub: string | null
  home: string | null
  state: string
  moves: MoveRaw[]
  movesDropped: number
  away: AwayRaw | null
  /** Links taken up again after a loss, moves or not (a hub back before DPS noticed: no move). */
  reconnects: number
  registrations: number
  /** Registrations the first connection took, and when it was made. */
  initialRegistrations: number | null
  firstConnectedAt: number | null
  throttled: number
  dpsErrors: number
  /** Outbox items (telemetry and reported patches) made this run, plus any left from before. */
  produced: number
  acknowledged: number
  /** Still in the outbox when the session closed (kept on disk; sent by the next run). */
  queued: number
  dropped: number
  /** produced − acknowledged − queued. */
  lost: number
  telemetry: { produced: number; acknowledged: number }
  lab: LabCounts | null
}

export interface ProcessFigures {
  shard: number
  devices: number
  peakRssBytes: number
  cpuUserMs: number
  cpuSystemMs: number
  /** Uncaught exceptions the process contained (SDK callbacks), by the sessions it restarted. */
  faults: number
  /** How late the event loop ran its callbacks: past tens of ms, the process holds too many. */
  eventLoopDelayMs: { p50: number; p99: number; max: number }
}

export type Ending = 'completed' | 'interrupted' | 'failed'

export interface FleetMeta {
  prefix: string
  /** The whole fleet's size, over all shards. */
  devices: number
  shards: number
  /** The index ranges this report holds (one per shard it came from). */
  ranges: IndexRange[]
  template: { modelId: string; source: string }
  target: {
    kind: 'lab' | 'iot-central'
    idScope: string
    dpsHost: string
    labUrl: string | null
  }
  /** Hub labels → hosts, as far as known. */
  hubs: Record<string, string>
  telemetryMs: number
  reportedMs: number
  pacing: { rampMs: number; connectRate: number; dpsRate: number | null }
  scenario: string | null
  startedAt: string
  endedAt: string
  durationMs: number
  ended: Ending
  endedWhy: string | null
}

export interface Totals {
  devices: number
  /** The fleet's start → each device's first connection. */
  firstConnectMs: Percentiles
  connectedAtEnd: Record<string, number>
  notConnectedAtEnd: number
  movedDevices: number
  moves: { failover: number; failback: number }
  reconnects: number
  registrations: number
  /** (registrations − those of the first connections) ÷ moved devices (a device may move twice). */
  registrationsPerMovedDevice: number | null
  /** The same registrations ÷ moves (failovers and failbacks): what one move costs DPS. */
  registrationsPerMove: number | null
  throttled: number
  dpsErrors: number
  produced: number
  acknowledged: number
  queued: number
  dropped: number
  lost: number
  /** From the lab's per-device telemetry stats; null where no lab counted (IoT Central). */
  duplicates: number | null
  missing: number | null
}

/** What the lab's DPS counted over its life (a lab target only): its side of the registrations. */
export interface LabDps {
  registrations: { accepted: number; throttled: number }
  polls: { accepted: number; throttled: number }
}

export interface FleetReport {
  kind: typeof reportKind
  version: typeof reportVersion
  fleet: FleetMeta
  events: FleetEvent[]
  totals: Totals
  waves: Wave[]
  processes: ProcessFigures[]
  devices: DeviceReport[]
  /** Null against IoT Central, and in a merge of shards that each ran their own lab. */
  labDps: LabDps | null
  notes: string[]
}

/** The derived part, from devices and events. */
export function derive(devices: DeviceReport[], events: FleetEvent[], startedAt: number) {
  const sorted = sortEvents(events)
  const waves = computeWaves(
    devices.map((d) => ({ id: d.id, home: d.home, moves: d.moves, away: d.away })),
    sorted,
  )
  return { events: sorted, totals: totalsOf(devices, startedAt), waves }
}

export function totalsOf(devices: DeviceReport[], startedAt: number): Totals {
  const first = devices.filter((d) => d.firstConnectedAt !== null)
  const t: Totals = {
    devices: devices.length,
    firstConnectMs: percentiles(
      first.map((d) => Math.max(0, d.firstConnectedAt! - startedAt)),
      devices.length - first.length,
    ),
    connectedAtEnd: {},
    notConnectedAtEnd: 0,
    movedDevices: 0,
    moves: { failover: 0, failback: 0 },
    reconnects: 0,
    registrations: 0,
    registrationsPerMovedDevice: null,
    registrationsPerMove: null,
    throttled: 0,
    dpsErrors: 0,
    produced: 0,
    acknowledged: 0,
    queued: 0,
    dropped: 0,
    lost: 0,
    duplicates: devices.length && devices.every((d) => d.lab) ? 0 : null,
    missing: devices.length && devices.every((d) => d.lab) ? 0 : null,
  }
  let afterFirst = 0
  for (const d of devices) {
    if (d.hub) t.connectedAtEnd[d.hub] = (t.connectedAtEnd[d.hub] ?? 0) + 1
    else t.notConnectedAtEnd++
    if (d.moves.length) t.movedDevices++
    for (const m of d.moves) t.moves[m.kind]++
    t.reconnects += d.reconnects
    t.registrations += d.registrations
    afterFirst += d.registrations - (d.initialRegistrations ?? d.registrations)
    t.throttled += d.throttled
    t.dpsErrors += d.dpsErrors
    t.produced += d.produced
    t.acknowledged += d.acknowledged
    t.queued += d.queued
    t.dropped += d.dropped
    t.lost += d.lost
    if (t.duplicates !== null && d.lab) t.duplicates += d.lab.duplicates
    if (t.missing !== null && d.lab) t.missing += d.lab.missing
  }
  t.connectedAtEnd = Object.fromEntries(
    Object.entries(t.connectedAtEnd).sort(([a], [b]) => (a < b ? -1 : 1)),
  )
  t.registrationsPerMovedDevice = t.movedDevices ? round2(afterFirst / t.movedDevices) : null
  const moves = t.moves.failover + t.moves.failback
  t.registrationsPerMove = moves ? round2(afterFirst / moves) : null
  return t
}

export function buildReport(
  fleet: FleetMeta,
  devices: DeviceReport[],
  events: FleetEvent[],
  processes: ProcessFigures[],
  notes: string[],
  labDps: LabDps | null = null,
): FleetReport {
  const sortedDevices = [...devices].sort((a, b) => a.index - b.index)
  return {
    kind: reportKind,
    version: reportVersion,
    fleet,
    ...derive(sortedDevices, events, Date.parse(fleet.startedAt)),
    processes,
    devices: sortedDevices,
    labDps,
    notes,
  }
}

// ---- the schema a report file must meet (merge reads files from anywhere) -------------------

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const time = z.number().int().min(0).max(8.64e15)
const ms = z
  .number()
  .int()
  .min(0)
  .max(fleetLimits.maxDurationMs * 10)
const label = z.string().min(1).max(300)
const moveKind = z.enum(['failover', 'failback']) satisfies z.ZodType<MoveKind>

const moveSchema = z.strictObject({
  kind: moveKind,
  from: label,
  to: label,
  lostAt: time.nullable(),
  detectedAt: time.nullable(),
  connectedAt: time,
  connectedMs: ms.nullable(),
  firstAckMs: ms.nullable(),
  firstAckAt: time.nullable(),
  registrations: count,
  throttled: count,
}) satisfies z.ZodType<MoveRaw>

const deviceSchema = z.strictObject({
  id: z.string().min(1).max(128),
  index: z
    .number()
    .int()
    .min(0)
    .max(fleetLimits.maxDevices - 1),
  hub: label.nullable(),
  home: label.nullable(),
  state: z.string().max(40),
  moves: z.array(moveSchema).max(fleetLimits.maxMovesPerDevice),
  movesDropped: count,
  away: z.strictObject({ hub: label, detectedAt: time }).nullable(),
  reconnects: count,
  registrations: count,
  initialRegistrations: count.nullable(),
  firstConnectedAt: time.nullable(),
  throttled: count,
  dpsErrors: count,
  produced: count,
  acknowledged: count,
  queued: count,
  dropped: count,
  lost: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  telemetry: z.strictObject({ produced: count, acknowledged: count }),
  lab: z.strictObject({ count, unique: count, duplicates: count, missing: count }).nullable(),
}) satisfies z.ZodType<DeviceReport>

const rangeSchema = z
  .strictObject({ from: count, to: count })
  .refine((r) => r.from < r.to, 'a range runs from a lower index to a higher one')

const metaSchema = z.strictObject({
  prefix: z.string().min(1).max(fleetLimits.maxPrefixChars),
  devices: z.number().int().min(1).max(fleetLimits.maxDevices),
  shards: z.number().int().min(1).max(fleetLimits.maxShards),
  ranges: z.array(rangeSchema).min(1).max(fleetLimits.maxShards),
  template: z.strictObject({ modelId: z.string().max(256), source: z.string().max(1000) }),
  target: z.strictObject({
    kind: z.enum(['lab', 'iot-central']),
    idScope: z.string().max(32),
    dpsHost: z.string().max(259),
    labUrl: z.string().max(300).nullable(),
  }),
  hubs: z.record(label, z.string().max(300)),
  telemetryMs: ms,
  reportedMs: ms,
  pacing: z.strictObject({
    rampMs: ms,
    connectRate: z.number().positive().max(1e9),
    dpsRate: z.number().positive().max(1e9).nullable(),
  }),
  scenario: z.string().max(fleetLimits.maxScenarioChars).nullable(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  durationMs: ms,
  ended: z.enum(['completed', 'interrupted', 'failed']),
  endedWhy: z.string().max(1000).nullable(),
}) satisfies z.ZodType<FleetMeta>

const eventSchema = z.strictObject({
  at: time,
  text: z.string().min(1).max(1000),
  moves: z.boolean(),
}) satisfies z.ZodType<FleetEvent>

const processSchema = z.strictObject({
  shard: count,
  devices: count,
  peakRssBytes: count,
  cpuUserMs: count,
  cpuSystemMs: count,
  faults: count,
  eventLoopDelayMs: z.strictObject({ p50: ms, p99: ms, max: ms }),
}) satisfies z.ZodType<ProcessFigures>

/**
 * A report file as merge accepts it: the raw part checked field by field; the derived part
 * (totals, waves) only for its rough shape, since merge recomputes it.
 */
export const reportSchema = z.strictObject({
  kind: z.literal(reportKind),
  version: z.literal(reportVersion),
  fleet: metaSchema,
  events: z.array(eventSchema).max(100_000),
  totals: z.record(z.string(), z.unknown()),
  waves: z.array(z.unknown()).max(100_000),
  processes: z.array(processSchema).max(fleetLimits.maxShards * 10),
  devices: z.array(deviceSchema).max(fleetLimits.maxDevices),
  labDps: z
    .strictObject({
      registrations: z.strictObject({ accepted: count, throttled: count }),
      polls: z.strictObject({ accepted: count, throttled: count }),
    })
    .nullable()
    .optional(),
  notes: z.array(z.string().max(2000)).max(10_000),
})
