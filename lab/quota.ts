// The two shapes of limit Azure puts on devices: a rate with some slack (registrations per
// minute, connections per second) and a cap per caller over a sliding window (polls per 10 s).
// Neither keeps a timer: what is allowed is worked out from the clock when a request comes, so
// a quota costs nothing while nobody asks.

/** Milliseconds on some steady scale: Date.now in the lab, a fake in tests. */
export type Clock = () => number

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number }

const allowed: Verdict = { ok: true }

// Refills are fractions of a token: without the slack a whole token can come out as 0.9999999.
const epsilon = 1e-9

/**
 * A token bucket: `capacity` requests at once, then `ratePerSec` a second on average. A refused
 * request takes nothing, so its `retryAfterMs` is exactly when the next token is there.
 */
export class TokenBucket {
  private tokens: number
  private at: number

  constructor(
    private ratePerSec: number,
    private capacity: number,
    private readonly now: Clock = Date.now,
  ) {
    if (!(ratePerSec > 0) || !(capacity >= 1)) throw new RangeError('rate > 0 and capacity ≥ 1')
    this.tokens = capacity
    this.at = now()
  }

  take(): Verdict {
    this.refill()
    if (this.tokens + epsilon >= 1) {
      this.tokens = Math.max(0, this.tokens - 1)
      return allowed
    }
    return { ok: false, retryAfterMs: ((1 - this.tokens) / this.ratePerSec) * 1000 }
  }

  /** Whole tokens there now. */
  available(): number {
    this.refill()
    return Math.floor(this.tokens + epsilon)
  }

  /**
   * A new rate and capacity. What was spent stays spent: a full bucket is full at its new size,
   * one that was emptied is as far from full as before (and never below empty).
   */
  reconfigure(ratePerSec: number, capacity: number): void {
    if (!(ratePerSec > 0) || !(capacity >= 1)) throw new RangeError('rate > 0 and capacity ≥ 1')
    this.refill()
    const spent = this.capacity - this.tokens
    this.ratePerSec = ratePerSec
    this.capacity = capacity
    this.tokens = Math.min(capacity, Math.max(0, capacity - spent))
  }

  private refill(): void {
    const t = this.now()
    // A clock that steps back (the wall clock set by hand) refills nothing and is caught up with.
    if (t > this.at)
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.at) / 1000) * this.ratePerSec)
    this.at = t
  }
}

/**
 * At most `limit` accepted hits per key within any `windowMs` (a sliding log: the times of each
 * key's latest accepted hits, never more than `limit` of them). Keys are kept in the order of
 * their latest accepted hit, so the ones whose window has passed are dropped from the front as
 * requests come; past `maxKeys` the quietest key is forgotten (it starts afresh, as if new).
 */
export class WindowedCounter {
  private readonly hits = new Map<string, number[]>()

  constructor(
    private limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: Clock = Date.now,
  ) {
    if (!(limit >= 1) || !(windowMs > 0) || !(maxKeys >= 1))
      throw new RangeError('limit ≥ 1, window > 0 and maxKeys ≥ 1')
  }

  hit(key: string): Verdict {
    const t = this.now()
    this.forgetQuiet(t)
    const times = this.hits.get(key) ?? []
    while (times.length > 0 && times[0]! <= t - this.windowMs) times.shift()
    if (times.length >= this.limit) {
      // The hit that must leave the window before one more fits.
      const leaving = times[times.length - this.limit]!
      return { ok: false, retryAfterMs: Math.max(0, leaving + this.windowMs - t) }
    }
    times.push(t)
    this.hits.delete(key)
    this.hits.set(key, times)
    if (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!)
    return allowed
  }

  setLimit(limit: number): void {
    if (!(limit >= 1)) throw new RangeError('limit ≥ 1')
    this.limit = limit
  }

  /** Keys remembered now (each holds at most `limit` times). */
  get size(): number {
    return this.hits.size
  }

  private forgetQuiet(t: number): void {
    for (const [key, times] of this.hits) {
      if (times.length > 0 && times.at(-1)! > t - this.windowMs) break
      this.hits.delete(key)
    }
  }
}

/** What DPS puts in `retry-after`: whole seconds until the request would be let in, at least 1. */
export function retryAfterSec(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000 - epsilon))
}
