import type { ConnectionState, TimelineEntry } from '../../shared/domain'

export type EntryExtras = Pick<TimelineEntry, 'mark' | 'durationMs' | 'hub'>

/**
 * The connection state and its history: every transition becomes a timeline entry with the
 * time and the reason in plain words, so the UI (and a user reading an export) can follow
 * exactly what the device did and why.
 */
export class ConnectionStateTracker {
  private current: ConnectionState = { kind: 'idle' }
  private nextId = 1

  constructor(
    private readonly record: (entry: TimelineEntry) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): ConnectionState {
    return this.current
  }

  set(state: ConnectionState, reason: string, extras: EntryExtras = {}): TimelineEntry {
    this.current = state
    return this.note(reason, extras)
  }

  /** An entry about the current state without changing it (e.g. a failover completing). */
  note(reason: string, extras: EntryExtras = {}): TimelineEntry {
    const s = this.current
    const hub = extras.hub ?? ('hub' in s ? s.hub : undefined)
    const entry: TimelineEntry = {
      id: this.nextId++,
      at: this.now(),
      state: s.kind,
      reason,
      ...extras,
      ...(hub ? { hub } : {}),
    }
    this.record(entry)
    return entry
  }
}
