import { z } from 'zod'
import type {
  FleetDpsPoint,
  FleetLabView,
  FleetMarker,
  FleetPoint,
  FleetQuotaCount,
  FleetSlowDevice,
  FleetSnapshot,
  FleetTotals,
  FleetWaveView,
} from '../../shared/fleet-view'
import { fleetViewLimits } from '../../shared/fleet-view'
import type { FleetProgress } from '../fleet/fleet'
import {
  computeWaves,
  sortEvents,
  type FleetEvent,
  type Wave,
  type WaveDevice,
} from '../fleet/waves'

// The fleet view's snapshot, as pure functions of what the fleet runner holds: the fleet's progress,
// each device's raw moves (the waves and their percentiles are electron/fleet's own), the series
// and markers kept so far, and what the lab's control API answered. Nothing here keeps state.

/** A device as the snapshot needs it: its raw moves and loss (the recorder's), where it is now. */
export interface SnapshotDevice extends WaveDevice {
  /** The hub label it is connected to now, or null. */
  hub: string | null
}

export interface SnapshotInput {
  base: Pick<
    FleetSnapshot,
    | 'available'
    | 'unavailableReason'
    | 'status'
    | 'problem'
    | 'prefix'
    | 'devices'
    | 'telemetryMs'
    | 'startedAt'
    | 'endedAt'
  >
  progress: FleetProgress | null
  devices: readonly SnapshotDevice[]
  /** Summed over the devices' counters (acknowledged, queued), and lost once the fleet stopped. */
  counters: Pick<FleetTotals, 'acknowledged' | 'queued' | 'lost'>
  series: readonly FleetPoint[]
  dps: readonly FleetDpsPoint[]
  markers: readonly FleetMarker[]
  lab: FleetLabView | null
  labProblem: string | null
  now: number
}

/** The lab's hubs are A and B; any other label (none in the lab) comes after them. */
function hubList(connected: Record<string, number>): FleetSnapshot['hubs'] {
  const labels = [
    'A',
    'B',
    ...Object.keys(connected)
      .filter((l) => l !== 'A' && l !== 'B')
      .sort(),
  ]
  return labels.map((label) => ({ label, connected: connected[label] ?? 0 }))
}

/** The markers that make devices move: a hub going down, DPS sending devices home. */
export function waveEvents(markers: readonly FleetMarker[]): FleetEvent[] {
  return sortEvents(
    markers.map((m) => ({
      at: m.at,
      text: m.text,
      moves: m.kind === 'hub-down' || m.kind === 'dps-home',
    })),
  )
}

function waveView(w: Wave): FleetWaveView {
  return {
    kind: w.kind,
    cause: w.cause,
    t0: w.t0,
    devices: w.devices,
    back: w.back,
    notBack: w.notBack,
    registrations: w.registrations,
    registrationsPerDevice: w.registrationsPerDevice,
    throttled: w.throttled,
    p50: w.backMs.p50,
    p95: w.backMs.p95,
    p100: w.backMs.p100,
  }
}

/**
 * The slowest devices of `last`: each device's own part of that wave, computed by the same
 * computeWaves over that device alone (the same events, so the same attribution), slowest first,
 * the ones not back before all others.
 */
export function slowestOf(
  last: Wave,
  devices: readonly SnapshotDevice[],
  events: FleetEvent[],
  now: number,
  n: number = fleetViewLimits.slowest,
): FleetSlowDevice[] {
  const rows: FleetSlowDevice[] = []
  for (const d of devices) {
    if (d.moves.length === 0 && !d.away) continue
    const mine = computeWaves([d], events).find(
      (w) =>
        w.kind === last.kind &&
        (last.event !== null ? w.event === last.event : w.event === null && w.t0 >= last.t0),
    )
    if (!mine || mine.devices === 0) continue
    const back = mine.back > 0 && mine.backMs.p100 !== null
    rows.push({
      id: d.id,
      backMs: back ? mine.backMs.p100! + (mine.t0 - last.t0) : null,
      awayMs: back ? null : Math.max(0, now - last.t0),
      registrations: mine.registrations,
      throttled: mine.throttled,
      hub: d.hub,
    })
  }
  rows.sort((a, b) => {
    if ((a.backMs === null) !== (b.backMs === null)) return a.backMs === null ? -1 : 1
    if (a.backMs === null) return (b.awayMs ?? 0) - (a.awayMs ?? 0) || (a.id < b.id ? -1 : 1)
    return b.backMs! - a.backMs || (a.id < b.id ? -1 : 1)
  })
  return rows.slice(0, n)
}

