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
import {
  type HubProblem,
  type LinkLoss,
  type TimelineCause,
  type WaitReason,
  describeCause,
  describeHubProblem,
  hubNamer,
} from '../../shared/timeline'
import { Activity } from './activity'
import type { DeviceSessionApi, DeviceSessionEvents, DeviceSessionOptions } from './api'
import { defaultBackoff } from './backoff'
import { ConnectionStateTracker, type EntryExtras } from './connection-state'
import { DeviceStore } from './device-store'
import { Aborted, ProvisioningFailure, clip } from './errors'
import { Health } from './health'
import { HubConnectError, HubLink, LinkDown } from './hub-link'
import { Inbound } from './inbound'
import { deriveDeviceKey } from './keys'
import { Moves } from './moves'
import { Outbox, type OutboxItem } from './outbox'
import { provision } from './provisioning'
import {
  type PolicyConfig,
  type PolicyEvent,
  type PolicyState,
  type Step,
  conflictClearMs,
  decide,
  initialPolicyState,
  policyDefaults,
} from './reconnect-policy'
import { GroupCommit } from './group-commit'
import { Sender } from './sender'
import { validateOptions } from './settings-check'
import { ReportedSimulator, TelemetrySimulator } from './behaviour/simulate'
import { mergePatch } from './behaviour/twin-merge'
import { withTimeout } from './timing'

const flushBoundMs = 3000
const closeBoundMs = 2000

interface Config {
  keepAliveSec: number
  connectTimeoutMs: number
  provisioningTimeoutMs: number
  twinTimeoutMs: number
  tokenValiditySec: number
  tokenRenewalMarginSec: number
  policy: PolicyConfig
  outboxLimit: number
}

/** DPS registration substatus → is the hub it names this device's home? */
const homeBySubstatus: Record<string, boolean> = {
  initialAssignment: true,
  reprovisionedToInitialAssignment: true,
  deviceDataReset: true,
  deviceDataMigrated: false,
}

