import type { MoveKind } from '../../shared/timeline'
import type { AwayRaw, MoveRaw } from './recorder'
import { type Percentiles, percentiles } from './percentiles'

// Waves: the moves one event caused (an outage's failover, its failback after the rebalance, a
// manual failover of a tenth of the fleet), and how long until 50/95/100 % of those devices were
// back — computed from each device's raw timestamps, so merged reports give exact figures.

/** Something the fleet (its scenario) did to the lab, or the lab announced it would do. */
export interface FleetEvent {
  at: number
  text: string
  /** Whether devices move because of it (an outage's start, a rebalance, a manual failover). */
  moves: boolean
}

export interface WaveDevice {
  id: string
  home: string | null
  moves: MoveRaw[]
  away: AwayRaw | null
}

export interface Wave {
  kind: MoveKind
  /** The event's index in the report's events, or null: no event known, grouped by time. */
  event: number | null
  cause: string
  /** The event's time (or, without one, the first device's loss): what the figures count from. */
  t0: number
  /** Devices in the wave: those back plus those still away at the end. */
  devices: number
  back: number
  notBack: number
  /** More moves of the same devices within the wave (a flapping hub). */
  extraMoves: number
  registrations: number
  registrationsPerDevice: number | null
  throttled: number
  /** t0 → connected on the new hub. */
  backMs: Percentiles
  /** t0 → the first message acknowledged there. */
  ackMs: Percentiles
  /** Each device's own lost → connected, the engine's figure. */
  moveMs: Percentiles
}

/** Moves without an event that follow each other closer than this make one wave. */
export const waveGapMs = 30_000

/** When a move is said to have begun: when the device noticed the loss, else when it was lost. */
const startOf = (m: MoveRaw) => m.detectedAt ?? m.lostAt ?? m.connectedAt

interface Member {
  device: string
  at: number
  move: MoveRaw | null
}

/** The events in report order: by time, then text (merging shards must give one order). */
export function sortEvents(events: FleetEvent[]): FleetEvent[] {
  return [...events].sort((a, b) => a.at - b.at || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
}

export function computeWaves(devices: WaveDevice[], sortedEvents: FleetEvent[]): Wave[] {
  const causes = sortedEvents.map((e, i) => ({ ...e, i })).filter((e) => e.moves)
  /** The latest causing event at or before `at`, or -1. */
  const causeOf = (at: number) => {
    let lo = 0
    let hi = causes.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (causes[mid]!.at <= at) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }
  const groups = new Map<string, { kind: MoveKind; cause: number; members: Member[] }>()
  const add = (kind: MoveKind, at: number, member: Member) => {
    const c = causeOf(at)
    const key = `${c}:${kind}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { kind, cause: c, members: [] }))
    g.members.push(member)
  }
  for (const d of devices) {
    for (const m of d.moves) add(m.kind, startOf(m), { device: d.id, at: startOf(m), move: m })
    if (d.away) {
      // Not back yet: from home it was failing over; from elsewhere, back home.
      const kind: MoveKind = d.home === null || d.away.hub === d.home ? 'failover' : 'failback'
      add(kind, d.away.detectedAt, { device: d.id, at: d.away.detectedAt, move: null })
    }
  }
  const waves: Wave[] = []
  for (const g of groups.values()) {
    if (g.cause >= 0) {
      const e = causes[g.cause]!
      waves.push(wave(g.kind, e.i, e.text, e.at, g.members))
      continue
    }
    // No event to hang them on: clusters of moves in time.
    const sorted = [...g.members].sort((a, b) => a.at - b.at)
    let cluster: Member[] = []
    for (const m of sorted) {
      if (cluster.length && m.at - cluster[cluster.length - 1]!.at > waveGapMs) {
        waves.push(unattributed(g.kind, cluster))
        cluster = []
      }
      cluster.push(m)
    }
    if (cluster.length) waves.push(unattributed(g.kind, cluster))
  }
  return waves.sort((a, b) => a.t0 - b.t0 || (a.kind < b.kind ? -1 : 1))
}

function unattributed(kind: MoveKind, members: Member[]): Wave {
  return wave(kind, null, `${kind}s with no known event`, members[0]!.at, members)
}

function wave(
  kind: MoveKind,
  event: number | null,
  cause: string,
  t0: number,
  members: Member[],
): Wave {
  // One entry per device: its first move in the wave (by when it began); more are counted.
  const byDevice = new Map<string, Member>()
  let extraMoves = 0
  for (const m of [...members].sort((a, b) => a.at - b.at || (a.device < b.device ? -1 : 1))) {
    const had = byDevice.get(m.device)
    if (!had) byDevice.set(m.device, m)
    else if (m.move) {
      extraMoves++
      // A device that was away and then moved: the move is what it did.
      if (!had.move) byDevice.set(m.device, m)
    }
  }
  const back: MoveRaw[] = []
  let notBack = 0
  let registrations = 0
  let throttled = 0
  for (const m of byDevice.values()) {
    if (m.move) {
      back.push(m.move)
      registrations += m.move.registrations
      throttled += m.move.throttled
    } else notBack++
  }
  const devices = back.length + notBack
  const acked = back.filter((m) => m.firstAckAt !== null)
  return {
    kind,
    event,
    cause,
    t0,
    devices,
    back: back.length,
    notBack,
    extraMoves,
    registrations,
    registrationsPerDevice: back.length ? round2(registrations / back.length) : null,
    throttled,
    backMs: percentiles(
      back.map((m) => m.connectedAt - t0),
      notBack,
    ),
    ackMs: percentiles(
      acked.map((m) => m.firstAckAt! - t0),
      devices - acked.length,
    ),
    moveMs: percentiles(
      back.filter((m) => m.connectedMs !== null).map((m) => m.connectedMs!),
      notBack,
    ),
  }
}

export const round2 = (x: number) => Math.round(x * 100) / 100
