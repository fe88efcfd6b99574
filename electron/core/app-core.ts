import { promises as fs } from 'node:fs'
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
  type Result,
} from '../../shared/contract'
import type { SessionSnapshot } from '../../shared/domain'
import { parseModel, type DeviceModel } from '../../shared/model'
import { maskKey, type PublicSettings } from '../../shared/settings'
import type { DeviceSessionApi, DeviceSessionOptions } from '../device/api'
import type { LabHandle, LabOptions } from '../../lab/types'
import { EventBatcher, type BatcherOptions } from './batcher'
import { AppFailure, toAppError } from './errors'
import { SettingsStore, type SettingsFile } from './settings-store'

/** The engine and the lab, injected so the core is testable with fakes. */
export interface CoreDeps {
  createSession(options: DeviceSessionOptions): DeviceSessionApi
  startLab(options: LabOptions): Promise<LabHandle>
}

export interface AppCoreOptions {
  /** The app's data folder: settings.json, the device's outbox and counters, the lab's CA. */
  dataDir: string
  shell: AppInfo['shell']
  version: string
  model: DeviceModel
  deps: CoreDeps
  /** Options for the embedded lab (tests: ephemeral ports, own data folder, no discovery file). */
  lab?: LabOptions
  /** The device the embedded lab runs. */
  labDeviceId?: string
  /** Connect as soon as the session is built (default true). */
  autoConnect?: boolean
  /** Extra engine options (tests: short backoff and timeouts). */
  sessionOverrides?: Partial<DeviceSessionOptions>
  batch?: BatcherOptions
  log?: (line: string) => void
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
const DEFAULT_CONTROL_URL = 'http://127.0.0.1:8090'

/** Reads and parses a DTDL interface file (failover.json). */
export async function loadModel(file: string): Promise<DeviceModel> {
  return parseModel(JSON.parse(await fs.readFile(file, 'utf8')))
}

/**
 * Everything the app does that is not Electron or HTTP: settings, the embedded lab, the device
 * session, the contract's handlers and the event batching. Both shells wrap one of these.
 */
export class AppCore {
  readonly settings: SettingsStore
  readonly handlers: InvokeHandlers
  private session: DeviceSessionApi | null = null
  private lab: LabHandle | null = null
  private startupProblem: string | null = null
  private labStarts = 0
  private readonly batcher: EventBatcher
  private readonly listeners = new Set<CoreEventListener>()
  /** Serialises start / settings changes / stop. */
  private queue: Promise<unknown> = Promise.resolve()
  private stopped = false
  /** Settles when start() has done its work: calls made earlier (a window that loads faster
   * than the lab starts) wait for it instead of failing. */
  private markReady!: () => void
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve))

  constructor(private readonly options: AppCoreOptions) {
    this.settings = new SettingsStore(options.dataDir)
    this.batcher = new EventBatcher((event, payload) => this.emit(event, payload), options.batch)
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

  private log(line: string): void {
    this.options.log?.(line)
  }

  /** Loads settings, starts the embedded lab when there are no central settings, builds the session. */
  start(): Promise<void> {
    return this.serial(async () => {
      try {
        const { settings, problem } = await this.settings.load()
        if (problem) this.log(problem)
        await this.activate(settings)
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
      await this.closeSession()
      this.batcher.close()
      await this.stopLab()
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
    const parsed = parseRequest(channel, input)
    if (!parsed.ok) return parsed
    await this.ready
    try {
      const handler = this.handlers[channel] as (req: unknown) => Promise<unknown>
      return { ok: true, value: await handler(parsed.value) }
    } catch (err) {
      return { ok: false, error: toAppError(err) }
    }
  }

  get labHandle(): LabHandle | null {
    return this.lab
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

  private requireSession(): DeviceSessionApi {
    if (this.session) return this.session
    throw new AppFailure('unavailable', this.startupProblem ?? 'The device is not ready yet.')
  }

  private async activate(
    settings: SettingsFile,
    carried: Pick<DeviceSessionOptions, 'behaviours' | 'periods'> = {},
  ): Promise<void> {
    this.startupProblem = null
    let sessionOptions: DeviceSessionOptions
    const base = {
      model: this.options.model,
      ...this.options.sessionOverrides,
      ...carried,
    }
    if (settings.mode === 'central' && settings.central) {
      await this.stopLab()
      const c = settings.central
      sessionOptions = {
        ...base,
        idScope: c.idScope,
        ...(c.keyKind === 'group' ? { groupKey: c.key } : { deviceKey: c.key }),
        deviceId: c.deviceId,
        modelId: c.modelId,
        provisioningHost: c.provisioningHost,
        transport: c.transport,
        dataDir: this.deviceDir('central', c.idScope, c.deviceId),
      }
    } else {
      let lab: LabHandle
      try {
        lab = await this.ensureLab()
      } catch (err) {
        this.startupProblem = `The embedded lab could not start: ${(err as Error).message}`
        this.log(this.startupProblem)
        return
      }
      const deviceId = this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
      sessionOptions = {
        ...base,
        idScope: lab.idScope,
        groupKey: lab.groupPrimaryKey,
        deviceId,
        modelId: this.options.model.id,
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
      if (this.options.autoConnect !== false) await session.connect()
    } catch (err) {
      this.startupProblem = `The device could not start: ${toAppError(err).message}`
      this.log(this.startupProblem)
    }
  }

  /**
   * The device's own folder (outbox, sequence counter, home hub). A device is one device id in
   * one application, so the folder is keyed by the application too: the IoT Central ID scope, or
   * for the embedded lab its scope and hub addresses. Otherwise a device id reused in another
   * application (or a lab that came up on other ports) would inherit a home hub that is not one
   * of its hubs (every hub then shows as "failed over", every failback counts as a failover)
   * and would send the other application's queued telemetry.
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

  private async ensureLab(): Promise<LabHandle> {
    if (this.lab) return this.lab
    // The lab's own default data folder (unless told otherwise): its discovery file there is
    // what lets `npx lizard failover <id>` find this embedded lab with no flags.
    const opts: LabOptions = { log: (line) => this.log(`[lab] ${line}`), ...this.options.lab }
    try {
      this.lab = await this.options.deps.startLab(opts)
    } catch (err) {
      if (!isAddressInUse(err)) throw err
      // The lab moves off taken ports itself; this is the belt to its braces.
      this.log(`[lab] default ports are taken (${(err as Error).message}); using free ports`)
      this.lab = await this.options.deps.startLab({
        ...opts,
        dpsPort: 0,
        hubAPort: 0,
        hubBPort: 0,
        controlPort: 0,
      })
    }
    // The shells print the lab's address once at start; a lab started again (back from IoT
    // Central settings) may be on other ports, and the terminal must not keep a dead command.
    if (this.labStarts++ > 0)
      this.log(
        `[lab] started again: control ${this.lab.controlUrl}; try: ${this.appInfo().lab?.tryFailover ?? ''}`,
      )
    return this.lab
  }

  private async stopLab(): Promise<void> {
    const lab = this.lab
    this.lab = null
    if (lab)
      await lab
        .stop()
        .catch((err: unknown) => this.log(`[lab] stop failed: ${(err as Error).message}`))
  }

  private async closeSession(): Promise<void> {
    const session = this.session
    this.session = null
    this.batcher.attach(null)
    if (session)
      await session
        .close()
        .catch((err: unknown) => this.log(`session close failed: ${(err as Error).message}`))
  }

  private async rebuild(next: SettingsFile): Promise<PublicSettings> {
    // The switches and periods the user set stay as they were: saving settings changes where
    // the device connects, not what it does.
    const before = this.session?.snapshot()
    await this.closeSession()
    await this.activate(
      next,
      before ? { behaviours: { ...before.behaviours }, periods: { ...before.periods } } : {},
    )
    const pub = this.publicSettings()
    this.emit('settings:changed', pub)
    if (this.session) this.emit('session:changed', this.session.snapshot())
    return pub
  }

  publicSettings(): PublicSettings {
    const s = this.settings.get()
    if (s.mode === 'central' && s.central) {
      const c = s.central
      return {
        mode: 'central',
        idScope: c.idScope,
        keyKind: c.keyKind,
        keyMasked: maskKey(c.key),
        deviceId: c.deviceId,
        modelId: c.modelId,
        provisioningHost: c.provisioningHost,
        transport: c.transport,
      }
    }
    const lab = this.lab
    return {
      mode: 'lab',
      idScope: lab?.idScope ?? '',
      keyKind: 'group',
      keyMasked: lab ? maskKey(lab.groupPrimaryKey) : '',
      deviceId: this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID,
      modelId: this.options.model.id,
      provisioningHost: lab?.dpsHost ?? '',
      transport: 'mqtt',
    }
  }

  appInfo(): AppInfo {
    const lab = this.lab
    let labInfo: AppInfo['lab'] = null
    if (lab) {
      const id = this.options.labDeviceId ?? DEFAULT_LAB_DEVICE_ID
      const prefix =
        lab.controlUrl.replace(/\/$/, '') === DEFAULT_CONTROL_URL
          ? ''
          : `LIZARD_URL=${lab.controlUrl} `
      labInfo = {
        controlUrl: lab.controlUrl,
        tryFailover: `${prefix}npx lizard failover ${id}`,
        tryFailback: `${prefix}npx lizard failback ${id}`,
      }
    }
    return {
      version: this.options.version,
      mode:
        this.settings.get().mode === 'central' && this.settings.get().central ? 'central' : 'lab',
      shell: this.options.shell,
      lab: labInfo,
      model: this.options.model,
    }
  }

  private createHandlers(): InvokeHandlers {
    return {
      'app:info': async () => this.appInfo(),
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
      'timeline:list': async () => this.requireSession().timeline(),
      'telemetry:recent': async () => this.requireSession().recentTelemetry(),
      'inbound:list': async () => this.requireSession().inbound(),
      'reported:list': async () => this.requireSession().reportedLog(),
      'settings:get': async () => this.publicSettings(),
      'settings:save': (input) =>
        this.serial(async () => {
          if (this.stopped) throw new AppFailure('unavailable', 'The app is shutting down.')
          const next = await this.settings.saveCentral(input)
          return this.rebuild(next)
        }),
      'settings:useLab': () =>
        this.serial(async () => {
          if (this.stopped) throw new AppFailure('unavailable', 'The app is shutting down.')
          const next = await this.settings.useLab()
          return this.rebuild(next)
        }),
    }
  }
}

function isAddressInUse(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const e = err as { code?: unknown; message?: unknown }
  return (
    e.code === 'EADDRINUSE' || (typeof e.message === 'string' && e.message.includes('EADDRINUSE'))
  )
}
