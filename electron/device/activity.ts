import type { EventEmitter } from 'node:events'
import {
  TIMELINE_RETENTION,
  zeroCounters,
  type Counters,
  type InboundEntry,
  type ReportedEntry,
  type TelemetrySample,
  type TimelineEntry,
} from '../../shared/domain'
import type { DeviceSessionEvents } from './api'
import { Ring } from './logs'

/**
 * What the session has done, as the UI shows it: the counters, bounded logs of the timeline,
 * telemetry, inbound traffic and reported updates, and the reported document as last sent.
 */
export class Activity {
  readonly counters: Counters = zeroCounters()
  readonly timeline = new Ring<TimelineEntry>(TIMELINE_RETENTION)
  /** About thirty minutes of readings even at the fastest period (0.1 s): what the plot shows after a reload. */
  readonly telemetry = new Ring<TelemetrySample>(20_000)
  readonly inbound = new Ring<InboundEntry>(300)
  readonly reported = new Ring<ReportedEntry>(300)
  /** Reported values and desired-property acknowledgements, as this device last sent them. */
  readonly reportedValues: Record<string, unknown> = {}
  private readonly reportedOfOutbox = new Map<number, ReportedEntry>()
  private nextInboundId = 1
  private nextReportedId = 1

  constructor(private readonly events: Pick<EventEmitter<DeviceSessionEvents>, 'emit'>) {}

  addInbound(entry: Omit<InboundEntry, 'id' | 'at'>): void {
    const full: InboundEntry = { id: this.nextInboundId++, at: Date.now(), ...entry }
    this.inbound.push(full)
    this.events.emit('inbound', full)
  }

  /**
   * Logs a reported patch; `outboxId` ties it to the outbox item that carries it, and `at` is
   * when it was produced (a patch still queued from an earlier session keeps its own time).
   */
  addReported(
    patch: Record<string, unknown>,
    status: ReportedEntry['status'],
    outboxId?: number,
    at: number = Date.now(),
  ): ReportedEntry {
    const entry: ReportedEntry = { id: this.nextReportedId++, at, patch, status }
    if (outboxId !== undefined) this.reportedOfOutbox.set(outboxId, entry)
    this.reported.push(entry)
    this.events.emit('reported', { ...entry })
    return entry
  }

  setReportedStatus(entry: ReportedEntry, status: ReportedEntry['status']): void {
    entry.status = status
    this.reported.upsert({ ...entry })
    this.events.emit('reported', { ...entry })
  }

  /** The outbox item `outboxId` moved on; if it carries a reported patch, its entry follows. */
  setOutboxStatus(outboxId: number, status: ReportedEntry['status']): void {
    const entry = this.reportedOfOutbox.get(outboxId)
    if (!entry) return
    if (status === 'acknowledged' || status === 'failed') this.reportedOfOutbox.delete(outboxId)
    this.setReportedStatus(entry, status)
  }
}
