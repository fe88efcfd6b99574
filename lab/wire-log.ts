import type { WireEvent } from './exam/evidence'

/** One page of what the lab saw of a watched device. */
export interface WirePage {
  events: WireEvent[]
  /** Events the per-device bound has let go, in all. */
  dropped: number
  /** Of those, the ones after `after`: this reader never saw them. */
  missed: number
  /** Ask again with `after=next` for what follows (the serial of the last event given). */
  next: number
  /** More events match than this page holds. */
  more: boolean
}

interface Watch {
  until: number
  events: WireEvent[]
  /** The serial of events[0]: serials count every event recorded for this watch, from 1. */
  first: number
  dropped: number
}

/**
 * What the lab saw on the wire of the devices being examined, event by event. Only watched
 * devices are recorded (an exam asks for one), each up to a bound, so a lab holding ten thousand
 * devices keeps nothing for them and pays one Map lookup per message; a watch ends on its own
 * after an hour unless renewed.
 */
export class WireLog {
  private readonly watched = new Map<string, Watch>()

  constructor(
    private readonly perDevice = 20_000,
    private readonly maxWatched = 16,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts recording a device, or renews the watch of one already recorded (keeping what it has:
   * an exam that renews does not lose its evidence); false when too many are watched already.
   */
  watch(deviceId: string, forMs = 3_600_000): boolean {
    this.sweep()
    const w = this.watched.get(deviceId)
    if (w) {
      w.until = this.now() + forMs
      return true
    }
    if (this.watched.size >= this.maxWatched) return false
    this.watched.set(deviceId, { until: this.now() + forMs, events: [], first: 1, dropped: 0 })
    return true
  }

  unwatch(deviceId: string): boolean {
    return this.watched.delete(deviceId)
  }

  /** One Map lookup: whether an event for this device would be kept (callers skip building it). */
  has(deviceId: string): boolean {
    return this.watched.has(deviceId)
  }

  isWatched(deviceId: string): boolean {
    const w = this.watched.get(deviceId)
    return w !== undefined && w.until > this.now()
  }

  /** When the watch of this device ends (ms), or null. */
  until(deviceId: string): number | null {
    return this.isWatched(deviceId) ? this.watched.get(deviceId)!.until : null
  }

  get size(): number {
    this.sweep()
    return this.watched.size
  }

  /** Records an event for a watched device (a no-op for every other device). */
  add(deviceId: string, event: WireEvent): void {
    const w = this.watched.get(deviceId)
    if (!w) return
    if (w.until <= this.now()) return void this.watched.delete(deviceId)
    w.events.push(event)
    if (w.events.length > this.perDevice) {
      // Cut a tenth at a time: a full log costs one splice per 2,000 events, not a shift each.
      const cut = Math.max(1, Math.floor(this.perDevice / 10))
      w.events.splice(0, cut)
      w.first += cut
      w.dropped += cut
    }
  }

  /**
   * The events after serial `after` and at or after `since` (ms), oldest first, at most `limit`
   * of them; null when the device is not watched.
   */
  read(
    deviceId: string,
    opts: { since?: number; after?: number; limit?: number } = {},
  ): WirePage | null {
    if (!this.isWatched(deviceId)) return null
    const w = this.watched.get(deviceId)!
    const since = opts.since ?? 0
    const after = opts.after ?? 0
    const limit = Math.max(1, opts.limit ?? 5000)
    const events: WireEvent[] = []
    let i = Math.max(0, after - w.first + 1)
    let next = Math.max(after, w.first - 1)
    for (; i < w.events.length && events.length < limit; i++) {
      const e = w.events[i]!
      next = w.first + i
      if (e.at >= since) events.push(e)
    }
    return {
      events,
      dropped: w.dropped,
      missed: Math.max(0, w.first - 1 - after),
      next,
      more: i < w.events.length,
    }
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, w] of this.watched) if (w.until <= now) this.watched.delete(id)
  }
}
