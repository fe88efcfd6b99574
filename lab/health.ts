import { EventEmitter } from 'node:events'
import { safeTimeout, type Log } from './guard'
import type { HubName } from './types'

/** Where a hub stands as DPS sees it. */
export type DpsHubState = 'available' | 'detecting' | 'unavailable' | 'rebalancing'

export interface DpsHubView {
  state: DpsHubState
  /** Whether DPS assigns devices to this hub now. */
  available: boolean
  /** When DPS will stop naming a dead hub (ISO time), while it has not noticed yet. */
  detectAt: string | null
  /** When DPS will name a returned hub again and move its devices home. */
  rebalanceAt: string | null
  /** This outage is one DPS is not told about: it keeps naming the hub. */
  unaware: boolean
}

interface Entry {
  available: boolean
  unaware: boolean
  detectAt: number | null
  rebalanceAt: number | null
  timer: NodeJS.Timeout | null
}

/**
 * DPS's view of hub health: a hub that goes down becomes unavailable after a detection delay,
 * and one that comes back is trusted again only after a rebalance delay. `changed` fires when
 * DPS's view flips, so devices can be placed again.
 */
export class HubHealth extends EventEmitter<{ changed: [hub: HubName, available: boolean] }> {
  private readonly hubs: Record<HubName, Entry> = {
    a: { available: true, unaware: false, detectAt: null, rebalanceAt: null, timer: null },
    b: { available: true, unaware: false, detectAt: null, rebalanceAt: null, timer: null },
  }

  constructor(private readonly log: Log) {
    super()
  }

  available(hub: HubName): boolean {
    return this.hubs[hub].available
  }

  /**
   * The hub went down. DPS notices after `detectSec` (a given value replaces a pending one), or
   * never when `unaware`. A hub that went down again while waiting to rebalance stays unavailable.
   */
  down(hub: HubName, opts: { detectSec: number; explicit: boolean; unaware: boolean }): void {
    const e = this.hubs[hub]
    if (e.rebalanceAt !== null) this.clear(e)
    if (!e.available) return
    if (opts.unaware) {
      this.clear(e)
      e.unaware = true
      return
    }
    if (e.detectAt !== null && !opts.explicit) return
    this.clear(e)
    e.unaware = false
    this.schedule(hub, 'detect', opts.detectSec)
  }

  /** The hub is back. DPS, if it had given up on it, names it again after `rebalanceSec`. */
  up(hub: HubName, opts: { rebalanceSec: number; explicit: boolean }): void {
    const e = this.hubs[hub]
    e.unaware = false
    if (e.detectAt !== null) this.clear(e)
    if (e.available) return
    if (e.rebalanceAt !== null && !opts.explicit) return
    this.clear(e)
    this.schedule(hub, 'rebalance', opts.rebalanceSec)
  }

  view(hub: HubName): DpsHubView {
    const e = this.hubs[hub]
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())
    const state: DpsHubState = e.available
      ? e.detectAt !== null
        ? 'detecting'
        : 'available'
      : e.rebalanceAt !== null
        ? 'rebalancing'
        : 'unavailable'
    return {
      state,
      available: e.available,
      detectAt: iso(e.detectAt),
      rebalanceAt: iso(e.rebalanceAt),
      unaware: e.unaware,
    }
  }

  dispose(): void {
    for (const e of Object.values(this.hubs)) this.clear(e)
  }

  private schedule(hub: HubName, what: 'detect' | 'rebalance', sec: number): void {
    const e = this.hubs[hub]
    const at = Date.now() + sec * 1000
    if (what === 'detect') e.detectAt = at
    else e.rebalanceAt = at
    const flip = () => {
      this.clear(e)
      e.available = what === 'rebalance'
      this.log(
        what === 'detect'
          ? `DPS: hub ${hub.toUpperCase()} is unavailable; its devices are assigned the other hub`
          : `DPS: hub ${hub.toUpperCase()} is available again; its devices move home`,
      )
      this.emit('changed', hub, e.available)
    }
    if (sec <= 0) flip()
    else
      e.timer = safeTimeout(this.log, `DPS ${what} of hub ${hub.toUpperCase()}`, sec * 1000, flip)
  }

  private clear(e: Entry): void {
    if (e.timer) clearTimeout(e.timer)
    e.timer = null
    e.detectAt = null
    e.rebalanceAt = null
  }
}