export function buildFleetSnapshot(input: SnapshotInput): FleetSnapshot {
  const p = input.progress
  const events = waveEvents(input.markers)
  const waves = p ? computeWaves([...input.devices], events) : []
  const last = waves.reduce<Wave | null>((a, w) => (!a || w.t0 >= a.t0 ? w : a), null)
  const connected = p ? Object.values(p.connected).reduce((a, b) => a + b, 0) : 0
  return {
    ...input.base,
    started: p?.started ?? 0,
    hubs: hubList(p?.connected ?? {}),
    connected,
    moving: p?.moving ?? 0,
    starting: p?.starting ?? 0,
    failed: p?.failed ?? 0,
    throttledNow: p?.throttledNow ?? 0,
    totals: {
      registrations: p?.registrations ?? 0,
      throttles: p?.throttles ?? 0,
      moves: p?.moves ?? 0,
      produced: p?.produced ?? 0,
      ...input.counters,
    },
    series: [...input.series],
    dps: [...input.dps],
    markers: [...input.markers],
    waves: waves.slice(-fleetViewLimits.maxWaves).map(waveView),
    slowest: last ? slowestOf(last, input.devices, events, input.now) : [],
    lab: input.lab,
    labProblem: input.labProblem,
  }
}

/** A progress reading as a point of the wave chart. */
export function pointOf(p: FleetProgress, at: number): FleetPoint {
  const a = p.connected['A'] ?? 0
  const b = p.connected['B'] ?? 0
  const others = Object.entries(p.connected)
    .filter(([l]) => l !== 'A' && l !== 'B')
    .reduce((s, [, n]) => s + n, 0)
  return { at, a: a + others, b, away: p.moving, waiting: p.devices - a - b - others - p.moving }
}

const sameCounts = (x: FleetPoint, y: FleetPoint) =>
  x.a === y.a && x.b === y.b && x.away === y.away && x.waiting === y.waiting
const sameRates = (x: FleetDpsPoint, y: FleetDpsPoint) =>
  x.accepted === y.accepted && x.throttled === y.throttled

/**
 * `list` with `p` added, never longer than `max`: a run of equal values keeps its first and last
 * point only (the chart draws the same line), and past `max` every other point goes (the first
 * and the newest stay), so a run of any length is drawn from at most `max` points.
 */
function appendThinned<T extends { at: number }>(
  list: readonly T[],
  p: T,
  max: number,
  same: (x: T, y: T) => boolean,
): T[] {
  const n = list.length
  let next: T[]
  if (n >= 2 && same(list[n - 1]!, p) && same(list[n - 2]!, p)) next = [...list.slice(0, n - 1), p]
  else next = [...list, p]
  if (next.length <= max) return next
  return next.filter((_, i) => i % 2 === 0 || i === next.length - 1)
}

export const appendPoint = (
  list: readonly FleetPoint[],
  p: FleetPoint,
  max: number = fleetViewLimits.maxPoints,
): FleetPoint[] => appendThinned(list, p, max, sameCounts)

export const appendDpsPoint = (
  list: readonly FleetDpsPoint[],
  p: FleetDpsPoint,
  max: number = fleetViewLimits.maxPoints,
): FleetDpsPoint[] => appendThinned(list, p, max, sameRates)

export function appendMarkers(
  list: readonly FleetMarker[],
  added: readonly FleetMarker[],
  max: number = fleetViewLimits.maxMarkers,
): FleetMarker[] {
  if (!added.length) return list as FleetMarker[]
  const next = [...list, ...added].sort((a, b) => a.at - b.at)
  return next.length > max ? next.slice(next.length - max) : next
}

/**
 * A hub's kill as the lab records it: the time is taken once its sockets are closed, so the
 * quickest devices notice the loss a little before it. The kill happened no later than the first
 * of them: a marker is moved back to the earliest loss of that hub within `windowMs` before it,
 * and the wave counts from there, every device of it attributed to it.
 */
export function settleDownTimes(
  markers: readonly FleetMarker[],
  devices: readonly SnapshotDevice[],
  windowMs = 2000,
): FleetMarker[] {
  return markers.map((m) => {
    if (m.kind !== 'hub-down' || m.hub === null) return m
    let first = m.at
    const seen = (hub: string, at: number | null) => {
      if (hub === m.hub && at !== null && at < first && at >= m.at - windowMs) first = at
    }
    for (const d of devices) {
      for (const mv of d.moves) seen(mv.from, mv.detectedAt ?? mv.lostAt)
      if (d.away) seen(d.away.hub, d.away.detectedAt)
    }
    return first === m.at ? m : { ...m, at: first }
  })
}

// ---------------------------------------------------------------------------------------------
// The lab, as its control API answers (another process: every answer is checked).

const count = z.number().int().min(0)
const quotaCount = z.object({
  accepted: count,
  throttled: count,
  perMinute: z
    .array(z.object({ minute: z.string().max(40), accepted: count, throttled: count }))
    .max(1000),
})

export const labStatsSchema = z.object({
  at: z.string().max(40),
  quotas: z.object({
    dpsRate: count,
    dpsBurstInForce: count.nullable(),
    pollLimit: count,
    pollWindowSec: count,
    hubConnectRate: count,
  }),
  dpsRegistrations: quotaCount,
  dpsPolls: quotaCount,
  hubConnects: z.object({ a: quotaCount, b: quotaCount }),
  homeHubs: z.object({ a: count, b: count }),
  connected: z.object({ a: count, b: count }),
})
export type LabStatsAnswer = z.infer<typeof labStatsSchema>

