import { z } from 'zod'
import type {
  InboundEntry,
  ReportedEntry,
  SessionSnapshot,
  TelemetrySample,
  TimelineEntry,
} from './domain'

// The window's fleet view: a small fleet (up to a few hundred of the same DeviceSession) run by the
// app against its embedded lab, and what the view is drawn from. Types and bounds only: the
// fleet itself is electron/fleet's, run by electron/core/fleet-runner.ts.

export const fleetViewLimits = {
  /** The app runs a small fleet; larger ones are the fleet CLI's (npx fleet). */
  maxDevices: 500,
  defaultDevices: 100,
  defaultPrefix: 'fleet',
  /** The id is `{prefix}-{index}`, a DPS registration id: the fleet runner's own bound. */
  maxPrefixChars: 64,
  defaultTelemetryMs: 10_000,
  /** A few hundred devices at 0.1 s would be thousands of messages a second for one window. */
  minTelemetryMs: 1000,
  maxTelemetryMs: 3_600_000,
  /** Points of the wave series: past this it is thinned (every other point goes). */
  maxPoints: 600,
  maxMarkers: 100,
  maxWaves: 10,
  slowest: 10,
  /** Minutes of the lab's per-minute quota counts shown. */
  quotaMinutes: 10,
  /** A device's view: at most this many list items in one answer. */
  maxTimelineItems: 2000,
  maxTelemetryItems: 2000,
  maxInboundItems: 500,
  maxReportedItems: 200,
} as const

/** The fleet runner's prefix rule (DPS registration ids: letters, digits, - . _ :). */
export const fleetPrefixPattern = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?$/

export const fleetPrefixSchema = z
  .string()
  .min(1, 'prefix: 1 to 64 characters')
  .max(fleetViewLimits.maxPrefixChars, 'prefix: 1 to 64 characters')
  .regex(
    fleetPrefixPattern,
    'prefix: letters, digits and - . _ : (starting and ending with a letter or digit)',
  )

export const fleetStartSchema = z.object({
  devices: z
    .number()
    .int('devices: a whole number')
    .min(1, `devices: 1 to ${fleetViewLimits.maxDevices}`)
    .max(fleetViewLimits.maxDevices, `devices: 1 to ${fleetViewLimits.maxDevices}`),
  prefix: fleetPrefixSchema.optional(),
  telemetryMs: z
    .number()
    .int()
    .min(fleetViewLimits.minTelemetryMs, 'telemetryMs: 1 s to 1 h')
    .max(fleetViewLimits.maxTelemetryMs, 'telemetryMs: 1 s to 1 h')
    .optional(),
})
export type FleetStartRequest = z.infer<typeof fleetStartSchema>

/** A fleet device id: `{prefix}-{index}`. */
export const fleetDeviceIdSchema = z
  .string()
  .min(3)
  .max(fleetViewLimits.maxPrefixChars + 12)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?-(?:0|[1-9]\d{0,8})$/, 'a fleet device id')

const cursor = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional()

export const fleetDeviceRequestSchema = z.object({
  id: fleetDeviceIdSchema,
  /** Only what came after these (the last timeline/inbound id, the last telemetry seq seen). */
  timelineAfter: cursor,
  telemetryAfter: cursor,
  inboundAfter: cursor,
})
export type FleetDeviceRequest = z.infer<typeof fleetDeviceRequestSchema>

export type FleetStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed'

/** One sample of the wave chart: devices connected per hub, lost and not back, not connected yet. */
export interface FleetPoint {
  at: number
  /** Connected to hub A, to hub B. */
  a: number
  b: number
  /** Lost their hub and not connected again yet. */
  away: number
  /** Not connected for the first time yet, or given up. */
  waiting: number
}

/** DPS registrations the lab accepted and throttled per second, at one reading of its counts. */
export interface FleetDpsPoint {
  at: number
  accepted: number
  throttled: number
}

export type FleetMarkerKind = 'hub-down' | 'hub-up' | 'dps-away' | 'dps-home' | 'dps'

/** Something that happened to the lab (or the fleet) while it ran, drawn on the wave chart. */
export interface FleetMarker {
  at: number
  kind: FleetMarkerKind
  /** 'A' or 'B' for a hub's events. */
  hub: string | null
  text: string
}

export interface FleetWaveView {
  kind: 'failover' | 'failback'
  cause: string
  t0: number
  devices: number
  back: number
  notBack: number
  registrations: number
  registrationsPerDevice: number | null
  throttled: number
  /** Event → connected on the new hub, ms: 50 / 95 / 100 % of the wave's devices. */
  p50: number | null
  p95: number | null
  p100: number | null
}

