import { deviceId } from './device-ids'
import { oneLine } from './errors'
import { eachLimited, LabAnswer, type LabClient } from './lab-client'
import { type Hub, type ScenarioStep, pickFraction, quotaPresets } from './scenario'
import type { FleetEvent } from './waves'

// Carries out a scenario against the lab's control API, one timer for the next step, and writes
// down what happened when (the events waves are counted from). A step the lab refuses is logged
// and recorded; the run goes on, since the fleet's own figures are still worth having.

interface PlanStep {
  at: string
  event: 'down' | 'dps-detects' | 'restore' | 'rebalance'
  text: string
}
interface HubView {
  outage: { plan: PlanStep[] } | null
  dps: { rebalanceAt: string | null }
}

/** What one step does: the lab calls, then the events to record. */
interface Act {
  atMs: number
  text: string
  run: () => Promise<void>
}

const failoverWidth = 32

export class ScenarioRunner {
  readonly events: FleetEvent[] = []
  private readonly acts: Act[]
  private timer: NodeJS.Timeout | null = null
  private performed = 0
  private running: Promise<void> = Promise.resolve()
  private stopped = false
  /** What the scenario broke and has not mended: undo() mends it on a lab that outlives the run. */
  private readonly down = new Set<Hub>()
  private dpsBroken = false
  private failedOver = new Set<string>()
  /** The lab's quotas before the scenario first changed them. */
  private quotasBefore: Record<string, unknown> | null = null

  constructor(
    private readonly lab: LabClient,
    steps: ScenarioStep[],
    private readonly o: {
      prefix: string
      devices: number
      log: (line: string) => void
      /** Devices not connected for the first time yet: a step among them tells a muddled story. */
      starting?: () => number
    },
  ) {
    this.acts = steps.flatMap((s) => this.actsOf(s))
    this.acts.sort((a, b) => a.atMs - b.atMs)
  }

  /** Runs the steps at `startAt + atMs`. */
  start(startAt: number): void {
    let i = 0
    const next = () => {
      if (this.stopped || i >= this.acts.length) return
      const act = this.acts[i++]!
      this.timer = setTimeout(
        () => {
          this.timer = null
          this.running = this.running.then(() => this.perform(act)).then(next)
        },
        Math.max(0, startAt + act.atMs - Date.now()),
      )
    }
    next()
  }

  /** No more steps; resolves when the one under way is done. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  /** Restores what the scenario left down (for a lab that keeps running after the fleet). */
  async undo(): Promise<void> {
    for (const hub of this.down)
      await this.lab.call('POST', `/hubs/${hub}/restore`, {}).catch((e) => this.o.log(oneLine(e)))
    if (this.dpsBroken)
      await this.lab.call('POST', '/dps/restore', {}).catch((e) => this.o.log(oneLine(e)))
    if (this.quotasBefore) {
      const q = this.quotasBefore
      await this.lab
        .call('PUT', '/quotas', {
          dpsRate: q.dpsRate,
          dpsBurst: q.dpsBurst,
          pollLimit: q.pollLimit,
          hubConnectRate: q.hubConnectRate,
        })
        .catch((e) => this.o.log(oneLine(e)))
    }
    this.down.clear()
    this.dpsBroken = false
    this.quotasBefore = null
  }

  private async setQuotas(text: string, patch: Record<string, unknown>): Promise<void> {
    this.quotasBefore ??= await this.lab.call<Record<string, unknown>>('GET', '/quotas')
    const t = Date.now()
    await this.lab.call('PUT', '/quotas', patch)
    this.record(t, text, false)
  }

  /**
   * Every step carried out, and every event the lab scheduled for them (DPS noticing an outage,
   * a restore, a rebalance, a ttl's end) is in the past: nothing more will move a device.
   */
  over(now = Date.now()): boolean {
    return this.performed >= this.acts.length && this.events.every((e) => e.at <= now)
  }

  private async perform(act: Act): Promise<void> {
    this.performed++
    if (this.stopped) return
    const starting = this.o.starting?.() ?? 0
    this.o.log(
      `scenario: ${act.text}${starting ? ` (${starting} devices have not connected yet: start it later to see them move)` : ''}`,
    )
    try {
      await act.run()
    } catch (e) {
      this.o.log(`scenario: ${act.text}: ${oneLine(e)}`)
      this.record(Date.now(), `${act.text} (failed: ${oneLine(e)})`, false)
    }
  }

  private record(at: number, text: string, moves: boolean): void {
    this.events.push({ at, text, moves })
  }

