import type { Clock } from './quota'

export interface MinuteCount {
  /** The start of the minute (ISO 8601, UTC). */
  minute: string
  accepted: number
  throttled: number
}

export interface QuotaCount {
  accepted: number
  throttled: number
  /** The last 60 minutes at most (since the lab started), oldest first; the current one last. */
  perMinute: MinuteCount[]
}

/**
 * How one quota answered: totals since the lab started, and a count per minute for the last
 * hour in a fixed ring of slots, so a lab that runs for weeks holds the same 60 of them.
 */
export class QuotaCounter {
  private acceptedTotal = 0
  private throttledTotal = 0
  private readonly accepted: number[]
  private readonly throttled: number[]
  private readonly first: number
  private latest: number

  constructor(
    private readonly now: Clock = Date.now,
    private readonly minutes = 60,
  ) {
    this.accepted = new Array<number>(minutes).fill(0)
    this.throttled = new Array<number>(minutes).fill(0)
    this.first = this.latest = minuteOf(now())
  }

  accept(): void {
    this.acceptedTotal++
    this.accepted[this.slot()]!++
  }

  throttle(): void {
    this.throttledTotal++
    this.throttled[this.slot()]!++
  }

  view(): QuotaCount {
    this.slot()
    const perMinute: MinuteCount[] = []
    for (let m = Math.max(this.first, this.latest - this.minutes + 1); m <= this.latest; m++) {
      const i = m % this.minutes
      perMinute.push({
        minute: new Date(m * 60_000).toISOString(),
        accepted: this.accepted[i]!,
        throttled: this.throttled[i]!,
      })
    }
    return { accepted: this.acceptedTotal, throttled: this.throttledTotal, perMinute }
  }

  /** The slot of the current minute, after emptying the slots of minutes nobody counted in. */
  private slot(): number {
    const m = minuteOf(this.now())
    // A clock stepped back counts in the newest minute there is, rather than rewriting the past.
    if (m > this.latest) {
      for (let k = this.latest + 1; k <= Math.min(m, this.latest + this.minutes); k++) {
        this.accepted[k % this.minutes] = 0
        this.throttled[k % this.minutes] = 0
      }
      this.latest = m
    }
    return this.latest % this.minutes
  }
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000)
