import type { EventChannel, EventPayloads } from '../../shared/contract'
import type { DeviceSessionApi } from '../device/api'
import type {
  InboundEntry,
  ReportedEntry,
  TelemetrySample,
  TimelineEntry,
} from '../../shared/domain'

export type EventSink = <E extends EventChannel>(event: E, payload: EventPayloads[E]) => void

export interface BatcherOptions {
  /** Minimum spacing of pushes per event kind (default 100 ms). */
  intervalMs?: number
  /** Upper bound of list items in one push (older ones of an overflowing batch are still sent, in more pushes). */
  maxBatch?: number
}

/**
 * Turns the engine's per-item events into at most one push per event kind every `intervalMs`.
 * `session:changed` carries only the latest snapshot; lists carry every item, in order; reported
 * entries are coalesced by id (the latest status wins). A device sending thousands of messages a
 * second therefore costs the renderer ~10 small messages a second.
 */
export class EventBatcher {
  private readonly interval: number
  private readonly maxBatch: number
  private session: DeviceSessionApi | null = null
  private changedDirty = false
  private timeline: TimelineEntry[] = []
  private telemetry: TelemetrySample[] = []
  private inbound: InboundEntry[] = []
  private reported = new Map<number, ReportedEntry>()
  private timer: NodeJS.Timeout | null = null
  private lastFlush = 0
  private closed = false

  private readonly onChanged = () => {
    this.changedDirty = true
    this.schedule()
  }
  private readonly onTimeline = (e: TimelineEntry) => {
    this.timeline.push(e)
    this.schedule()
  }
  private readonly onTelemetry = (s: TelemetrySample) => {
    this.telemetry.push(s)
    // A runaway device must not grow this without bound between flushes.
    if (this.telemetry.length > this.maxBatch * 4)
      this.telemetry.splice(0, this.telemetry.length - this.maxBatch * 4)
    this.schedule()
  }
  private readonly onInbound = (e: InboundEntry) => {
    this.inbound.push(e)
    this.schedule()
  }
  private readonly onReported = (e: ReportedEntry) => {
    this.reported.delete(e.id)
    this.reported.set(e.id, e)
    this.schedule()
  }

  constructor(
    private readonly sink: EventSink,
    options: BatcherOptions = {},
  ) {
    this.interval = options.intervalMs ?? 100
    this.maxBatch = options.maxBatch ?? 500
  }

  /** Follows a (new) session; detaches from the previous one and drops what it had pending. */
  attach(session: DeviceSessionApi | null): void {
    if (this.session) {
      this.session.off('changed', this.onChanged)
      this.session.off('timeline', this.onTimeline)
      this.session.off('telemetry', this.onTelemetry)
      this.session.off('inbound', this.onInbound)
      this.session.off('reported', this.onReported)
    }
    this.timeline = []
    this.telemetry = []
    this.inbound = []
    this.reported.clear()
    this.changedDirty = false
    this.session = session
    if (session) {
      session.on('changed', this.onChanged)
      session.on('timeline', this.onTimeline)
      session.on('telemetry', this.onTelemetry)
      session.on('inbound', this.onInbound)
      session.on('reported', this.onReported)
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return
    const wait = Math.max(0, this.lastFlush + this.interval - Date.now())
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush()
    }, wait)
    this.timer.unref?.()
  }

  /** Sends everything pending now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    this.lastFlush = Date.now()
    const session = this.session
    if (this.timeline.length) this.sendList('timeline:added', this.timeline.splice(0))
    if (this.inbound.length) this.sendList('inbound:added', this.inbound.splice(0))
    if (this.reported.size) {
      const items = [...this.reported.values()]
      this.reported.clear()
      this.sendList('reported:changed', items)
    }
    if (this.telemetry.length) this.sendList('telemetry:added', this.telemetry.splice(0))
    if (this.changedDirty && session) {
      this.changedDirty = false
      this.sink('session:changed', session.snapshot())
    }
  }

  private sendList<
    E extends 'timeline:added' | 'inbound:added' | 'reported:changed' | 'telemetry:added',
  >(event: E, items: EventPayloads[E]): void {
    for (let i = 0; i < items.length; i += this.maxBatch) {
      this.sink(event, items.slice(i, i + this.maxBatch) as EventPayloads[E])
    }
  }

  close(): void {
    this.attach(null)
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
