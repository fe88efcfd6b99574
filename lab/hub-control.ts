import type { Endpoint, EndpointMode } from './endpoint'
import { safeTimeout, type Log } from './guard'
import type { DpsHubView, HubHealth } from './health'
import type { HubName } from './types'

export interface DownOptions {
  /** Seconds until DPS notices; default: the lab's. */
  dpsDetect?: number
  /** DPS is not told at all (it keeps naming the dead hub); default: the lab's. */
  dpsUnaware?: boolean
}

export interface RestoreOptions {
  /** Seconds after the return until DPS names the hub again; default: the lab's. */
  rebalance?: number
}

export interface OutageOptions extends DownOptions, RestoreOptions {
  /** Seconds the hub stays down before it is restored. */
  for: number
  mode: 'kill' | 'blackhole'
}

export interface PlanStep {
  at: string
  event: 'down' | 'dps-detects' | 'restore' | 'rebalance'
  text: string
}

export interface HubView {
  hub: HubName
  host: string
  mode: EndpointMode
  /** When the mode last changed. */
  since: string
  dps: DpsHubView
  outage: {
    mode: 'killed' | 'blackholed'
    startedAt: string
    restoreAt: string
    plan: PlanStep[]
  } | null
  connected: number
}

interface Outage {
  mode: 'killed' | 'blackholed'
  startedAt: number
  restoreAt: number
  rebalance: number | undefined
  plan: PlanStep[]
  timer: NodeJS.Timeout
}

export interface Delays {
  dpsDetectSec: number
  rebalanceSec: number
  dpsUnaware: boolean
}

interface ControlledHub {
  name: HubName
  host: string
  endpoint: Endpoint
  connectedCount(): number
}

/**
 * The chaos switches for the hubs, and the outage schedule that chains them: kill (or blackhole),
 * DPS notices, restore, DPS rebalances. A manual kill, blackhole or restore of a hub in an outage
 * cancels the outage's own restore: the user has taken over; a new outage replaces the old one.
 */
export class HubControl {
  private readonly since: Record<HubName, number> = { a: Date.now(), b: Date.now() }
  private readonly outages = new Map<HubName, Outage>()

  constructor(
    private readonly hubs: Record<HubName, ControlledHub>,
    private readonly health: HubHealth,
    private readonly delays: Delays,
    private readonly log: Log,
  ) {}

  async down(hub: HubName, mode: 'kill' | 'blackhole', opts: DownOptions = {}): Promise<HubView> {
    this.cancelOutage(hub, `hub ${hub.toUpperCase()} was told to ${mode}`)
    await this.takeDown(hub, mode, opts)
    return this.view(hub)
  }

  async restore(hub: HubName, opts: RestoreOptions = {}): Promise<HubView> {
    this.cancelOutage(hub, `hub ${hub.toUpperCase()} was restored by hand`)
    await this.bringBack(hub, opts)
    return this.view(hub)
  }

  async outage(hub: HubName, opts: OutageOptions): Promise<HubView> {
    this.cancelOutage(hub, `a new outage of hub ${hub.toUpperCase()} replaces it`)
    const startedAt = Date.now()
    await this.takeDown(hub, opts.mode, opts)
    const restoreAt = startedAt + opts.for * 1000
    const mode = opts.mode === 'kill' ? 'killed' : 'blackholed'
    const timer = safeTimeout(
      this.log,
      `restore of hub ${hub.toUpperCase()}`,
      opts.for * 1000,
      () => {
        this.outages.delete(hub)
        void this.bringBack(hub, { rebalance: opts.rebalance }).catch((e: unknown) =>
          this.log(`hub ${hub.toUpperCase()}: restore failed: ${String(e)}`),
        )
      },
    )
    const plan = this.plan(hub, mode, startedAt, restoreAt, opts.rebalance)
    this.outages.set(hub, { mode, startedAt, restoreAt, rebalance: opts.rebalance, plan, timer })
    this.log(
      `outage of hub ${hub.toUpperCase()}: ${plan.map((s) => `${s.at.slice(11, 19)} ${s.event}`).join(', ')}`,
    )
    return this.view(hub)
  }