/** One of the slowest devices of the last wave. */
export interface FleetSlowDevice {
  id: string
  /** The wave's event → connected again; null while it is not back. */
  backMs: number | null
  /** Not back: how long it has been away so far. */
  awayMs: number | null
  registrations: number
  throttled: number
  /** Where it is now (a hub label), null when not connected. */
  hub: string | null
}

export interface FleetQuotaCount {
  accepted: number
  throttled: number
}

export interface FleetQuotaMinute {
  minute: string
  registrations: FleetQuotaCount
  polls: FleetQuotaCount
  hubA: FleetQuotaCount
  hubB: FleetQuotaCount
}

/** What the lab's control API counted (GET /stats, with the limits in force from GET /quotas). */
export interface FleetLabView {
  at: number
  /** The quotas in force: 0 is off. */
  limits: {
    dpsRate: number
    dpsBurstInForce: number | null
    pollLimit: number
    pollWindowSec: number
    hubConnectRate: number
  }
  totals: {
    registrations: FleetQuotaCount
    polls: FleetQuotaCount
    hubA: FleetQuotaCount
    hubB: FleetQuotaCount
  }
  /** The latest minutes, oldest first. */
  perMinute: FleetQuotaMinute[]
  /** DPS registrations accepted / throttled per second, over the last poll. */
  dpsPerSecond: { accepted: number; throttled: number } | null
  /** Registered devices by home hub, and connected now, as the lab counts them. */
  homeHubs: { a: number; b: number }
  connected: { a: number; b: number }
}

export interface FleetTotals {
  registrations: number
  throttles: number
  moves: number
  /** Telemetry messages and reported patches made by the fleet's devices. */
  produced: number
  acknowledged: number
  queued: number
  /** Known once the fleet stopped: produced − acknowledged − queued (0 is the point). */
  lost: number | null
}

export interface FleetSnapshot {
  /** Whether a fleet can run now (the embedded lab is in use and running), and why not. */
  available: boolean
  unavailableReason: string | null
  status: FleetStatus
  /** Why the fleet stopped by itself or could not start, in a line. */
  problem: string | null
  prefix: string | null
  devices: number
  telemetryMs: number | null
  startedAt: number | null
  endedAt: number | null
  /** Devices whose connect the ramp has issued. */
  started: number
  /** Connected devices per hub label, A and B first. */
  hubs: { label: string; connected: number }[]
  connected: number
  moving: number
  starting: number
  failed: number
  throttledNow: number
  totals: FleetTotals
  series: FleetPoint[]
  /** DPS accepted / throttled per second while the fleet ran, as bounded as `series`. */
  dps: FleetDpsPoint[]
  markers: FleetMarker[]
  /** The latest waves (devices moved by one event), oldest first. */
  waves: FleetWaveView[]
  /** The slowest devices of the last wave, slowest first; those not back come first. */
  slowest: FleetSlowDevice[]
  lab: FleetLabView | null
  /** Why the lab's counts could not be read. */
  labProblem: string | null
}

/** One fleet device, for the single-device view (read-only): the same data the device has. */
export interface FleetDeviceDetail {
  id: string
  /** The fleet is still running (the device is live) or stopped (what it had when it stopped). */
  live: boolean
  snapshot: SessionSnapshot
  timeline: TimelineEntry[]
  telemetry: TelemetrySample[]
  inbound: InboundEntry[]
  reported: ReportedEntry[]
}

/** The snapshot of a fleet that never ran. */
export function idleFleetSnapshot(available: boolean, reason: string | null): FleetSnapshot {
  return {
    available,
    unavailableReason: reason,
    status: 'idle',
    problem: null,
    prefix: null,
    devices: 0,
    telemetryMs: null,
    startedAt: null,
    endedAt: null,
    started: 0,
    hubs: [
      { label: 'A', connected: 0 },
      { label: 'B', connected: 0 },
    ],
    connected: 0,
    moving: 0,
    starting: 0,
    failed: 0,
    throttledNow: 0,
    totals: {
      registrations: 0,
      throttles: 0,
      moves: 0,
      produced: 0,
      acknowledged: 0,
      queued: 0,
      lost: null,
    },
    series: [],
    dps: [],
    markers: [],
    waves: [],
    slowest: [],
    lab: null,
    labProblem: null,
  }
}
