import path from 'node:path'
import type { z } from 'zod'
import {
  invokeChannels,
  isInvokeChannel,
  parseRequest,
  type AppInfo,
  type EventChannel,
  type EventPayloads,
  type InvokeChannel,
  type InvokeResponse,
  type LabInfo,
  type Result,
} from '../../shared/contract'
import type { SessionSnapshot, TimelineEntry } from '../../shared/domain'
import { modelReport, type DeviceModel, type ModelDocument } from '../../shared/dtdl'
import { maskKey, type PublicSettings } from '../../shared/settings'
import type { DeviceSessionApi, DeviceSessionOptions } from '../device/api'
import { deriveDeviceKey } from '../device/keys'
import type { LabOptions } from '../../lab/types'
import { ModelStore, readModelFile, type ActiveModel } from './model-store'
import { EventBatcher, type BatcherOptions } from './batcher'
import { diagnosticsText } from './diagnostics'
import { EmbeddedLab } from './embedded-lab'
import { FleetRunner } from './fleet-runner'
import { ExamRunner, labDeviceList, labGet, type ExamTimings, type RunExam } from './exam-runner'
import { AppFailure, toAppError } from './errors'
import { addLabTemplate, readLabStats, readLabStatus, runLabAction } from './lab-client'
import type { LabService } from './lab-process'
import { Redactor, type LogFile } from './log-file'
import { plainSecretBox, type SecretBox } from './secret-box'
import { SettingsStore, type ActiveSettings } from './settings-store'

/** The engine and the lab, injected so the core is testable with fakes. */
export interface CoreDeps {
  createSession(options: DeviceSessionOptions): DeviceSessionApi
  /** Starts a lab (in its own process in both shells) and resolves once it listens. */
  startLab(options: Omit<LabOptions, 'log'>): Promise<LabService>
  /** The exam (lab/exam/run.ts's runExam unless a test stands in). */
  runExam?: RunExam
  /** A GET on the embedded lab's control API, for lab:devices (tests stand in). */
  labGet?: (controlUrl: string, path: string) => Promise<unknown>
}

export interface AppCoreOptions {
  /** The app's data folder: settings.json, each device's outbox and counters. */
  dataDir: string
  shell: AppInfo['shell']
  version: string
  model: DeviceModel
  /** The built-in template's files, given to the embedded lab to check the device against. */
  modelFiles?: ModelDocument[]
  deps: CoreDeps
  /** Seals saved keys: the OS keychain in Electron, nothing in the web shell (and it says so). */
  secretBox?: SecretBox
  /** Options for the embedded lab (tests: ephemeral ports, own data folder, no discovery file). */
  lab?: Omit<LabOptions, 'log'>
  /** The device the embedded lab runs. */
  labDeviceId?: string
  /** Connect as soon as the session is built (default true). */
  autoConnect?: boolean
  /** Extra engine options (tests: short backoff and timeouts). */
  sessionOverrides?: Partial<DeviceSessionOptions>
  batch?: BatcherOptions
  /** Console lines (already redacted). */
  log?: (line: string) => void
  /** The rotating log file; every line the core logs goes there too, redacted. */
  logFile?: LogFile
  /** Scrubs keys and tokens from everything logged or copied; shared with the log file. */
  redactor?: Redactor
  /** The terminal command that moves the device (`npx lizard …` in a checkout; see lizard-hint). */
  lizardHint?: (verb: 'failover' | 'failback', deviceId: string, controlUrl: string) => string
  /** How lizard runs here, for the lab panel's commands (default `npx lizard`). */
  lizardPrefix?: string
  /** Opens the logs folder in the file manager (Electron). */
  openLogs?: () => Promise<void>
  /** The exam's timings over the CLI's defaults (tests: a short warm-up). */
  examTimings?: Partial<ExamTimings>
}

export type InvokeHandlers = {
  [C in InvokeChannel]: (
    request: z.output<(typeof invokeChannels)[C]['request']>,
  ) => Promise<InvokeResponse<C>>
}