  view(hub: HubName): HubView {
    const h = this.hubs[hub]
    const o = this.outages.get(hub)
    return {
      hub,
      host: h.host,
      mode: h.endpoint.mode,
      since: new Date(this.since[hub]).toISOString(),
      dps: this.health.view(hub),
      outage: o
        ? { mode: o.mode, startedAt: iso(o.startedAt), restoreAt: iso(o.restoreAt), plan: o.plan }
        : null,
      connected: h.connectedCount(),
    }
  }

  dispose(): void {
    for (const o of this.outages.values()) clearTimeout(o.timer)
    this.outages.clear()
  }

  private async takeDown(
    hub: HubName,
    mode: 'kill' | 'blackhole',
    opts: DownOptions,
  ): Promise<void> {
    const endpoint = this.hubs[hub].endpoint
    const before = endpoint.mode
    if (mode === 'kill') await endpoint.kill()
    else await endpoint.blackhole()
    if (endpoint.mode !== before) this.since[hub] = Date.now()
    this.health.down(hub, {
      detectSec: opts.dpsDetect ?? this.delays.dpsDetectSec,
      explicit: opts.dpsDetect !== undefined,
      unaware: opts.dpsUnaware ?? this.delays.dpsUnaware,
    })
  }

  private async bringBack(hub: HubName, opts: RestoreOptions): Promise<void> {
    const endpoint = this.hubs[hub].endpoint
    const before = endpoint.mode
    await endpoint.restore()
    if (endpoint.mode !== before) this.since[hub] = Date.now()
    this.health.up(hub, {
      rebalanceSec: opts.rebalance ?? this.delays.rebalanceSec,
      explicit: opts.rebalance !== undefined,
    })
  }

  private cancelOutage(hub: HubName, why: string): void {
    const o = this.outages.get(hub)
    if (!o) return
    clearTimeout(o.timer)
    this.outages.delete(hub)
    this.log(`outage of hub ${hub.toUpperCase()}: scheduled restore cancelled (${why})`)
  }

  /** The story an outage will tell, with clock times, from what DPS has scheduled. */
  private plan(
    hub: HubName,
    mode: 'killed' | 'blackholed',
    startedAt: number,
    restoreAt: number,
    rebalance?: number,
  ): PlanStep[] {
    const H = hub.toUpperCase()
    const other = hub === 'a' ? 'B' : 'A'
    const dps = this.health.view(hub)
    const steps: PlanStep[] = [
      {
        at: iso(startedAt),
        event: 'down',
        text:
          mode === 'killed'
            ? `hub ${H} is killed: its connections reset, its port refuses`
            : `hub ${H} is blackholed: it accepts TCP and never answers`,
      },
    ]
    const detectAt = dps.detectAt ? Date.parse(dps.detectAt) : dps.available ? null : startedAt
    if (dps.unaware)
      steps.push({
        at: iso(startedAt),
        event: 'dps-detects',
        text: `DPS is not told (dps-unaware): it keeps naming hub ${H}`,
      })
    else if (detectAt !== null && detectAt < restoreAt)
      steps.push({
        at: iso(detectAt),
        event: 'dps-detects',
        text: `DPS stops naming hub ${H}: devices homed on ${H} are assigned hub ${other}`,
      })
    steps.push({ at: iso(restoreAt), event: 'restore', text: `hub ${H} is restored` })
    if (!dps.unaware && detectAt !== null && detectAt < restoreAt)
      steps.push({
        at: iso(restoreAt + (rebalance ?? this.delays.rebalanceSec) * 1000),
        event: 'rebalance',
        text: `DPS names hub ${H} again: hub ${other} drops the devices homed on ${H} and they fail back`,
      })
    return steps
  }
}

const iso = (t: number) => new Date(t).toISOString()