  private actsOf(step: ScenarioStep): Act[] {
    const a = step.action
    const text = step.text
    const at = step.atMs
    switch (a.kind) {
      case 'outage':
        return [
          {
            atMs: at,
            text,
            run: async () => {
              const view = await this.lab.call<HubView>('POST', `/hubs/${a.hub}/outage`, {
                for: a.forSec,
                mode: a.blackhole ? 'blackhole' : 'kill',
              })
              this.down.add(a.hub)
              // The lab runs the outage's schedule: its steps are the events (down, rebalance).
              for (const p of view.outage?.plan ?? [])
                this.record(
                  Date.parse(p.at),
                  `${text} · ${p.text}`,
                  p.event === 'down' || p.event === 'rebalance',
                )
              const restoreAt = view.outage?.plan.find((p) => p.event === 'restore')
              if (restoreAt)
                setTimeout(
                  () => this.down.delete(a.hub),
                  Math.max(0, Date.parse(restoreAt.at) - Date.now()),
                ).unref()
            },
          },
        ]
      case 'kill':
      case 'blackhole':
        return [
          {
            atMs: at,
            text,
            run: async () => {
              const t = Date.now()
              await this.lab.call('POST', `/hubs/${a.hub}/${a.kind}`, {})
              this.down.add(a.hub)
              this.record(t, text, true)
            },
          },
        ]
      case 'restore':
        return [
          {
            atMs: at,
            text,
            run: async () => {
              const t = Date.now()
              const view = await this.lab.call<HubView>('POST', `/hubs/${a.hub}/restore`, {})
              this.down.delete(a.hub)
              this.record(t, text, false)
              const rebalanceAt = view.dps.rebalanceAt
              if (rebalanceAt)
                this.record(
                  Date.parse(rebalanceAt),
                  `${text} · DPS names hub ${a.hub.toUpperCase()} again`,
                  true,
                )
            },
          },
        ]
      case 'dps':
        return [
          {
            atMs: at,
            text,
            run: async () => {
              const t = Date.now()
              await this.lab.call('POST', `/dps/${a.mode}`, {})
              this.dpsBroken = true
              this.record(t, text, false)
            },
          },
          {
            atMs: at + a.forMs,
            text: `${text} · DPS restored`,
            run: () => this.dpsRestore(`${text} · DPS restored`),
          },
        ]
      case 'dps-restore':
        return [{ atMs: at, text, run: () => this.dpsRestore(text) }]
      case 'failover':
        return [{ atMs: at, text, run: () => this.failover(text, a.fraction, a.ttlMinutes) }]
      case 'failback':
        return [{ atMs: at, text, run: () => this.failback(text) }]
      case 'quotas':
        return [{ atMs: at, text, run: () => this.setQuotas(text, quotaPresets[a.preset]) }]
      case 'dps-rate':
        return [
          {
            atMs: at,
            text,
            run: () => this.setQuotas(text, { dpsRate: a.perMinute, dpsBurst: a.burst }),
          },
        ]
    }
  }

  private async dpsRestore(text: string): Promise<void> {
    const t = Date.now()
    await this.lab.call('POST', '/dps/restore', {})
    this.dpsBroken = false
    this.record(t, text, false)
  }

  private async failover(text: string, fraction: number, ttl: number): Promise<void> {
    const ids = pickFraction(this.o.devices, fraction).map((i) => deviceId(this.o.prefix, i))
    const t = Date.now()
    let moved = 0
    let unknown = 0
    await eachLimited(ids, failoverWidth, async (id) => {
      try {
        await this.lab.call(
          'POST',
          `/system/iothub/devices/${encodeURIComponent(id)}/manual-failover`,
          { ttl },
        )
        this.failedOver.add(id)
        moved++
      } catch (e) {
        // A device the lab has never seen (not started yet, or another shard's) has nothing to move.
        if (e instanceof LabAnswer && e.status === 404) unknown++
        else throw e
      }
    })
    this.record(
      t,
      `${text} (${moved} devices${unknown ? `; ${unknown} not known to the lab` : ''})`,
      true,
    )
    // The lab sends them home when the ttl ends: a failback wave of its own.
    this.record(t + ttl * 60_000, `${text} · ttl of ${ttl} min ends`, true)
  }

  private async failback(text: string): Promise<void> {
    const ids = [...this.failedOver]
    const t = Date.now()
    await eachLimited(ids, failoverWidth, async (id) => {
      await this.lab
        .call('POST', `/system/iothub/devices/${encodeURIComponent(id)}/manual-failback`)
        .catch((e) => {
          if (!(e instanceof LabAnswer && e.status === 404)) throw e
        })
    })
    this.failedOver = new Set()
    this.record(t, `${text} (${ids.length} devices)`, true)
  }
}
