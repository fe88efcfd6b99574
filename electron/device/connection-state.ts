import type { ConnectionState, TimelineEntry } from '../../shared/domain'
import { type HubNamer, type TimelineCause, describeCause, hubNamer } from '../../shared/timeline'

export type EntryExtras = Pick<TimelineEntry, 'mark' | 'durationMs' | 'hub'>

/**
 * The connection state and its history: every transition becomes a timeline entry with the
 * time, the cause as data and the cause in words, so the UI (and a user reading an export) can
 * follow exactly what the device did and why.
 */
export class ConnectionStateTracker {
  private current: ConnectionState = { kind: 'idle' }
  private nextId = 1

  constructor(
    private readonly record: (entry: TimelineEntry) => void,
    private readonly name: HubNamer = hubNamer(),
    private readonly now: () => number = Date.now,
  ) {}

  get state(): ConnectionState {
    return this.current
  }

  set(state: ConnectionState, cause: TimelineCause, extras: EntryExtras = {}): TimelineEntry {
    this.current = state
    return this.note(cause, extras)
  }

  /** An entry about the current state without changing it (e.g. a failover's first ack). */
  note(cause: TimelineCause, extras: EntryExtras = {}): TimelineEntry {
    const s = this.current
    const hub = extras.hub ?? ('hub' in s ? s.hub : undefined)
    const entry: TimelineEntry = {
      id: this.nextId++,
      at: this.now(),
      state: s.kind,
      cause,
      reason: describeCause(cause, this.name),
      ...extras,
      ...(hub ? { hub } : {}),
    }
    this.record(entry)
    return entry
  }
}
