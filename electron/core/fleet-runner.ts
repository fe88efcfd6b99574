import path from 'node:path'
import type { DeviceModel } from '../../shared/dtdl'
import {
  fleetViewLimits,
  idleFleetSnapshot,
  type FleetDeviceDetail,
  type FleetDeviceRequest,
  type FleetDpsPoint,
  type FleetLabView,
  type FleetMarker,
  type FleetPoint,
  type FleetSnapshot,
  type FleetStartRequest,
  type FleetStatus,
  type FleetTotals,
} from '../../shared/fleet-view'
import type { DeviceSessionApi, DeviceSessionOptions } from '../device/api'
import { oneLine } from '../fleet/errors'
import { Fleet, type FleetDevice } from '../fleet/fleet'
import { LabClient } from '../fleet/lab-client'
import { AppFailure } from './errors'
import {
  appendDpsPoint,
  appendMarkers,
  appendPoint,
  buildFleetSnapshot,
  labMarkers,
  labStatsSchema,
  labStatusSchema,
  labViewOf,
  pointOf,
  settleDownTimes,
  type LabStatusAnswer,
  type SnapshotDevice,
} from './fleet-snapshot'
import type { LabService } from './lab-process'

// The app's fleet: electron/fleet's Fleet (N of the same DeviceSession, a paced ramp, a recorder
// per device) run beside the single device against the embedded lab, and read for the window on
// one ticker: the counts at most twice a second, the lab's quota counts every second while a fleet
// runs or the fleet view is open. No timer per device, no push per device message.

export interface FleetRunnerDeps {
  createSession(options: DeviceSessionOptions): DeviceSessionApi
  /** The embedded lab when the device uses it and it runs; otherwise why a fleet cannot run. */
  lab(): { lab: LabService } | { why: string }
  /** The template the single device runs: the fleet's devices run it too. */
  model(): DeviceModel
  /** The app's data folder: each fleet device keeps its outbox and sequence below it. */
  dataDir: string
  /** Engine options for every session (tests: short backoff and timeouts). */
  sessionOverrides?: Partial<DeviceSessionOptions>
  /** The window's push (`fleet:changed`). */
  emit(snapshot: FleetSnapshot): void
  log(line: string): void
  /** A lab control API GET (tests stand in); the default is the fleet runner's bounded client. */
  readLab?: (controlUrl: string, path: '/stats' | '/lab') => Promise<unknown>
  /** The ticker: counts sampled and pushed at most this often (default 500 ms). */
  tickMs?: number
  /** The lab's counts read at most this often (default 1 s). */
  labPollMs?: number
  /** How long one `fleet:state` keeps the lab's counts coming without a fleet (default 15 s). */
  watchMs?: number
  startupTimeoutMs?: number
  now?: () => number
}

/** New connections per second: an S1 hub's floor, as the fleet CLI paces. */
const connectRate = 100

export class FleetRunner {
  private fleet: Fleet | null = null
  private byId = new Map<string, FleetDevice>()
  private abort: AbortController | null = null
  private status: FleetStatus = 'idle'
  private problem: string | null = null
  private prefix: string | null = null
  private telemetryMs: number | null = null
  private startedAt: number | null = null
  private endedAt: number | null = null
  private series: FleetPoint[] = []
  private dps: FleetDpsPoint[] = []
  private markers: FleetMarker[] = []
  /** After the fleet stopped: counters as they ended, and what was lost. */
  private final: Pick<FleetTotals, 'acknowledged' | 'queued' | 'lost'> | null = null
  private labView: FleetLabView | null = null
  private labProblem: string | null = null
  private labStatus: LabStatusAnswer | null = null
  private labUrl: string | null = null
  private labPolling = false
  private lastLabPoll = 0
  private watchedUntil = 0
  private timer: NodeJS.Timeout | null = null
  private lastPushed = ''
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false
  private readonly now: () => number
  private readonly readLab: NonNullable<FleetRunnerDeps['readLab']>

  constructor(private readonly deps: FleetRunnerDeps) {
    this.now = deps.now ?? Date.now
    this.readLab =
      deps.readLab ?? ((url, p) => new LabClient(url).call<unknown>('GET', p, undefined, 5000))
  }