const hubView = z.object({
  mode: z.string().max(40),
  since: z.string().max(40),
  dps: z.object({
    available: z.boolean(),
    detectAt: z.string().max(40).nullable(),
    rebalanceAt: z.string().max(40).nullable(),
  }),
})
export const labStatusSchema = z.object({
  hubs: z.object({ a: hubView, b: hubView }),
  dps: z.object({ mode: z.string().max(40) }),
})
export type LabStatusAnswer = z.infer<typeof labStatusSchema>

const totalOf = (q: z.infer<typeof quotaCount>): FleetQuotaCount => ({
  accepted: q.accepted,
  throttled: q.throttled,
})

/** GET /stats as the view shows it; DPS per second from the previous reading, when there is one. */
export function labViewOf(
  s: LabStatsAnswer,
  prev: FleetLabView | null,
  minutes: number = fleetViewLimits.quotaMinutes,
): FleetLabView {
  const at = Date.parse(s.at)
  const registrations = totalOf(s.dpsRegistrations)
  const dt = prev ? (at - prev.at) / 1000 : 0
  const rate = (now: number, before: number) =>
    Math.round((Math.max(0, now - before) / dt) * 10) / 10
  const byMinute = new Map<string, FleetLabView['perMinute'][number]>()
  const zero = () => ({ accepted: 0, throttled: 0 })
  const row = (minute: string) => {
    let r = byMinute.get(minute)
    if (!r)
      byMinute.set(
        minute,
        (r = { minute, registrations: zero(), polls: zero(), hubA: zero(), hubB: zero() }),
      )
    return r
  }
  const add = (q: z.infer<typeof quotaCount>, k: 'registrations' | 'polls' | 'hubA' | 'hubB') => {
    for (const m of q.perMinute) row(m.minute)[k] = { accepted: m.accepted, throttled: m.throttled }
  }
  add(s.dpsRegistrations, 'registrations')
  add(s.dpsPolls, 'polls')
  add(s.hubConnects.a, 'hubA')
  add(s.hubConnects.b, 'hubB')
  const perMinute = [...byMinute.values()]
    .sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0))
    .slice(-minutes)
  return {
    at,
    limits: s.quotas,
    totals: {
      registrations,
      polls: totalOf(s.dpsPolls),
      hubA: totalOf(s.hubConnects.a),
      hubB: totalOf(s.hubConnects.b),
    },
    perMinute,
    dpsPerSecond:
      prev && dt > 0
        ? {
            accepted: rate(registrations.accepted, prev.totals.registrations.accepted),
            throttled: rate(registrations.throttled, prev.totals.registrations.throttled),
          }
        : (prev?.dpsPerSecond ?? null),
    homeHubs: s.homeHubs,
    connected: s.connected,
  }
}

const time = (iso: string | null, fallback: number) => {
  const t = iso === null ? NaN : Date.parse(iso)
  return Number.isFinite(t) ? t : fallback
}

/**
 * What changed in the lab between two readings of GET /lab, as markers: a hub killed,
 * blackholed or restored (at the time the lab records), DPS routing a hub's devices to the other
 * hub or home again (at the time it had planned), DPS throttled or stopped. The first reading
 * says nothing: it is where the story starts.
 */
export function labMarkers(
  prev: LabStatusAnswer | null,
  next: LabStatusAnswer,
  now: number,
): FleetMarker[] {
  if (!prev) return []
  const out: FleetMarker[] = []
  for (const h of ['a', 'b'] as const) {
    const before = prev.hubs[h]
    const after = next.hubs[h]
    const hub = h.toUpperCase()
    const other = h === 'a' ? 'B' : 'A'
    if (before.mode !== after.mode || before.since !== after.since) {
      const at = time(after.since, now)
      if (after.mode === 'up') out.push({ at, kind: 'hub-up', hub, text: `hub ${hub} restored` })
      else out.push({ at, kind: 'hub-down', hub, text: `hub ${hub} ${after.mode}` })
    }
    if (before.dps.available && !after.dps.available)
      out.push({
        at: time(before.dps.detectAt, now),
        kind: 'dps-away',
        hub,
        text: `DPS sends hub ${hub}'s devices to ${other}`,
      })
    else if (!before.dps.available && after.dps.available)
      out.push({
        at: time(before.dps.rebalanceAt, now),
        kind: 'dps-home',
        hub,
        text: `DPS sends hub ${hub}'s devices home`,
      })
  }
  if (prev.dps.mode !== next.dps.mode)
    out.push({
      at: now,
      kind: 'dps',
      hub: null,
      text: next.dps.mode === 'up' ? 'DPS restored' : `DPS ${next.dps.mode}`,
    })
  // An answer from a lab that came up again says nothing of a time before it.
  return out.filter((m) => Number.isFinite(m.at)).sort((a, b) => a.at - b.at)
}
