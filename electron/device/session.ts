import { EventEmitter } from 'node:events'
import {
  defaultBehaviours,
  defaultPeriods,
  type AppError,
  type BehaviourName,
  type Behaviours,
  type ConnectionState,
  type InboundEntry,
  type Periods,
  type ReportedEntry,
  type SessionSnapshot,
  type TelemetrySample,
  type TimelineEntry,
} from '../../shared/domain'
import { Activity } from './activity'
import type { DeviceSessionApi, DeviceSessionEvents, DeviceSessionOptions } from './api'
import { type BackoffPolicy, backoffDelay, defaultBackoff } from './backoff'
import { ConnectionStateTracker, type EntryExtras } from './connection-state'
import { DeviceStore } from './device-store'
import { Aborted, type HubFailure, ProvisioningFailure } from './errors'
import { HubConnectError, HubLink, LinkDown } from './hub-link'
import { Inbound } from './inbound'
import { deriveDeviceKey } from './keys'
import { Outbox, type OutboxItem } from './outbox'
import { provision } from './provisioning'
import { Sender } from './sender'
import { validateOptions } from './settings-check'
import { ReportedSimulator, TelemetrySimulator } from './simulation'
import { withTimeout } from './timing'

/** A cached hub that cannot even be reached (TCP refused, DNS) gets this many tries before DPS is asked. */
const cacheAttemptsBeforeDps = 3
const flushBoundMs = 3000
const closeBoundMs = 2000

interface Config {
  keepAliveSec: number
  connectTimeoutMs: number
  provisioningTimeoutMs: number
  twinTimeoutMs: number
  backoff: BackoffPolicy
  outboxLimit: number
}

/** A hub change waiting for its first acknowledged telemetry, which is when it counts as done. */
interface PendingMove {
  kind: 'failover' | 'failback'
  from: string
  to: string
  lostAt: number
}

/**
 * The device: provisions through DPS, keeps one hub link, fails over and back, and runs the
 * behaviours of its model. The engine, not the SDK, owns reconnection: on loss it retries the
 * cached hub first (a restarted hub needs no DPS call), goes to DPS when that hub refuses or
 * does not answer, and backs off with jitter between rounds, forever, unless the settings
 * themselves are wrong.
 */
export class DeviceSession extends EventEmitter<DeviceSessionEvents> implements DeviceSessionApi {
  private readonly o: DeviceSessionOptions
  private readonly config: Config
  private readonly settingsProblem: string | null
  private readonly deviceKey: string
  private readonly tracker: ConnectionStateTracker
  private readonly store: DeviceStore
  private readonly outbox: Outbox
  private readonly sender: Sender
  private readonly telemetrySim: TelemetrySimulator
  private readonly reportedSim: ReportedSimulator

  private readonly activity: Activity
  private readonly inboundTraffic: Inbound

  private behaviours: Behaviours
  private periods: Periods
  private lastTelemetry: TelemetrySample | null = null
  private lastError: AppError | null = null

  private link: HubLink | null = null
  private cachedHub: string | null = null
  private lastConnectedHub: string | null = null
  private hubDeviceId: string
  private lostAt: number | null = null
  private pendingMove: PendingMove | null = null
  private run: { abort: AbortController; done: Promise<void> } | null = null
  private stopping: Promise<void> | null = null
  private skipWait: (() => void) | null = null
  private telemetryTimer: NodeJS.Timeout | null = null
  private reportedTimer: NodeJS.Timeout | null = null
  private producing = false
  private closed = false
  private closing: Promise<void> | null = null
  /** Bumped by every connect() and disconnect(): after waiting out a stop, only the latest call acts. */
  private intent = 0