  private get active(): boolean {
    return this.status === 'starting' || this.status === 'running' || this.status === 'stopping'
  }

  /** The fleet as it is now; also keeps the lab's counts coming for a while (the view is open). */
  state(): FleetSnapshot {
    if (!this.closed) {
      this.watchedUntil = this.now() + (this.deps.watchMs ?? 15_000)
      this.ensureTicker()
      if (!this.labView && !this.labPolling) void this.pollLab()
    }
    return this.snapshot()
  }

  snapshot(): FleetSnapshot {
    const target = this.deps.lab()
    const available = 'lab' in target
    const unavailableReason = 'why' in target ? target.why : null
    const fleet = this.fleet
    if (!fleet) {
      return {
        ...idleFleetSnapshot(available, unavailableReason),
        status: this.status,
        problem: this.problem,
        lab: this.labView,
        labProblem: this.labProblem,
      }
    }
    // A stopped fleet's clock stopped with it: a device still away then is away that long.
    const now = this.active ? this.now() : (this.endedAt ?? this.now())
    return buildFleetSnapshot({
      base: {
        available,
        unavailableReason,
        status: this.status,
        problem: this.problem,
        prefix: this.prefix,
        devices: fleet.size,
        telemetryMs: this.telemetryMs,
        startedAt: this.startedAt,
        endedAt: this.endedAt,
      },
      progress: fleet.progress(),
      devices: fleet.devices.map((d) => this.snapshotDevice(fleet, d)),
      counters: this.final ?? this.liveCounters(fleet),
      series: this.series,
      dps: this.dps,
      markers: this.markers,
      lab: this.labView,
      labProblem: this.labProblem,
      now,
    })
  }

  private snapshotDevice(fleet: Fleet, d: FleetDevice): SnapshotDevice {
    const r = d.recorder
    const away = r.awayNow()
    // Home only matters for a device still away (which wave it is in); it costs a snapshot.
    const home = away ? d.session.snapshot().homeHub : null
    return {
      id: d.id,
      home: home ? fleet.labelOf(home) : null,
      moves: r.moves,
      away,
      hub: r.phase === 'connected' && r.hub ? fleet.labelOf(r.hub) : null,
    }
  }

  private liveCounters(fleet: Fleet): Pick<FleetTotals, 'acknowledged' | 'queued' | 'lost'> {
    let acknowledged = 0
    let queued = 0
    for (const d of fleet.devices) {
      const c = d.session.snapshot().counters
      acknowledged += c.acknowledged
      queued += c.queued
    }
    return { acknowledged, queued, lost: null }
  }

  start(req: FleetStartRequest): Promise<FleetSnapshot> {
    return this.serial(async () => {
      if (this.closed) throw new AppFailure('unavailable', 'The app is shutting down.')
      if (this.active)
        throw new AppFailure('unavailable', 'A fleet is running already: stop it first.')
      const target = this.deps.lab()
      if ('why' in target) throw new AppFailure('unavailable', target.why)
      const lab = target.lab
      this.reset()
      await this.pollLab()
      const prefix = req.prefix ?? fleetViewLimits.defaultPrefix
      const telemetryMs = req.telemetryMs ?? fleetViewLimits.defaultTelemetryMs
      const { hubLabels: _labels, periods: _periods, ...session } = this.deps.sessionOverrides ?? {}
      const dpsRate = this.labView?.limits.dpsRate ?? 0
      const fleet = new Fleet({
        prefix,
        range: { from: 0, to: req.devices },
        target: {
          kind: 'lab',
          idScope: lab.idScope,
          groupKey: lab.groupPrimaryKey,
          provisioningHost: lab.dpsHost,
          ca: lab.ca,
          hubLabels: { [lab.hubs.a.host]: 'A', [lab.hubs.b.host]: 'B' },
          transport: 'mqtt',
        },
        model: this.deps.model(),
        dataDir: this.fleetDir(lab),
        periods: { telemetryMs },
        // The lab's DPS quota, when it has one, paces the first connects: the view shows what an
        // outage does to the quota, not a flood of 429s at the start.
        pacing: { rampMs: 0, connectRate, dpsRate: dpsRate > 0 ? dpsRate : null },
        startupTimeoutMs: this.deps.startupTimeoutMs ?? 60_000,
        session,
        createSession: (o) => this.deps.createSession(o),
      })
      const abort = new AbortController()
      this.fleet = fleet
      this.abort = abort
      this.prefix = prefix
      this.telemetryMs = telemetryMs
      this.startedAt = this.now()
      this.status = 'starting'
      try {
        await fleet.open(abort.signal)
      } catch (e) {
        this.status = 'failed'
        this.problem = `The fleet could not start: ${oneLine(e)}`
        this.endedAt = this.now()
        this.fleet = null
        this.push(true)
        throw new AppFailure('unavailable', this.problem)
      }
      this.byId = new Map(fleet.devices.map((d) => [d.id, d]))
      this.deps.log(`[fleet] ${fleet.size} devices ${prefix}-0… starting against the embedded lab`)
      fleet.start(abort.signal).then(
        () => {
          if (this.fleet === fleet && this.status === 'starting' && !abort.signal.aborted) {
            this.status = 'running'
            this.push(true)
          }
        },
        (e: unknown) =>
          void this.serial(() => this.fail(fleet, e)).catch((err: unknown) =>
            this.deps.log(`[fleet] ${oneLine(err)}`),
          ),
      )
      this.ensureTicker()
      this.push(true)
      return this.snapshot()
    })
  }