/**
 * The device: provisions through DPS, keeps one hub link, fails over and back, and runs the
 * behaviours of its model. The engine, not the SDK, owns reconnection; what to do after each
 * event is the reconnect policy's decision (reconnect-policy.ts), which this class carries out.
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
  /** What one turn produces is journaled with one fsync, and sent only once it is on disk. */
  private readonly journal: GroupCommit
  private readonly telemetrySim: TelemetrySimulator
  private readonly reportedSim: ReportedSimulator
  private readonly health: Health
  private readonly moves: Moves

  private readonly activity: Activity
  private readonly inboundTraffic: Inbound

  private behaviours: Behaviours
  private periods: Periods
  private lastTelemetry: TelemetrySample | null = null
  private lastError: AppError | null = null
  private commandResponses: Record<string, unknown> = {}
  private conflictError: AppError | null = null

  private policy: PolicyState = initialPolicyState()
  private link: HubLink | null = null
  private lastConnectedHub: string | null = null
  private hubDeviceId: string
  private lostAt: number | null = null
  /** DPS made the hub it just named home, replacing another: connecting there is no move. */
  private rehomed = false
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
      ...tokenLifetime(options.tokenValiditySec, options.tokenRenewalMarginSec),
      policy: {
        backoff: { ...defaultBackoff, ...options.backoff },
        healthyLinkMs: options.healthyLinkMs ?? policyDefaults.healthyLinkMs,
        conflictKicks: policyDefaults.conflictKicks,
        conflictWindowMs: policyDefaults.conflictWindowMs,
        sameHubMinMs: options.sameHubMinMs ?? policyDefaults.sameHubMinMs,
        sameHubSpreadMs: options.sameHubSpreadMs ?? policyDefaults.sameHubSpreadMs,
        sameHubFastForMs: policyDefaults.sameHubFastForMs,
        throttleSpreadMaxMs: options.throttleSpreadMaxMs ?? policyDefaults.throttleSpreadMaxMs,
        dpsErrorMinMs: options.dpsErrorMinMs ?? policyDefaults.dpsErrorMinMs,
        useCachedHub: options.useCachedHub !== false,
      },
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
    this.health = new Health(Object.keys(options.hubLabels ?? {}))
    this.moves = new Moves(this.activity.counters)
    this.inboundTraffic = new Inbound({
      model: options.model,
      activity: this.activity,
      behaviours: () => this.behaviours,
      commandResponses: () => this.commandResponses,
      link: () => this.link,
      problem: (error) => this.problem(error),
      changed: () => this.emit('changed'),
    })
    this.tracker = new ConnectionStateTracker((entry) => {
      this.activity.timeline.push(entry)
      this.emit('timeline', entry)
      this.emit('changed')
    }, hubNamer(options.hubLabels))
    this.store = new DeviceStore(options.dataDir)
    this.outbox = new Outbox(options.dataDir, this.config.outboxLimit)
    // Whatever fails from here on, the outbox (and its folder lock) is let go: a retry after
    // the user mends the cause must not find the folder held by this dead session.
    try {
      this.telemetrySim = new TelemetrySimulator(options.model)
      this.reportedSim = new ReportedSimulator(options.model)
      this.sender = new Sender(this.outbox, {
        sent: (item, again) => this.onSent(item, again),
        acked: (item, link) => this.onAcked(item, link),
        refused: (item, reason) => this.onRefused(item, reason),
      })
      this.journal = new GroupCommit(this.outbox, this.sender, {
        dropped: (items) => {
          this.activity.counters.dropped += items.length
          for (const d of items) this.activity.setOutboxStatus(d.id, 'failed')
        },
        // A full disk: nothing of the group exists (no number taken); said, not thrown.
        failed: (e) =>
          this.problem({ code: 'internal', message: `cannot write the outbox: ${e.message}` }),
      })
      for (const item of this.outbox.pending())
        if (item.kind === 'reported')
          this.activity.addReported(item.patch, 'queued', item.id, item.at)
    } catch (e) {
      this.outbox.close()
      throw e
    }
    const lines = this.outbox.unreadableLines
    if (lines > 0) {
      const cause: TimelineCause = { code: 'outbox-unreadable', lines, kept: this.outbox.size }
      this.lastError = { code: 'internal', message: describeCause(cause) }
      this.tracker.note(cause)
    }
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
    this.startLoop()
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
    else if (this.link?.alive) this.link.fail({ kind: 'asked' })
    else this.skipWait?.()
  }

  /**
   * The last resort of a shell that caught something no operation could (an uncaught throw):
   * records it, and starts the connection over from the cached hub with fresh SDK clients. The
   * outbox and everything produced stay as they are.
   */
  async restart(fault: unknown): Promise<void> {
    if (this.closed) return
    const detail = clip(fault instanceof Error ? fault.message : String(fault))
    const cause: TimelineCause = { code: 'fault', detail }
    this.lastError = { code: 'internal', message: describeCause(cause) }
    this.tracker.note(cause)
    const run = this.run
    if (!run || this.stopping) return
    const link = this.link
    run.abort.abort()
    await run.done
    this.sender.detach()
    this.link = null
    this.moves.forget()
    if (link) this.lostAt = Date.now()
    await link?.close(closeBoundMs)
    if (this.closed || this.stopping || this.run) return
    this.startLoop()
  }

  setBehaviour(name: BehaviourName, enabled: boolean): Behaviours {
    this.behaviours = { ...this.behaviours, [name]: enabled }
    if ((name === 'telemetry' || name === 'reportedProperties') && this.producing)
      this.startProducers(enabled)
    // Edits made while desired handling was off are acknowledged as soon as it is back on.
    if (name === 'desiredProperties' && enabled && this.link?.alive)
      void this.inboundTraffic.syncDesired(this.link)
    if (name === 'c2dCommands' && this.link?.alive) this.syncC2d(this.link)
    if (name === 'c2dCommands' && enabled) this.inboundTraffic.releaseHeld()
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

  setCommandResponse(command: string, response: unknown): Record<string, unknown> {
    const next = { ...this.commandResponses }
    if (response === null || response === undefined) delete next[command]
    else next[command] = response
    this.commandResponses = next
    this.emit('changed')
    return { ...next }
  }

  snapshot(): SessionSnapshot {
    const home = this.store.homeHub
    const hub = this.link?.alive ? this.link.host : null
    const c = this.activity.counters
    return {
      deviceId: this.o.deviceId,
      modelId: this.o.modelId,
      state: this.tracker.state,
      hub: hub ? { host: hub, label: this.o.hubLabels?.[hub] ?? hub, isHome: hub === home } : null,
      homeHub: home,
      behaviours: { ...this.behaviours },
      periods: { ...this.periods },
      counters: {
        ...c,
        lastFailover: c.lastFailover && { ...c.lastFailover },
        lastFailback: c.lastFailback && { ...c.lastFailback },
        queued: this.outbox.size,
      },
      lastTelemetry: this.lastTelemetry,
      reported: { ...this.activity.reportedValues },
      desired: { ...this.inboundTraffic.desired },
      lastError: this.lastError ?? this.conflictError,
      commandResponses: { ...this.commandResponses },
      hubLabels: { ...this.o.hubLabels },
      ...this.health.snapshot(),
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
      this.journal.flush()
      this.outbox.close()
    })()
    return this.closing
  }

  // ---- connection --------------------------------------------------------------------------

  private startLoop(): void {
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

  private decide(event: PolicyEvent): Step {
    const d = decide(this.policy, event, {
      now: Date.now(),
      random: Math.random,
      config: this.config.policy,
    })
    this.policy = d.state
    if (d.conflict === 'started') this.conflictStarted()
    if (d.conflict === 'over') this.conflictOver()
    return d.step
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let step = this.decide({ type: 'start' })
    try {
      while (!signal.aborted && !this.stopping) {
        if (step.next === 'stop' || step.next === 'stay') return
        if (step.waitMs > 0) await this.wait(step.waitMs, step.why, signal)
        if (signal.aborted) return
        step =
          step.next === 'dps' ? await this.register(step, signal) : await this.useHub(step, signal)
      }
    } catch (e) {
      if (!(e instanceof Aborted)) throw e
    }
  }

  /** One DPS registration; the policy decides what follows from its outcome. */
  private async register(step: Step & { next: 'dps' }, signal: AbortSignal): Promise<Step> {
    const cause: TimelineCause =
      step.after === 'hub-failed'
        ? { code: 'dps-after-hub', hub: step.hub, problem: step.problem }
        : step.after === 'silent'
          ? { code: 'dps-after-loss', hub: step.hub, loss: step.loss }
          : { code: 'dps-register', host: this.o.provisioningHost }
    this.setState({ kind: 'provisioning', attempt: step.attempt }, cause)
    this.activity.counters.registrations++
    let assignment: Awaited<ReturnType<typeof provision>>
    try {
      assignment = await provision(
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
    } catch (e) {
      if (e instanceof Aborted) throw e
      const failure =
        e instanceof ProvisioningFailure
          ? e
          : new ProvisioningFailure('internal', { kind: 'dropped', detail: clip(String(e)) }, false)
      this.health.dpsFailed(failure.problem)
      // A 429 is the quota saying no before DPS took the request: a throttle, not a registration.
      if (failure.problem.kind === 'throttled') {
        this.activity.counters.throttled++
        this.activity.counters.registrations--
      } else if (failure.problem.kind === 'status') this.activity.counters.dpsErrors++
      if (failure.fatal) {
        this.fail(failure.toAppError())
        return { next: 'stop' }
      }
      this.lastError = failure.toAppError()
      return this.decide({
        type: 'dps-failed',
        problem: failure.problem,
        fatal: false,
        retryAfterMs: failure.retryAfterMs,
      })
    }
    if (signal.aborted) throw new Aborted()
    this.health.dpsUp()
    const hub = assignment.assignedHub
    this.hubDeviceId = assignment.deviceId
    this.learnHome(hub, assignment.substatus)
    const previous = this.lastConnectedHub
    this.setState(
      { kind: 'connecting', hub, via: 'dps' },
      {
        code: 'dps-assigned',
        hub,
        previous: previous !== null && previous !== hub ? previous : null,
        substatus: assignment.substatus ?? null,
      },
    )
    return this.decide({ type: 'assigned', hub })
  }

  /**
   * Home is what DPS says: a first assignment, a return to it, or a reset of the device's data
   * on the hub names home; a migration names a hub away from home. Without a substatus (an
   * older DPS), the first hub ever assigned is home.
   */
  private learnHome(hub: string, substatus: string | undefined): void {
    const current = this.store.homeHub
    const isHome = substatus !== undefined ? homeBySubstatus[substatus] : undefined
    this.rehomed = isHome === true && current !== null && current !== hub
    if (isHome === true || (isHome === undefined && current === null)) {
      if (current !== hub) this.store.homeHub = hub
    } else if (isHome === false && current === hub) {
      // DPS says this is not home after all: which one is, this device cannot know.
      this.store.homeHub = null
    }
  }

  /** One connection attempt to a hub; if it takes, the link is used until it is lost. */
  private async useHub(step: Step & { next: 'hub' }, signal: AbortSignal): Promise<Step> {
    const { hub } = step
    // A hub DPS has just named was announced with the assignment; anything else says here.
    if (step.start !== 'assigned' || step.waitMs > 0) {
      const cause: TimelineCause = {
        code: 'hub-try',
        hub,
        attempt: step.attempt,
        after: step.start === 'assigned' ? 'wait' : step.start,
      }
      this.setState(
        step.start === 'connect'
          ? { kind: 'connecting', hub, via: 'cache' }
          : { kind: 'reconnecting', hub, attempt: step.attempt },
        cause,
      )
    }
    const r = await this.tryHub(hub, signal)
    if (!(r instanceof HubLink)) {
      this.health.hubFailed(hub, r)
      this.lastError = hubError(r, step.via === 'dps')
      return this.decide({ type: 'hub-failed', hub, via: step.via, problem: r })
    }
    this.health.hubUp(hub)
    this.decide({ type: 'connected', hub, via: step.via })
    const lost = await this.serve(r, step.via, signal)
    if (!lost) return { next: 'stop' }
    return this.decide({ type: 'lost', hub, ...lost })
  }

  private async tryHub(host: string, signal: AbortSignal): Promise<HubLink | HubProblem> {
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
          tokenValiditySec: this.config.tokenValiditySec,
          tokenRenewalMarginSec: this.config.tokenRenewalMarginSec,
          onTokenRenewed: () =>
            this.tracker.note(
              { code: 'token-renewed', hub: host, validSec: this.config.tokenValiditySec },
              { hub: host },
            ),
        },
        this.inboundTraffic.handlers,
        signal,
      )
      if (!signal.aborted) return link
      await link.close(closeBoundMs)
      throw new Aborted()
    } catch (e) {
      if (e instanceof HubConnectError) return e.problem
      if (e instanceof Aborted) throw e
      return { kind: 'unreachable', error: { message: String(e) } }
    }
  }

  /** Uses a fresh link until it is lost (null: the session stopped it). */
  private async serve(
    link: HubLink,
    via: 'dps' | 'cache',
    signal: AbortSignal,
  ): Promise<{ loss: LinkLoss; livedMs: number } | null> {
    const hub = link.host
    const home = this.store.homeHub
    const previous = this.lastConnectedHub
    const lostAt = this.lostAt
    this.link = link
    this.lastConnectedHub = hub
    this.lastError = null
    if (lostAt !== null) this.activity.counters.reconnects++
    this.lostAt = null
    const { move, ms } = this.moves.connected(hub, previous, home, lostAt, this.rehomed)
    this.rehomed = false
    this.setState(
      { kind: 'connected', hub, since: Date.now() },
      { code: 'connected', hub, via, home: hub === home, move, from: move ? previous : null, ms },
      move ? { mark: move, ...(ms !== null ? { durationMs: ms } : {}) } : {},
    )
    this.sender.attach(link)
    void this.inboundTraffic.syncDesired(link)
    // The switch may have moved while this link was opening.
    this.syncC2d(link)
    const lived = [this.config.policy.healthyLinkMs, conflictClearMs(this.config.policy)].map(
      (ms) => setTimeout(() => link.alive && this.decide({ type: 'lived', ms }), ms),
    )

    let onAbort = () => {}
    const stopped = new Promise<null>((resolve) => {
      onAbort = () => resolve(null)
      if (signal.aborted) resolve(null)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    const loss = await Promise.race([link.lost, stopped])
    signal.removeEventListener('abort', onAbort)
    for (const t of lived) clearTimeout(t)
    // On disconnect() the stop sequence flushes and closes this link itself.
    if (loss === null || this.stopping) return null
    const livedMs = link.livedMs
    this.sender.detach()
    this.link = null
    this.moves.forget()
    // A silent hub was gone from its last word on, not from when keep-alive or an unanswered
    // twin request noticed: the move's figure is the time the device was without a hub.
    const silence = loss.kind === 'silent' || loss.kind === 'twin-timeout'
    this.lostAt = silence ? Math.min(Date.now(), link.lastHeardAt) : Date.now()
    this.health.hubLost(hub, loss)
    this.setState({ kind: 'lost', hub }, { code: 'lost', hub, loss, livedMs })
    await link.close(closeBoundMs)
    return { loss, livedMs }
  }

  private async wait(ms: number, why: WaitReason | undefined, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    if (why)
      this.setState(
        { kind: 'waiting', until: Date.now() + ms, attempt: Math.max(1, this.policy.failures) },
        { code: 'wait', ms, why },
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

  private conflictStarted(): void {
    const hub = this.policy.lastHub ?? ''
    const cause: TimelineCause = {
      code: 'id-conflict',
      deviceId: this.o.deviceId,
      hub,
      kicks: this.policy.kicks.length,
      windowMs: this.config.policy.conflictWindowMs,
    }
    this.conflictError = {
      code: 'id-conflict',
      message: describeCause(cause, hubNamer(this.o.hubLabels)),
    }
    this.tracker.note(cause, { hub })
  }

  private conflictOver(): void {
    this.conflictError = null
    this.tracker.note({ code: 'id-conflict-over', deviceId: this.o.deviceId })
  }

  private async stop(): Promise<void> {
    const run = this.run
    this.stopProducers()
    if (!run) {
      const kind = this.tracker.state.kind
      if (kind !== 'idle' && kind !== 'disconnected')
        this.setState({ kind: 'disconnected' }, { code: 'disconnected', unsent: this.outbox.size })
      return
    }
    const link = this.link
    this.setState(
      { kind: 'disconnecting' },
      { code: 'disconnecting', flushMs: link?.alive ? flushBoundMs : null },
    )
    // What the producers made this turn goes on disk (and into the flush) before the link closes.
    this.journal.flush()
    if (link?.alive) await withTimeout(this.sender.drained(), flushBoundMs)
    run.abort.abort()
    await run.done
    // The loop may have taken up a new link while the flush ran.
    const last = this.link
    this.sender.detach()
    this.link = null
    // A deliberate stop is not an outage: the next connect starts a fresh story.
    this.lostAt = null
    this.moves.forget()
    await Promise.all([link?.close(closeBoundMs), last?.close(closeBoundMs)])
    this.setState({ kind: 'disconnected' }, { code: 'disconnected', unsent: this.outbox.size })
  }

  private fail(error: AppError): void {
    this.lastError = error
    this.stopProducers()
    this.setState({ kind: 'failed', error }, { code: 'failed', error })
  }

  private setState(state: ConnectionState, cause: TimelineCause, extras: EntryExtras = {}): void {
    this.tracker.set(state, cause, extras)
  }

  // ---- behaviours ----------------------------------------------------------------------------

  private startProducers(immediately: boolean): void {
    this.stopProducers()
    this.producing = true
    if (this.behaviours.telemetry && !this.telemetrySim.empty) {
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
    const at = Date.now()
    for (const { component, values } of this.telemetrySim.next()) {
      const item = component === null ? {} : { component }
      // Recorded once it is on disk, with the sequence number the journal gave it.
      this.journal.add({ kind: 'telemetry', at, body: values, ...item }, (added) => {
        if (added.kind !== 'telemetry') return
        const sample: TelemetrySample = { seq: added.seq, at: added.at, component, values }
        this.lastTelemetry = sample
        this.activity.telemetry.push(sample)
        this.emit('telemetry', sample)
        this.emit('changed')
      })
    }
  }

  private produceReported(): void {
    const patch = this.reportedSim.next()
    this.journal.add({ kind: 'reported', at: Date.now(), patch }, (item) => {
      mergePatch(this.activity.reportedValues, patch)
      this.activity.addReported(patch, 'queued', item.id, item.at)
      this.emit('changed')
    })
  }

  private onSent(item: OutboxItem, again: boolean): void {
    const c = this.activity.counters
    c.sent++
    if (item.kind === 'telemetry') c.telemetrySent++
    else c.reportedSent++
    if (again) c.duplicatesRisk++
    this.activity.setOutboxStatus(item.id, 'sent')
    this.emit('changed')
  }

  private onAcked(item: OutboxItem, link: HubLink): void {
    const c = this.activity.counters
    c.acknowledged++
    if (item.kind === 'telemetry') c.telemetryAcked++
    else c.reportedAcked++
    this.activity.setOutboxStatus(item.id, 'acknowledged')
    const done = this.moves.acked(link.host, item.kind)
    if (done?.code === 'move-acked')
      this.tracker.note(done, { mark: done.move, durationMs: done.ms, hub: done.hub })
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

/**
 * The SDK renews a token `margin` seconds before it expires, so the margin must be shorter than
 * the lifetime; out-of-range values fall back to what the SDK itself uses (3600 s, 900 s).
 */
function tokenLifetime(validity?: number, margin?: number) {
  const whole = (v: number | undefined) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined
  // The default lifetime is jittered by up to 10 % per device: a fleet that connected (or moved)
  // together would otherwise renew together, every device reconnecting in the same second.
  const tokenValiditySec = Math.max(2, whole(validity) ?? 3600 - Math.floor(Math.random() * 360))
  const asked = whole(margin) ?? Math.min(900, Math.floor(tokenValiditySec / 4))
  const tokenRenewalMarginSec = Math.min(Math.max(1, asked), tokenValiditySec - 1)
  return { tokenValiditySec, tokenRenewalMarginSec }
}

function hubError(p: HubProblem, freshAssignment: boolean): AppError {
  const message = describeHubProblem(p)
  if (p.kind === 'refused' && freshAssignment && p.connack === 5) {
    return {
      code: 'bad-credentials',
      message: `the hub DPS just assigned refused the device (${message})`,
    }
  }
  return { code: p.kind === 'refused' ? 'hub-refused' : 'unreachable', message }
}