  constructor(options: DeviceSessionOptions) {
    super()
    this.o = options
    this.config = {
      // MQTT carries keep-alive as whole seconds.
      keepAliveSec: Math.max(1, Math.round(options.keepAliveSec ?? 10)),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      provisioningTimeoutMs: options.provisioningTimeoutMs ?? 30_000,
      twinTimeoutMs: options.twinTimeoutMs ?? 10_000,
      backoff: { ...defaultBackoff, ...options.backoff },
      outboxLimit: options.outboxLimit ?? 10_000,
    }
    this.behaviours = { ...defaultBehaviours, ...options.behaviours }
    this.periods = { ...defaultPeriods, ...options.periods }
    this.settingsProblem = validateOptions(options)
    this.deviceKey = this.settingsProblem
      ? ''
      : (options.deviceKey ?? deriveDeviceKey(options.groupKey!, options.deviceId))
    this.hubDeviceId = options.deviceId
    this.activity = new Activity(this)
    this.inboundTraffic = new Inbound({
      model: options.model,
      activity: this.activity,
      behaviours: () => this.behaviours,
      link: () => this.link,
      problem: (error) => this.problem(error),
      changed: () => this.emit('changed'),
    })
    this.tracker = new ConnectionStateTracker((entry) => {
      this.activity.timeline.push(entry)
      this.emit('timeline', entry)
      this.emit('changed')
    })
    this.store = new DeviceStore(options.dataDir)
    this.outbox = new Outbox(options.dataDir, this.config.outboxLimit)
    this.telemetrySim = new TelemetrySimulator(options.model)
    this.reportedSim = new ReportedSimulator(options.model)
    this.sender = new Sender(this.outbox, {
      sent: (item, again) => this.onSent(item, again),
      acked: (item, link) => this.onAcked(item, link),
      refused: (item, reason) => this.onRefused(item, reason),
    })
    for (const item of this.outbox.pending())
      if (item.kind === 'reported') this.activity.addReported(item.patch, 'queued', item.id)
  }

  // ---- the public surface -------------------------------------------------------------------

  async connect(): Promise<void> {
    if (this.closed) throw new Error('this session is closed')
    const ticket = ++this.intent
    if (this.stopping) await this.stopping
    // A disconnect() or close() made while the stop ran is the user's latest word.
    if (ticket !== this.intent || this.closed || this.run) return
    if (this.settingsProblem)
      return this.fail({ code: 'bad-settings', message: this.settingsProblem })
    this.startProducers(true)
    const abort = new AbortController()
    const done = this.loop(abort.signal)
      .catch((e: unknown) =>
        this.fail({
          code: 'internal',
          message: `the engine stopped on an unexpected error: ${String(e)}`,
        }),
      )
      .finally(() => {
        if (this.run?.abort === abort) this.run = null
      })
    this.run = { abort, done }
  }

  disconnect(): Promise<void> {
    this.intent++
    this.stopping ??= this.stop().finally(() => (this.stopping = null))
    return this.stopping
  }

  reconnect(): void {
    if (this.closed) return
    if (!this.run) void this.connect()
    // Connected: drop the link and come back through the same path a loss takes (cached hub
    // first), which is what a user pressing Reconnect wants to see work.
    else if (this.link?.alive) this.link.fail('closed to reconnect, as asked')
    else this.skipWait?.()
  }

  setBehaviour(name: BehaviourName, enabled: boolean): Behaviours {
    this.behaviours = { ...this.behaviours, [name]: enabled }
    if ((name === 'telemetry' || name === 'reportedProperties') && this.producing)
      this.startProducers(enabled)
    // Edits made while desired handling was off are acknowledged as soon as it is back on.
    if (name === 'desiredProperties' && enabled && this.link?.alive)
      void this.inboundTraffic.syncDesired(this.link)
    if (name === 'c2dCommands' && this.link?.alive) this.syncC2d(this.link)
    this.emit('changed')
    return { ...this.behaviours }
  }

  setPeriods(periods: Partial<Periods>): Periods {
    const clean = (v: number | undefined, fallback: number) =>
      typeof v === 'number' && Number.isFinite(v) ? Math.max(100, Math.round(v)) : fallback
    this.periods = {
      telemetryMs: clean(periods.telemetryMs, this.periods.telemetryMs),
      reportedMs: clean(periods.reportedMs, this.periods.reportedMs),
    }
    if (this.producing) this.startProducers(false)
    this.emit('changed')
    return { ...this.periods }
  }

  snapshot(): SessionSnapshot {
    const home = this.store.homeHub
    const hub = this.link?.alive ? this.link.host : null
    return {
      deviceId: this.o.deviceId,
      modelId: this.o.modelId,
      state: this.tracker.state,
      hub: hub ? { host: hub, label: this.o.hubLabels?.[hub] ?? hub, isHome: hub === home } : null,
      homeHub: home,
      behaviours: { ...this.behaviours },
      periods: { ...this.periods },
      counters: { ...this.activity.counters, queued: this.outbox.size },
      lastTelemetry: this.lastTelemetry,
      reported: { ...this.activity.reportedValues },
      desired: { ...this.inboundTraffic.desired },
      lastError: this.lastError,
      hubLabels: { ...this.o.hubLabels },
    }
  }

  timeline(): TimelineEntry[] {
    return this.activity.timeline.list()
  }