  /** Every session closed cleanly (each flushes what it can); the counts as they ended stay. */
  stop(): Promise<FleetSnapshot> {
    return this.serial(async () => {
      const fleet = this.fleet
      if (!fleet || !this.active) return this.snapshot()
      this.status = 'stopping'
      this.abort?.abort()
      this.push(true)
      await this.closeFleet(fleet)
      this.status = 'stopped'
      this.deps.log(`[fleet] stopped: ${fleet.size} sessions closed`)
      this.push(true)
      return this.snapshot()
    })
  }

  /** One fleet device, for the single-device view; lists only past the cursors. */
  device(req: FleetDeviceRequest): FleetDeviceDetail {
    const d = this.byId.get(req.id)
    if (!d)
      throw new AppFailure(
        'not-found',
        this.fleet ? `${req.id} is not a device of this fleet.` : 'No fleet has run yet.',
      )
    const s = d.session
    const after = <T>(
      list: T[],
      key: (x: T) => number,
      cursor: number | undefined,
      max: number,
    ) => {
      const fresh = cursor === undefined ? list : list.filter((x) => key(x) > cursor)
      return fresh.length > max ? fresh.slice(fresh.length - max) : fresh
    }
    const L = fleetViewLimits
    return {
      id: d.id,
      live: this.active,
      snapshot: s.snapshot(),
      timeline: after(s.timeline(), (e) => e.id, req.timelineAfter, L.maxTimelineItems),
      telemetry: after(s.recentTelemetry(), (t) => t.seq, req.telemetryAfter, L.maxTelemetryItems),
      inbound: after(s.inbound(), (e) => e.id, req.inboundAfter, L.maxInboundItems),
      reported: s.reportedLog().slice(-L.maxReportedItems),
    }
  }

  /** An uncaught exception: the fleet's sessions in the middle of an attempt start over. */
  recoverFromFault(fault: unknown): void {
    if (this.fleet && this.active) {
      const n = this.fleet.recoverFromFault(fault)
      if (n) this.deps.log(`[fleet] ${n} sessions in an attempt started over after a fault`)
    }
  }