export type CoreEventListener = <E extends EventChannel>(
  event: E,
  payload: EventPayloads[E],
) => void

export const DEFAULT_LAB_DEVICE_ID = 'failover_js'

/** Reads the built-in DTDL template (failover.json); it must load. */
export async function loadModelFile(file: string): Promise<DeviceModel> {
  return (await readModelFile(file)).model
}

export { readModelFile }

/** More faults than this within a minute: the device stays stopped instead of restarting again. */
const maxFaultRestarts = 3

/**
 * Everything the app does that is not Electron or HTTP: settings and profiles, the embedded lab,
 * the device session, the contract's handlers, logs and diagnostics. Both shells wrap one.
 */
export class AppCore {
  readonly settings: SettingsStore
  readonly handlers: InvokeHandlers
  private readonly models: ModelStore
  private readonly builtIn: ActiveModel
  /** The template the device in use runs. */
  private activeModel: ActiveModel
  readonly redactor: Redactor
  private readonly lab: EmbeddedLab
  /** A small fleet beside the single device, against the embedded lab (the fleet view). */
  private readonly fleet: FleetRunner
  /** `lizard exam` against a device on the embedded lab (the exam view). */
  private readonly exam: ExamRunner
  private session: DeviceSessionApi | null = null
  private startupProblem: string | null = null
  private lastFault: AppInfo['lastFault'] = null
  private faultTimes: number[] = []
  private readonly batcher: EventBatcher
  private readonly listeners = new Set<CoreEventListener>()
  /** Serialises start / settings changes / lab restarts / stop. */
  private queue: Promise<unknown> = Promise.resolve()
  private stopped = false
  /** Settles when start() has done its work: calls made earlier (a window that loads faster
   * than the lab starts) wait for it instead of failing. */
  private markReady!: () => void
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve))

  constructor(private readonly options: AppCoreOptions) {
    this.redactor = options.redactor ?? new Redactor()
    this.settings = new SettingsStore(
      options.dataDir,
      options.secretBox ?? plainSecretBox('this shell has no keychain'),
    )
    this.models = new ModelStore(options.dataDir)
    this.builtIn = {
      model: options.model,
      report: modelReport(
        { ok: true, model: options.model, warnings: [] },
        'failover.json (built in)',
      ),
      files: options.modelFiles ?? [],
    }
    this.activeModel = this.builtIn
    this.batcher = new EventBatcher((event, payload) => this.emit(event, payload), options.batch)
    this.fleet = new FleetRunner({
      createSession: (o) => options.deps.createSession(o),
      lab: () => this.fleetTarget(),
      model: () => this.activeModel.model,
      dataDir: options.dataDir,
      sessionOverrides: options.sessionOverrides,
      emit: (snapshot) => this.emit('fleet:changed', snapshot),
      log: (line) => this.log(line),
    })
    this.exam = new ExamRunner({
      lab: () => this.examTarget(),
      modelFor: (deviceId, controlUrl) => this.examModel(deviceId, controlUrl),
      emit: (snapshot) => this.emit('exam:changed', snapshot),
      log: (line) => this.log(line),
      ...(options.deps.runExam ? { run: options.deps.runExam } : {}),
      ...(options.examTimings ? { timings: options.examTimings } : {}),
    })
    this.lab = new EmbeddedLab(
      (o) => options.deps.startLab(o),
      options.lab ?? {},
      (line) => this.log(line),
      () => {
        this.emit('app:changed', this.appInfo())
        // Whether a fleet or an exam can run follows the lab.
        this.emit('fleet:changed', this.fleet.snapshot())
        this.emit('exam:changed', this.exam.snapshot())
      },
    )
    this.handlers = this.createHandlers()
  }

  /** Subscribes to batched events for the renderer. Returns the unsubscribe. */
  onEvent(listener: CoreEventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit<E extends EventChannel>(event: E, payload: EventPayloads[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload)
      } catch (err) {
        this.log(`event listener failed on ${event}: ${(err as Error).message}`)
      }
    }
  }

  /** One line to the console and the log file, with keys and tokens scrubbed. */
  log(line: string): void {
    const clean = this.redactor.redact(line)
    this.options.logFile?.write(clean)
    this.options.log?.(clean)
  }

  /** Loads settings, starts the embedded lab or the saved profile, builds the session. */
  start(): Promise<void> {
    return this.serial(async () => {
      try {
        const { problem } = await this.settings.load()
        if (problem) this.log(problem)
        await this.activate()
      } finally {
        this.markReady()
      }
    })
  }

  /** Clean disconnect, stop the lab. Safe to call twice. */
  stop(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return
      this.stopped = true
      this.markReady()
      this.batcher.flush()
      // An exam under way restores the lab before it goes.
      await this.exam.close()
      await this.fleet.close()
      await this.closeSession()
      this.batcher.close()
      await this.lab.stop()
    })
  }

  /**
   * The shells' last resort for an exception nothing else caught (an SDK bug on a later tick): it
   * is logged, the window is told, and the device session is rebuilt — its outbox is on disk, so
   * nothing queued is lost. Faults that keep coming leave the device stopped, saying why.
   */
  recoverFromFault(err: unknown, origin: string): Promise<void> {
    const message = this.redactor.redact(
      err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    )
    const stack = err instanceof Error && err.stack ? this.redactor.redact(err.stack) : message
    this.log(`fault (${origin}): ${stack}`)
    const now = Date.now()
    this.faultTimes = [...this.faultTimes.filter((t) => now - t < 60_000), now]
    const restart = this.faultTimes.length <= maxFaultRestarts && !this.stopped
    this.lastFault = {
      at: now,
      message: `${message} — ${restart ? 'the device session was restarted; queued data is kept' : 'repeated faults: the device is stopped; press Connect to try again'}`,
    }
    this.emit('app:changed', this.appInfo())
    this.fleet.recoverFromFault(err)
    return this.serial(async () => {
      const session = this.session
      if (this.stopped) return
      // The engine can start its connection over itself, keeping its timeline and counters.
      if (restart && session?.restart) return session.restart(err)
      const carried = this.carriedOptions()
      await this.closeSession()
      await this.activate(carried, restart)
    })
  }

  /** The contract's one entry point: validates, runs the handler, wraps the outcome. Never throws. */
  async invoke(channel: unknown, input: unknown): Promise<Result<unknown>> {
    if (!isInvokeChannel(channel)) {
      return {
        ok: false,
        error: {
          code: 'bad-request',
          message: `unknown channel ${JSON.stringify(String(channel)).slice(0, 80)}`,
        },
      }
    }
    try {
      const parsed = parseRequest(channel, input)
      if (!parsed.ok) return parsed
      await this.ready
      const handler = this.handlers[channel] as (req: unknown) => Promise<unknown>
      return { ok: true, value: await handler(parsed.value) }
    } catch (err) {
      return { ok: false, error: toAppError(err) }
    }
  }

  get labHandle(): LabService | null {
    return this.lab.running
  }

  get currentSession(): DeviceSessionApi | null {
    return this.session
  }

  // ---------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  private get labDeviceId(): string {
    return this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
  }

  /** The lab a fleet runs against, or why none can run now. */
  private fleetTarget(): { lab: LabService } | { why: string } {
    if (this.stopped) return { why: 'The app is shutting down.' }
    if (this.settings.activeId !== 'lab')
      return {
        why: 'A fleet runs against the embedded lab: switch the device profile to the embedded lab (in the header) to run one.',
      }
    const lab = this.lab.running
    if (!lab) return { why: 'The embedded lab is not running: a fleet waits for it.' }
    return { lab }
  }

  /** The lab an exam runs against, or why none can run now. */
  private examTarget(): { controlUrl: string } | { why: string } {
    if (this.stopped) return { why: 'The app is shutting down.' }
    if (this.settings.activeId !== 'lab')
      return {
        why: 'The exam runs against the embedded lab: switch the device profile to the embedded lab (in the header) to examine a device.',
      }
    const lab = this.lab.running
    if (!lab) return { why: 'The embedded lab is not running: the exam waits for it.' }
    return { controlUrl: lab.controlUrl }
  }

  /**
   * The template an exam calls commands and writes properties from: the one this app runs, for
   * its own device and for any device whose connection names the same model; none otherwise (the
   * exam then uses probes of its own, as lizard exam does without --model).
   */
  private async examModel(deviceId: string, controlUrl: string): Promise<DeviceModel | null> {
    const model = this.activeModel.model
    if (deviceId === this.labDeviceId) return model
    const get = this.options.deps.labGet ?? labGet
    const d = (await get(controlUrl, `/devices/${encodeURIComponent(deviceId)}`)) as {
      modelId?: unknown
    } | null
    return d?.modelId === model.id ? model : null
  }

  /** The embedded lab, when it runs and the device uses it. */
  private requireLab(): LabService {
    const lab = this.settings.activeId === 'lab' ? this.lab.running : null
    if (lab) return lab
    throw new AppFailure(
      'unavailable',
      this.settings.activeId === 'lab'
        ? 'The embedded lab is not running: restart it first.'
        : 'The lab panel drives the embedded lab: switch the device to it first.',
    )
  }

  private requireSession(): DeviceSessionApi {
    if (this.session) return this.session
    throw new AppFailure('unavailable', this.startupProblem ?? 'The device is not ready yet.')
  }

  /** The switches and periods the user set: saving settings changes where, not what. */
  private carriedOptions(): Pick<DeviceSessionOptions, 'behaviours' | 'periods'> {
    const before = this.session?.snapshot()
    return before ? { behaviours: { ...before.behaviours }, periods: { ...before.periods } } : {}
  }

  private async activate(
    carried: Pick<DeviceSessionOptions, 'behaviours' | 'periods'> = {},
    connect = this.options.autoConnect !== false,
  ): Promise<void> {
    this.startupProblem = null
    let active: ActiveSettings
    try {
      active = this.settings.active()
    } catch (err) {
      this.startupProblem = toAppError(err).message
      this.log(this.startupProblem)
      return
    }
    const saved = await this.models.load(this.settings.activeId)
    if (saved.problem) this.log(`device template: ${saved.problem}; using the built-in one`)
    this.activeModel = saved.active ?? this.builtIn
    const model = this.activeModel.model
    const base = { model, ...this.options.sessionOverrides, ...carried }
    let sessionOptions: DeviceSessionOptions
    if (active.mode === 'central') {
      // The fleet and the exam run against the embedded lab: they stop (cleanly, the exam
      // restoring the lab) before the lab does.
      await this.exam.stop('the device profile changed')
      await this.fleet.stop()
      await this.lab.stop()
      const p = active.profile
      this.redactor.add(active.deviceKey)
      sessionOptions = {
        ...base,
        idScope: p.idScope,
        deviceKey: active.deviceKey,
        deviceId: p.deviceId,
        // A template the user loaded names the model; with the built-in one, the profile does.
        modelId: saved.active ? model.id : p.modelId,
        provisioningHost: p.provisioningHost,
        transport: p.transport,
        ...(p.ca ? { ca: p.ca } : {}),
        dataDir: this.deviceDir('central', p.idScope, p.deviceId),
      }
    } else {
      let lab: LabService
      try {
        lab = await this.lab.ensure()
      } catch (err) {
        this.startupProblem = `The embedded lab could not start: ${(err as Error).message}`
        this.log(this.startupProblem)
        return
      }
      // The shells print the lab's address once at start; a lab started again (back from a
      // profile, or after it stopped) may be on other ports: the terminal must not keep a dead command.
      if (this.lab.startCount > 1)
        this.log(
          `[lab] started again: control ${lab.controlUrl}; try: ${this.labInfo()?.tryFailover ?? ''}`,
        )
      // The lab checks the device's traffic against the template it runs (the built-in one too).
      if (this.activeModel.files.length)
        await addLabTemplate(lab.controlUrl, this.activeModel.files).catch((err: unknown) =>
          this.log(`[lab] could not give the lab the template: ${(err as Error).message}`),
        )
      const deviceId = this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
      this.redactor.add(lab.groupPrimaryKey)
      this.redactor.add(lab.groupSecondaryKey)
      const deviceKey = deriveDeviceKey(lab.groupPrimaryKey, deviceId)
      this.redactor.add(deviceKey)
      sessionOptions = {
        ...base,
        idScope: lab.idScope,
        deviceKey,
        deviceId,
        modelId: model.id,
        provisioningHost: lab.dpsHost,
        transport: 'mqtt',
        ca: lab.ca,
        hubLabels: {
          [lab.hubs.a.host]: 'A',
          [lab.hubs.b.host]: 'B',
          ...this.options.sessionOverrides?.hubLabels,
        },
        dataDir: this.deviceDir(
          'lab',
          `${lab.idScope}_${lab.hubs.a.host}_${lab.hubs.b.host}`,
          deviceId,
        ),
      }
    }
    try {
      const session = this.options.deps.createSession(sessionOptions)
      this.session = session
      this.batcher.attach(session)
      session.on('timeline', this.logTimeline)
      if (connect) await session.connect()
    } catch (err) {
      this.startupProblem = `The device could not start: ${toAppError(err).message}`
      this.log(this.startupProblem)
    }
  }

  private readonly logTimeline = (e: TimelineEntry) =>
    this.log(
      `[device] ${e.state}${e.hub ? ` ${e.hub}` : ''}: ${e.reason}${e.durationMs !== undefined ? ` (${e.durationMs} ms)` : ''}`,
    )

  /**
   * The device's own folder (outbox, sequence counter, home hub). A device is one device id in
   * one application, so the folder is keyed by the application too: the IoT Central ID scope, or
   * for the embedded lab its scope and hub addresses. Otherwise a device id reused in another
   * application (or a lab that came up on other ports) would inherit a home hub that is not one
   * of its hubs and would send the other application's queued telemetry.
   */
  private deviceDir(mode: 'lab' | 'central', application: string, deviceId: string): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-')
    return path.join(
      this.options.dataDir,
      'devices',
      mode,
      safe(application),
      encodeURIComponent(deviceId).replace(/\*/g, '%2A'),
    )
  }

  private async closeSession(): Promise<void> {
    const session = this.session
    this.session = null
    this.batcher.attach(null)
    if (!session) return
    session.off('timeline', this.logTimeline)
    await session
      .close()
      .catch((err: unknown) => this.log(`session close failed: ${(err as Error).message}`))
  }

  /** Rebuilds the session after the settings changed, and tells the window. */
  private async rebuild(): Promise<PublicSettings> {
    // A new session (another profile, settings or template) is not the device under exam.
    await this.exam.stop('the device profile, its settings or its template changed')
    const carried = this.carriedOptions()
    await this.closeSession()
    await this.activate(carried)
    const pub = this.publicSettings()
    this.emit('settings:changed', pub)
    this.emit('app:changed', this.appInfo())
    this.emit('fleet:changed', this.fleet.snapshot())
    this.emit('exam:changed', this.exam.snapshot())
    if (this.session) this.emit('session:changed', this.session.snapshot())
    return pub
  }

  publicSettings(): PublicSettings {
    const profiles = this.settings.publicProfiles()
    const secretStorage = this.settings.secretStorage()
    const activeId = this.settings.activeId
    const p = profiles.find((x) => x.id === activeId)
    if (p) {
      return {
        mode: 'central',
        activeProfileId: p.id,
        idScope: p.idScope,
        keyKind: p.keyKind,
        keyMasked: p.keyMasked,
        deviceId: p.deviceId,
        modelId: p.modelId,
        provisioningHost: p.provisioningHost,
        transport: p.transport,
        profiles,
        secretStorage,
      }
    }
    const lab = this.lab.running
    const deviceId = this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
    return {
      mode: 'lab',
      activeProfileId: null,
      idScope: lab?.idScope ?? '',
      keyKind: 'group',
      keyMasked: lab ? maskKey(deriveDeviceKey(lab.groupPrimaryKey, deviceId)) : '',
      deviceId,
      modelId: this.activeModel.model.id,
      provisioningHost: lab?.dpsHost ?? '',
      transport: 'mqtt',
      profiles,
      secretStorage,
    }
  }

  private labInfo(): LabInfo | null {
    const state = this.lab.state
    if (this.settings.activeId !== 'lab' && state.status === 'none') return null
    const running = this.lab.running
    const id = this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
    const url = (running ?? this.lab.last)?.controlUrl ?? 'http://127.0.0.1:8090'
    // Always name the lab: with several labs on the machine, lizard would otherwise ask which.
    const hint =
      this.options.lizardHint ??
      ((verb, device, control) => `npx lizard ${verb} ${device} --url ${control}`)
    return {
      status: state.status === 'none' ? 'starting' : state.status,
      stoppedReason: state.status === 'stopped' ? state.reason : null,
      controlUrl: running?.controlUrl ?? null,
      tryFailover: hint('failover', id, url),
      tryFailback: hint('failback', id, url),
      lizard: this.options.lizardPrefix ?? 'npx lizard',
    }
  }

  appInfo(): AppInfo {
    return {
      version: this.options.version,
      mode: this.settings.activeId === 'lab' ? 'lab' : 'central',
      shell: this.options.shell,
      lab: this.labInfo(),
      model: this.activeModel.model,
      modelReport: this.activeModel.report,
      logDir: this.options.logFile?.dir ?? null,
      canOpenLogs: !!this.options.openLogs,
      lastFault: this.lastFault,
    }
  }

  diagnostics(): string {
    const session = this.session
    const running = this.lab.running
    const text = diagnosticsText({
      info: this.appInfo(),
      settings: this.publicSettings(),
      snapshot: session?.snapshot() ?? null,
      timeline: session?.timeline() ?? [],
      logTail: this.options.logFile?.tail(100) ?? [],
      lab: running
        ? {
            dpsHost: running.dpsHost,
            hubs: { a: running.hubs.a.host, b: running.hubs.b.host },
            controlUrl: running.controlUrl,
          }
        : null,
      startupProblem: this.startupProblem,
    })
    return this.redactor.redact(text)
  }

  private settingsChange(fn: () => Promise<unknown>): Promise<PublicSettings> {
    return this.serial(async () => {
      if (this.stopped) throw new AppFailure('unavailable', 'The app is shutting down.')
      await fn()
      return this.rebuild()
    })
  }

  private createHandlers(): InvokeHandlers {
    return {
      'app:info': async () => this.appInfo(),
      'app:diagnostics': async () => this.diagnostics(),
      'app:openLogs': async () => {
        if (!this.options.openLogs)
          throw new AppFailure(
            'unavailable',
            `Open ${this.options.logFile?.dir ?? 'the logs folder'} in your file manager.`,
          )
        await this.options.openLogs()
        return null
      },
      'session:snapshot': async (): Promise<SessionSnapshot> => this.requireSession().snapshot(),
      'session:connect': async () => {
        await this.requireSession().connect()
        return null
      },
      'session:disconnect': async () => {
        await this.requireSession().disconnect()
        return null
      },
      'session:reconnect': async () => {
        this.requireSession().reconnect()
        return null
      },
      'session:setBehaviour': async ({ name, enabled }) =>
        this.requireSession().setBehaviour(name, enabled),
      'session:setPeriods': async (periods) => this.requireSession().setPeriods(periods),
      'session:setCommandResponse': async ({ command, response }) =>
        this.requireSession().setCommandResponse(command, response ?? null),
      'model:load': ({ files }) =>
        this.serial(async () => {
          const { active, report } = ModelStore.parse(files)
          // Refused as a whole: the device keeps running the model it has.
          if (!active) return report
          await this.models.save(this.settings.activeId, files)
          await this.rebuild()
          this.log(`[model] ${report.modelId} loaded from ${report.source}`)
          return this.activeModel.report
        }),
      'model:reset': () =>
        this.serial(async () => {
          await this.models.clear(this.settings.activeId)
          await this.rebuild()
          return this.activeModel.report
        }),
      'timeline:list': async () => this.requireSession().timeline(),
      'telemetry:recent': async () => this.requireSession().recentTelemetry(),
      'inbound:list': async () => this.requireSession().inbound(),
      'reported:list': async () => this.requireSession().reportedLog(),
      'settings:get': async () => this.publicSettings(),
      'settings:save': (input) => {
        // Known from now on: whatever library echoes it, it never reaches a log or the window.
        if (input.key) this.redactor.add(input.key)
        return this.settingsChange(() => this.settings.save(input))
      },
      'settings:useLab': () => this.settingsChange(() => this.settings.activate('lab')),
      'settings:activate': ({ id }) => this.settingsChange(() => this.settings.activate(id)),
      'settings:delete': ({ id }) => this.settingsChange(() => this.settings.delete(id)),
      'lab:act': async (action) => {
        const lab = this.requireLab()
        const text = await runLabAction(lab.controlUrl, this.labDeviceId, action)
        this.log(`[lab panel] ${action.action}: ${text}`)
        return text
      },
      'lab:status': async () => readLabStatus(this.requireLab().controlUrl),
      'lab:stats': async () => {
        const lab = this.settings.activeId === 'lab' ? this.lab.running : null
        return lab ? readLabStats(lab.controlUrl, this.labDeviceId) : null
      },
      'fleet:start': (request) => this.fleet.start(request),
      'fleet:stop': () => this.fleet.stop(),
      'fleet:state': async () => this.fleet.state(),
      'fleet:device': async (request) => this.fleet.device(request),
      'lab:devices': async () => {
        const t = this.examTarget()
        if ('why' in t) throw new AppFailure('unavailable', t.why)
        const get = this.options.deps.labGet ?? labGet
        return labDeviceList(await get(t.controlUrl, '/devices'))
      },
      'exam:start': (request) => this.exam.start(request),
      'exam:stop': () => this.exam.stop(),
      'exam:state': async () => this.exam.snapshot(),
      'exam:report': async () => this.exam.report(),
      'lab:restart': () =>
        this.serial(async () => {
          if (this.stopped) throw new AppFailure('unavailable', 'The app is shutting down.')
          if (this.settings.activeId !== 'lab')
            throw new AppFailure(
              'unavailable',
              'The embedded lab runs only when the lab is the device profile in use.',
            )
          // The exam's lab is going: it stops first (restoring what it can).
          await this.exam.stop('the lab was restarted')
          const before = this.lab.last
          const lab = await this.lab.restart().catch((err: unknown) => {
            throw new AppFailure(
              'unavailable',
              `The lab could not start again: ${(err as Error).message}`,
            )
          })
          const same =
            before !== null &&
            lab.dpsHost === before.dpsHost &&
            lab.hubs.a.host === before.hubs.a.host &&
            lab.hubs.b.host === before.hubs.b.host
          // Same addresses: the device finds the lab again by itself (and at once, with a nudge).
          if (same && this.session) this.session.reconnect()
          else {
            // The fleet's devices were built for the lab as it was: they stop with it.
            await this.fleet.stop()
            const carried = this.carriedOptions()
            await this.closeSession()
            await this.activate(carried)
            if (this.session) this.emit('session:changed', this.session.snapshot())
          }
          return this.appInfo()
        }),
    }
  }
}
