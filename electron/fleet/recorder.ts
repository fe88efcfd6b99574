import type { ReportedEntry, StateKind, TimelineEntry } from '../../shared/domain'
import type { MoveKind } from '../../shared/timeline'
import type { DeviceSessionApi } from '../device/api'
import { fleetLimits } from './limits'

// What one device of the fleet did, as raw timestamps read off its session's events: each move
// with when the link was lost, noticed, replaced and first acknowledged, and what it cost in DPS
// registrations. Percentiles are computed later from these, never kept instead of them.

/** One failover or failback, raw. Times are ms since the epoch; hubs by their display label. */
export interface MoveRaw {
  kind: MoveKind
  from: string
  to: string
  /** When the old link was lost, as the engine counts it (a silent hub: its last packet). */
  lostAt: number | null
  /** When the device noticed (the timeline's `lost` entry): what attributes a move to an event. */
  detectedAt: number | null
  connectedAt: number
  /** Lost → connected on the new hub (the engine's figure); null after a deliberate stop. */
  connectedMs: number | null
  /** Lost → first message acknowledged there; null until one is. */
  firstAckMs: number | null
  firstAckAt: number | null
  /** DPS registrations DPS took, and 429s (requests it did not take), between the loss and the new link. */
  registrations: number
  throttled: number
}

/** A device that lost its hub and was not back when the run ended. */
export interface AwayRaw {
  hub: string
  detectedAt: number
}

/** Where a device is in its story, for the progress line. */
export type Phase = 'starting' | 'connected' | 'moving' | 'failed' | 'stopped'

export class DeviceRecorder {
  phase: Phase = 'starting'
  state: StateKind = 'idle'
  /** The hub host while connected. */
  hub: string | null = null
  /** Waiting after DPS answered 429 (cleared by the next state). */
  throttledNow = false
  readonly moves: MoveRaw[] = []
  movesDropped = 0
  /** Registrations it took to connect the first time (not a move's cost). */
  initialRegistrations: number | null = null
  firstConnectedAt: number | null = null
  registrations = 0
  throttles = 0
  /** Outbox items made this run (telemetry messages and reported patches), from the events. */
  produced = 0
  telemetryProduced = 0
  /** The last timeline entry that was a refusal, for a one-line reason when the start fails. */
  lastProblem: TimelineEntry | null = null
  private away: { hub: string; detectedAt: number } | null = null
  private segment = { registrations: 0, throttled: 0 }
  private lastMove: MoveRaw | null = null
  private readonly onTimeline = (e: TimelineEntry) => this.timeline(e)
  private readonly onTelemetry = () => {
    this.produced++
    this.telemetryProduced++
  }
  private readonly onReported = (r: ReportedEntry) => {
    // A patch appears once as `queued` when the outbox has it; later events are status changes.
    if (r.status === 'queued') this.produced++
  }

  constructor(
    private readonly session: DeviceSessionApi,
    private readonly label: (host: string) => string,
    private readonly changed: (r: DeviceRecorder) => void = () => {},
  ) {
    session.on('timeline', this.onTimeline)
    session.on('telemetry', this.onTelemetry)
    session.on('reported', this.onReported)
  }

  detach(): void {
    this.session.off('timeline', this.onTimeline)
    this.session.off('telemetry', this.onTelemetry)
    this.session.off('reported', this.onReported)
  }

  /** The loss that has not ended in a link yet, if any. */
  awayNow(): AwayRaw | null {
    return this.away && this.phase !== 'connected'
      ? { hub: this.label(this.away.hub), detectedAt: this.away.detectedAt }
      : null
  }

  private timeline(e: TimelineEntry): void {
    const cause = e.cause
    this.state = e.state
    this.throttledNow = false
    if (e.state === 'provisioning') {
      this.registrations++
      this.segment.registrations++
    }
    if (cause?.code === 'wait') {
      const why = cause.why
      if (why.code === 'dps-failed' && why.problem.kind === 'throttled') {
        // The request that met the 429 was counted when it started: DPS did not take it.
        this.registrations--
        this.segment.registrations--
        this.throttles++
        this.segment.throttled++
        this.throttledNow = true
      } else if (why.code !== 'dps-same-hub') this.lastProblem = e
    }
    if (cause?.code === 'failed' || cause?.code === 'id-conflict') this.lastProblem = e
    if (cause?.code === 'lost') {
      this.away = { hub: cause.hub, detectedAt: e.at }
      this.hub = null
      this.phase = 'moving'
    } else if (cause?.code === 'connected') {
      this.connected(e, cause)
    } else if (cause?.code === 'move-acked') {
      const m = this.lastMove
      if (m && m.kind === cause.move && m.firstAckMs === null) {
        m.firstAckMs = cause.ms
        m.firstAckAt = e.at
      }
    } else if (e.state === 'failed') {
      this.phase = 'failed'
      this.hub = null
    } else if (e.state === 'disconnected' || e.state === 'disconnecting') {
      this.phase = 'stopped'
      this.hub = null
    }
    this.changed(this)
  }

  private connected(
    e: TimelineEntry,
    cause: Extract<TimelineEntry['cause'], { code: 'connected' }>,
  ) {
    if (this.initialRegistrations === null) {
      this.initialRegistrations = this.segment.registrations
      this.firstConnectedAt = e.at
    }
    if (cause.move && cause.from) {
      const move: MoveRaw = {
        kind: cause.move,
        from: this.label(cause.from),
        to: this.label(cause.hub),
        lostAt: cause.ms !== null ? e.at - cause.ms : null,
        detectedAt: this.away?.detectedAt ?? null,
        connectedAt: e.at,
        connectedMs: cause.ms,
        firstAckMs: null,
        firstAckAt: null,
        registrations: this.segment.registrations,
        throttled: this.segment.throttled,
      }
      if (this.moves.length < fleetLimits.maxMovesPerDevice) this.moves.push(move)
      else this.movesDropped++
      this.lastMove = move
    } else this.lastMove = null
    this.segment = { registrations: 0, throttled: 0 }
    this.away = null
    this.hub = cause.hub
    this.phase = 'connected'
  }
}