  /** Stops the fleet (the lab is going away, or the app): safe to call twice. */
  async close(): Promise<void> {
    await this.stop()
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  private reset(): void {
    this.fleet = null
    this.byId = new Map()
    this.problem = null
    this.endedAt = null
    this.final = null
    this.series = []
    this.dps = []
    this.markers = []
    this.lastPushed = ''
  }

  private async fail(fleet: Fleet, e: unknown): Promise<void> {
    if (this.fleet !== fleet || !this.active || this.status === 'stopping') return
    this.problem = oneLine(e)
    this.deps.log(`[fleet] ${this.problem}`)
    await this.closeFleet(fleet)
    this.status = 'failed'
    this.push(true)
  }

  private async closeFleet(fleet: Fleet): Promise<void> {
    const outcomes = await fleet.close()
    let acknowledged = 0
    let queued = 0
    let lost = 0
    for (const o of outcomes) {
      const produced = o.device.queuedAtStart + o.device.recorder.produced
      acknowledged += o.counters.acknowledged
      queued += o.counters.queued
      lost += Math.max(0, produced - o.counters.acknowledged - o.counters.queued)
    }
    this.final = { acknowledged, queued, lost }
    this.endedAt = this.now()
    this.sample()
  }

  private fleetDir(lab: LabService): string {
    // A device is one id in one application: keyed by the lab's scope and hubs, as the single
    // device's folder is, so a lab on other ports does not inherit another lab's home hubs.
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-')
    return path.join(
      this.deps.dataDir,
      'fleet',
      safe(`${lab.idScope}_${lab.hubs.a.host}_${lab.hubs.b.host}`),
    )
  }

  private ensureTicker(): void {
    if (this.timer || this.closed) return
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 500)
    this.timer.unref?.()
  }

  private tick(): void {
    try {
      const now = this.now()
      const watched = now < this.watchedUntil
      if (this.active) this.sample()
      if (
        (this.active || watched) &&
        !this.labPolling &&
        now - this.lastLabPoll >= (this.deps.labPollMs ?? 1000)
      )
        void this.pollLab()
      // What the lab answered goes out with the next tick: never more than one push a tick.
      this.push(false)
      if (!this.active && !watched && !this.labPolling && this.timer) {
        clearInterval(this.timer)
        this.timer = null
      }
    } catch (e) {
      // The ticker never takes the app down: say it, carry on.
      this.deps.log(`[fleet] ${oneLine(e)}`)
    }
  }

  private sample(): void {
    if (!this.fleet) return
    this.series = appendPoint(this.series, pointOf(this.fleet.progress(), this.now()))
  }

  /** Pushes the snapshot when it changed (`force`: a change of status, at once). */
  private push(force: boolean): void {
    if (this.closed && !force) return
    const s = this.snapshot()
    const text = JSON.stringify(s)
    if (!force && text === this.lastPushed) return
    this.lastPushed = text
    this.deps.emit(s)
  }

  private async pollLab(): Promise<void> {
    const target = this.deps.lab()
    if ('why' in target) {
      this.labView = null
      this.labStatus = null
      this.labUrl = null
      return
    }
    const url = target.lab.controlUrl
    if (url !== this.labUrl) {
      // Another lab (restarted on other ports): its counts and hubs start a new story.
      this.labUrl = url
      this.labView = null
      this.labStatus = null
    }
    this.labPolling = true
    this.lastLabPoll = this.now()
    try {
      const [stats, status] = await Promise.all([
        this.readLab(url, '/stats'),
        this.readLab(url, '/lab'),
      ])
      const s = labStatsSchema.safeParse(stats)
      const l = labStatusSchema.safeParse(status)
      if (!s.success || !l.success) {
        this.labProblem =
          "The lab's counts could not be read: it answered in a shape not known here."
        return
      }
      if (this.labUrl !== url) return
      this.labView = labViewOf(s.data, this.labView)
      let added = labMarkers(this.labStatus, l.data, this.now())
      const fleet = this.fleet
      if (fleet && added.some((m) => m.kind === 'hub-down'))
        added = settleDownTimes(
          added,
          fleet.devices.map((d) => this.snapshotDevice(fleet, d)),
        )
      this.labStatus = l.data
      if (this.active && this.startedAt !== null) {
        this.markers = appendMarkers(
          this.markers,
          added.filter((m) => m.at >= this.startedAt!),
        )
        const rate = this.labView.dpsPerSecond
        if (rate) this.dps = appendDpsPoint(this.dps, { at: this.labView.at, ...rate })
      }
      this.labProblem = null
    } catch (e) {
      this.labProblem = `The lab's counts could not be read: ${oneLine(e)}`
    } finally {
      this.labPolling = false
    }
  }
}