  recentTelemetry(): TelemetrySample[] {
    return this.activity.telemetry.list()
  }

  inbound(): InboundEntry[] {
    return this.activity.inbound.list()
  }

  reportedLog(): ReportedEntry[] {
    return this.activity.reported.list()
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Closed from the start, so a connect() waiting on the stop cannot revive the session.
      this.closed = true
      await this.disconnect()
      this.outbox.close()
    })()
    return this.closing
  }

  // ---- connection --------------------------------------------------------------------------

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0
    let cacheAttempt = 0
    let provisionAttempt = 0
    let dpsReason: string | null = null
    try {
      while (!signal.aborted && !this.stopping) {
        const cached = this.o.useCachedHub === false ? null : this.cachedHub
        if (cached) {
          cacheAttempt++
          this.setState(
            { kind: 'reconnecting', hub: cached, attempt: cacheAttempt },
            `trying ${this.label(cached)} again, the hub it was last assigned (attempt ${cacheAttempt})`,
          )
          const r = await this.tryHub(cached, signal)
          if (r instanceof HubLink) {
            failures = cacheAttempt = provisionAttempt = 0
            await this.serve(r, 'cache', signal)
            continue
          }
          this.lastError = hubError(r, false)
          if (r.kind === 'unreachable' && cacheAttempt < cacheAttemptsBeforeDps) {
            await this.wait(++failures, `${this.label(cached)} unreachable: ${r.message}`, signal)
            continue
          }
          dpsReason =
            r.kind === 'refused'
              ? `${this.label(cached)} refused the device (${r.message}); asking DPS`
              : r.kind === 'timeout'
                ? `${this.label(cached)} did not answer (${r.message}); asking DPS`
                : `${this.label(cached)} still unreachable after ${cacheAttempt} attempts (${r.message}); asking DPS`
          cacheAttempt = 0
        }

        this.setState(
          { kind: 'provisioning', attempt: ++provisionAttempt },
          dpsReason ?? `registering with DPS at ${this.o.provisioningHost}`,
        )
        dpsReason = null
        let hub: string
        try {
          const assignment = await provision(
            {
              provisioningHost: this.o.provisioningHost,
              idScope: this.o.idScope,
              registrationId: this.o.deviceId,
              deviceKey: this.deviceKey,
              modelId: this.o.modelId,
              transport: this.o.transport,
              ca: this.o.ca,
              timeoutMs: this.config.provisioningTimeoutMs,
            },
            signal,
          )
          if (signal.aborted) return
          hub = assignment.assignedHub
          this.hubDeviceId = assignment.deviceId
          if (this.store.homeHub === null) this.store.homeHub = hub
          this.cachedHub = hub
          const moved = this.lastConnectedHub !== null && hub !== this.lastConnectedHub
          this.setState(
            { kind: 'connecting', hub, via: 'dps' },
            `DPS assigned ${this.label(hub)}${moved ? ` instead of ${this.label(this.lastConnectedHub!)}` : ''}${assignment.substatus ? ` (${assignment.substatus})` : ''}`,
          )
        } catch (e) {
          if (e instanceof Aborted) return
          const failure =
            e instanceof ProvisioningFailure
              ? e
              : new ProvisioningFailure('internal', String(e), false)
          if (failure.fatal) return this.fail(failure.toAppError())
          this.lastError = failure.toAppError()
          await this.wait(++failures, failure.message, signal, failure.retryAfterMs)
          continue
        }

        const r = await this.tryHub(hub, signal)
        if (r instanceof HubLink) {
          failures = provisionAttempt = 0
          await this.serve(r, 'dps', signal)
          continue
        }
        this.lastError = hubError(r, true)
        await this.wait(++failures, `${this.label(hub)}: ${r.message}`, signal)
      }
    } catch (e) {
      if (!(e instanceof Aborted)) throw e
    }
  }

  private async tryHub(host: string, signal: AbortSignal): Promise<HubLink | HubFailure> {
    try {
      const link = await HubLink.open(
        {
          host,
          deviceId: this.hubDeviceId,
          deviceKey: this.deviceKey,
          modelId: this.o.modelId,
          transport: this.o.transport,
          ca: this.o.ca,
          keepAliveSec: this.config.keepAliveSec,
          connectTimeoutMs: this.config.connectTimeoutMs,
          twinTimeoutMs: this.config.twinTimeoutMs,
          c2d: this.behaviours.c2dCommands,
        },
        this.inboundTraffic.handlers,
        signal,
      )
      if (!signal.aborted) return link
      await link.close(closeBoundMs)
      throw new Aborted()
    } catch (e) {
      if (e instanceof HubConnectError) return e.failure
      if (e instanceof Aborted) throw e
      return { kind: 'unreachable', message: String(e) }
    }
  }

  /** Uses a fresh link until it is lost (or the session stops). */
  private async serve(link: HubLink, via: 'dps' | 'cache', signal: AbortSignal): Promise<void> {
    const hub = link.host
    const home = this.store.homeHub
    const previous = this.lastConnectedHub
    const move =
      previous !== null && previous !== hub ? (hub === home ? 'failback' : 'failover') : null
    this.link = link
    this.lastConnectedHub = hub
    this.lastError = null
    if (this.lostAt !== null) this.activity.counters.reconnects++
    const lostAt = this.lostAt
    this.lostAt = null
    let reason: string
    if (move === 'failover')
      reason = `connected to ${this.label(hub)}: failed over from ${this.label(previous!)}`
    else if (move === 'failback')
      reason = `connected to ${this.label(hub)}: failed back to the home hub from ${this.label(previous!)}`
    else if (via === 'cache') reason = `reconnected to ${this.label(hub)} without asking DPS`
    else reason = `connected to ${this.label(hub)}${hub === home ? ' (home hub)' : ''}`
    if (move) {
      this.activity.counters[move === 'failover' ? 'failovers' : 'failbacks']++
      this.pendingMove = { kind: move, from: previous!, to: hub, lostAt: lostAt ?? Date.now() }
    }
    this.setState({ kind: 'connected', hub, since: Date.now() }, reason, move ? { mark: move } : {})
    this.sender.attach(link)
    void this.inboundTraffic.syncDesired(link)
    // The switch may have moved while this link was opening.
    this.syncC2d(link)

    let onAbort = () => {}
    const stopped = new Promise<null>((resolve) => {
      onAbort = () => resolve(null)
      if (signal.aborted) resolve(null)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    const lostReason = await Promise.race([link.lost, stopped])
    signal.removeEventListener('abort', onAbort)
    // On disconnect() the stop sequence flushes and closes this link itself.
    if (lostReason === null || this.stopping) return
    this.sender.detach()
    this.link = null
    this.lostAt = Date.now()
    this.setState({ kind: 'lost', hub }, `${this.label(hub)}: ${lostReason}`)
    await link.close(closeBoundMs)
  }

  private async wait(
    attempt: number,
    reason: string,
    signal: AbortSignal,
    atLeastMs = 0,
  ): Promise<void> {
    if (signal.aborted) return
    const ms = Math.max(atLeastMs, backoffDelay(attempt, this.config.backoff))
    this.setState(
      { kind: 'waiting', until: Date.now() + ms, attempt },
      `${reason}; next try in ${(ms / 1000).toFixed(1)} s`,
    )
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.skipWait = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done)
      this.skipWait = done
    })
  }

  private async stop(): Promise<void> {
    const run = this.run
    this.stopProducers()
    if (!run) {
      const kind = this.tracker.state.kind
      if (kind !== 'idle' && kind !== 'disconnected')
        this.setState({ kind: 'disconnected' }, 'disconnected')
      return
    }
    const link = this.link
    this.setState(
      { kind: 'disconnecting' },
      link?.alive
        ? `flushing the outbox (up to ${flushBoundMs / 1000} s), then closing`
        : 'stopping',
    )
    if (link?.alive) await withTimeout(this.sender.drained(), flushBoundMs)
    run.abort.abort()
    await run.done
    // The loop may have taken up a new link while the flush ran.
    const last = this.link
    this.sender.detach()
    this.link = null
    // A deliberate stop is not an outage: the next connect starts a fresh story.
    this.lostAt = null
    this.pendingMove = null
    await Promise.all([link?.close(closeBoundMs), last?.close(closeBoundMs)])
    const left = this.outbox.size
    this.setState(
      { kind: 'disconnected' },
      left
        ? `disconnected; ${left} unsent item(s) kept in the outbox for next time`
        : 'disconnected cleanly; nothing left to send',
    )
  }

  private fail(error: AppError): void {
    this.lastError = error
    this.stopProducers()
    this.setState({ kind: 'failed', error }, error.message)
  }

  private setState(state: ConnectionState, reason: string, extras: EntryExtras = {}): void {
    this.tracker.set(state, reason, extras)
  }

  private label(host: string): string {
    const name = this.o.hubLabels?.[host]
    return name ? `hub ${name}` : host
  }

  // ---- behaviours ----------------------------------------------------------------------------

  private startProducers(immediately: boolean): void {
    this.stopProducers()
    this.producing = true
    if (this.behaviours.telemetry) {
      if (immediately) this.produceTelemetry()
      this.telemetryTimer = setInterval(() => this.produceTelemetry(), this.periods.telemetryMs)
    }
    if (this.behaviours.reportedProperties && !this.reportedSim.empty) {
      if (immediately) this.produceReported()
      this.reportedTimer = setInterval(() => this.produceReported(), this.periods.reportedMs)
    }
  }

  private stopProducers(): void {
    this.producing = false
    if (this.telemetryTimer) clearInterval(this.telemetryTimer)
    if (this.reportedTimer) clearInterval(this.reportedTimer)
    this.telemetryTimer = this.reportedTimer = null
  }

  private produceTelemetry(): void {
    const values = this.telemetrySim.next()
    const item = this.enqueue({ kind: 'telemetry', at: Date.now(), body: values })
    if (item?.kind !== 'telemetry') return
    const sample: TelemetrySample = { seq: item.seq, at: item.at, values }
    this.lastTelemetry = sample
    this.activity.telemetry.push(sample)
    this.emit('telemetry', sample)
    this.emit('changed')
  }

  private produceReported(): void {
    const patch = this.reportedSim.next()
    const item = this.enqueue({ kind: 'reported', at: Date.now(), patch })
    if (!item) return
    Object.assign(this.activity.reportedValues, patch)
    this.activity.addReported(patch, 'queued', item.id)
    this.emit('changed')
  }

  /** Journals an item and hands it to the sender; a full disk is reported, not thrown. */
  private enqueue(input: Parameters<Outbox['add']>[0]): OutboxItem | null {
    try {
      const { item, dropped } = this.outbox.add(input)
      if (dropped.length) {
        this.activity.counters.dropped += dropped.length
        this.sender.forget(dropped)
        for (const d of dropped) this.activity.setOutboxStatus(d.id, 'failed')
      }
      this.sender.push(item)
      return item
    } catch (e) {
      this.problem({
        code: 'internal',
        message: `cannot write the outbox: ${(e as Error).message}`,
      })
      return null
    }
  }

  private onSent(item: OutboxItem, again: boolean): void {
    this.activity.counters.sent++
    if (again) this.activity.counters.duplicatesRisk++
    this.activity.setOutboxStatus(item.id, 'sent')
    this.emit('changed')
  }

  private onAcked(item: OutboxItem, link: HubLink): void {
    this.activity.counters.acknowledged++
    this.activity.setOutboxStatus(item.id, 'acknowledged')
    const move = this.pendingMove
    if (item.kind === 'telemetry' && move && link.host === move.to) {
      this.pendingMove = null
      const durationMs = Date.now() - move.lostAt
      this.activity.counters.lastFailoverMs = durationMs
      this.tracker.note(
        `${move.kind} complete: first telemetry acknowledged by ${this.label(move.to)} ${(durationMs / 1000).toFixed(2)} s after ${this.label(move.from)} was lost`,
        {
          mark: move.kind,
          durationMs,
          hub: move.to,
        },
      )
    }
    this.emit('changed')
  }

  private onRefused(item: OutboxItem, reason: string): void {
    this.activity.setOutboxStatus(item.id, 'failed')
    this.problem({
      code: 'protocol',
      message: `the hub refused a reported-property update: ${reason}`,
    })
  }

  /** Subscribes or unsubscribes C2D to match the switch: off, the hub keeps them for later. */
  private syncC2d(link: HubLink): void {
    const want = this.behaviours.c2dCommands
    if (link.c2d === want) return
    link.setC2d(want).catch((e: Error) => {
      if (e instanceof LinkDown || !link.alive) return // the next link subscribes as the switch says
      this.problem({
        code: 'protocol',
        message: `the hub did not accept turning C2D ${want ? 'on' : 'off'}: ${e.message}`,
      })
    })
  }

  private problem(error: AppError): void {
    this.lastError = error
    this.emit('changed')
  }
}

function hubError(f: HubFailure, freshAssignment: boolean): AppError {
  if (f.kind === 'refused' && freshAssignment && f.connack === 5) {
    return {
      code: 'bad-credentials',
      message: `the hub DPS just assigned refused the device (${f.message})`,
    }
  }
  return { code: f.kind === 'refused' ? 'hub-refused' : 'unreachable', message: f.message }
}
