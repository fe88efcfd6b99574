// Staggered connects: a thousand TLS handshakes (and DPS registrations) in one tick would be a
// storm against the hub's connection rate and DPS's quota; the ramp spreads them at the pace the
// budgets allow, on one timer for the whole fleet.

export interface Pacing {
  /** Spread the first connects over at least this long. */
  rampMs: number
  /** New connections per second this runner may open (its share of the fleet's budget). */
  connectRate: number
  /** DPS registrations per minute this runner may start; null: no DPS budget to keep to. */
  dpsRate: number | null
}

/** Time between two connects, and how long the whole ramp takes for `devices`. */
export function rampPlan(devices: number, p: Pacing): { intervalMs: number; totalMs: number } {
  const intervalMs = Math.max(
    devices > 1 ? p.rampMs / devices : 0,
    1000 / p.connectRate,
    p.dpsRate ? 60_000 / p.dpsRate : 0,
  )
  return { intervalMs, totalMs: intervalMs * Math.max(0, devices - 1) }
}

/**
 * First connects in flight at once, at most: a machine (or a lab, or a DPS) slower than the
 * connect rate would otherwise pile up connects that time out and start over, each one adding
 * load, until nothing connects at all. Four seconds' worth of the rate covers a DPS
 * registration with its status poll and the hub's TLS handshake on a machine that keeps up.
 */
export const maxInFlight = (connectRate: number) => Math.max(50, Math.ceil(connectRate * 4))

const holdMs = 50

/**
 * Calls `start(i)` for i = 0..count-1, one every `intervalMs`, waking once per due batch
 * (timers are not finer than a millisecond or two, so several may be due at once). While
 * `canStart()` says no (too many connects in flight), the ramp holds, and goes on at its pace
 * from when it may: it never bursts to catch up. Resolves when all have been started or the
 * signal aborts.
 */
export function runRamp(
  count: number,
  intervalMs: number,
  start: (i: number) => void,
  signal: AbortSignal,
  now: () => number = Date.now,
  canStart: () => boolean = () => true,
): Promise<void> {
  let nextAt = now()
  let next = 0
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | null = null
    const stop = () => {
      if (timer) clearTimeout(timer)
      resolve()
    }
    signal.addEventListener('abort', stop, { once: true })
    const tick = () => {
      timer = null
      const t = now()
      while (next < count && nextAt <= t && !signal.aborted) {
        if (!canStart()) {
          nextAt = t + holdMs
          break
        }
        start(next++)
        nextAt += intervalMs
      }
      if (next >= count || signal.aborted) {
        signal.removeEventListener('abort', stop)
        return resolve()
      }
      timer = setTimeout(tick, Math.max(1, nextAt - now()))
    }
    if (signal.aborted) return resolve()
    tick()
  })
}
