import type { WireEvent } from './exam/evidence'

/**
 * What the lab saw on the wire of the devices being examined, event by event. Only watched
 * devices are recorded (an exam asks for one), each up to a bound, so a lab holding ten thousand
 * devices keeps nothing for them; a watch ends on its own after an hour.
 */
export class WireLog {
  private readonly watched = new Map<
    string,
    { until: number; events: WireEvent[]; dropped: number }
  >()

  constructor(
    private readonly perDevice = 20_000,
    private readonly maxWatched = 16,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts (or restarts) recording a device; false when too many are watched already. */
  watch(deviceId: string, forMs = 3_600_000): boolean {
    this.sweep()
    if (!this.watched.has(deviceId) && this.watched.size >= this.maxWatched) return false
    this.watched.set(deviceId, { until: this.now() + forMs, events: [], dropped: 0 })
    return true
  }

  unwatch(deviceId: string): void {
    this.watched.delete(deviceId)
  }

  isWatched(deviceId: string): boolean {
    const w = this.watched.get(deviceId)
    return w !== undefined && w.until > this.now()
  }

  /** Records an event for a watched device (a no-op for every other device). */
  add(deviceId: string, event: WireEvent): void {
    const w = this.watched.get(deviceId)
    if (!w) return
    if (w.until <= this.now()) return void this.watched.delete(deviceId)
    if (w.events.length >= this.perDevice) {
      w.events.shift()
      w.dropped++
    }
    w.events.push(event)
  }

  /** The events since `since` (ms), oldest first, and how many older ones the bound let go. */
  read(deviceId: string, since = 0): { events: WireEvent[]; dropped: number } | null {
    const w = this.watched.get(deviceId)
    if (!w) return null
    return { events: w.events.filter((e) => e.at >= since), dropped: w.dropped }
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, w] of this.watched) if (w.until <= now) this.watched.delete(id)
  }
}
