import { EventEmitter } from 'node:events'
import path from 'node:path'
import type {
  DeviceSessionApi,
  DeviceSessionEvents,
  DeviceSessionOptions,
} from '../../../electron/device/api'
import type { LabOptions } from '../../../lab/types'
import type { CoreDeps, LabService } from '../../../electron/core/index'
import { loadModelFile } from '../../../electron/core/index'
import {
  defaultBehaviours,
  defaultPeriods,
  zeroCounters,
  type Behaviours,
  type BehaviourName,
  type ConnectionState,
  type Counters,
  type InboundEntry,
  type Periods,
  type ReportedEntry,
  type SessionSnapshot,
  type TelemetrySample,
  type TimelineEntry,
} from '../../../shared/domain'

export const repoRoot = path.resolve(import.meta.dirname, '../../..')
export const testModel = () => loadModelFile(path.join(repoRoot, 'failover.json'))

/** A DeviceSession that does what it is told, synchronously, and records the calls. */
export class FakeSession extends EventEmitter implements DeviceSessionApi {
  calls: string[] = []
  state: ConnectionState = { kind: 'idle' }
  behaviours: Behaviours = { ...defaultBehaviours }
  periods: Periods = { ...defaultPeriods }
  counters: Counters = zeroCounters()
  timelineLog: TimelineEntry[] = []
  telemetryLog: TelemetrySample[] = []
  inboundLog: InboundEntry[] = []
  reported: ReportedEntry[] = []
  closed = false
  nextId = 1
  private seq = 0

  constructor(readonly options: DeviceSessionOptions) {
    super()
  }

  private transition(state: ConnectionState, reason: string, hub?: string) {
    this.state = state
    const e: TimelineEntry = {
      id: this.nextId++,
      at: Date.now(),
      state: state.kind,
      reason,
      ...(hub ? { hub } : {}),
    }
    this.timelineLog.push(e)
    this.emit('timeline', e)
    this.emit('changed')
  }

  async connect(): Promise<void> {
    this.calls.push('connect')
    this.transition(
      { kind: 'connected', hub: 'hub-a:1', since: Date.now() },
      'connected',
      'hub-a:1',
    )
  }
  async disconnect(): Promise<void> {
    this.calls.push('disconnect')
    this.transition({ kind: 'disconnected' }, 'user asked')
  }
  reconnect(): void {
    this.calls.push('reconnect')
    this.transition({ kind: 'reconnecting', hub: 'hub-a:1', attempt: 1 }, 'user asked', 'hub-a:1')
  }
  setBehaviour(name: BehaviourName, enabled: boolean): Behaviours {
    this.calls.push(`setBehaviour ${name} ${enabled}`)
    this.behaviours = { ...this.behaviours, [name]: enabled }
    this.emit('changed')
    return this.behaviours
  }
  commandResponses: Record<string, unknown> = {}
  setCommandResponse(command: string, response: unknown): Record<string, unknown> {
    this.calls.push(`setCommandResponse ${command}`)
    if (response === null) delete this.commandResponses[command]
    else this.commandResponses[command] = response
    return { ...this.commandResponses }
  }

  setPeriods(p: Partial<Periods>): Periods {
    this.calls.push(`setPeriods ${JSON.stringify(p)}`)
    this.periods = { ...this.periods, ...p }
    this.emit('changed')
    return this.periods
  }
  snapshot(): SessionSnapshot {
    const hub = this.state.kind === 'connected' ? this.state.hub : null
    return {
      deviceId: this.options.deviceId,
      modelId: this.options.modelId,
      state: this.state,
      hub: hub ? { host: hub, label: this.options.hubLabels?.[hub] ?? hub, isHome: true } : null,
      homeHub: 'hub-a:1',
      behaviours: this.behaviours,
      periods: this.periods,
      counters: this.counters,
      lastTelemetry: this.telemetryLog[this.telemetryLog.length - 1] ?? null,
      reported: { battery: 90 },
      desired: {},
      lastError: null,
      commandResponses: { ...this.commandResponses },
      hubLabels: { ...this.options.hubLabels },
      hubHealth: {},
      dpsHealth: { status: 'unknown', at: null },
    }
  }
  timeline(): TimelineEntry[] {
    return [...this.timelineLog]
  }
  recentTelemetry(): TelemetrySample[] {
    return this.telemetryLog.slice(-100)
  }
  inbound(): InboundEntry[] {
    return [...this.inboundLog]
  }
  reportedLog(): ReportedEntry[] {
    return [...this.reported]
  }
  async close(): Promise<void> {
    this.calls.push('close')
    this.closed = true
    this.removeAllListeners()
  }

  /** Test helpers: what the engine would emit. */
  sendTelemetry(n: number): void {
    for (let i = 0; i < n; i++) {
      const s: TelemetrySample = {
        seq: ++this.seq,
        at: Date.now(),
        component: null,
        values: { temp: 20 + (i % 10), humidity: 40 },
      }
      this.telemetryLog.push(s)
      this.counters = {
        ...this.counters,
        sent: this.counters.sent + 1,
        acknowledged: this.counters.acknowledged + 1,
      }
      this.emit('telemetry', s)
      this.emit('changed')
    }
  }
  receiveMethod(name: string, payload: unknown): InboundEntry {
    const e: InboundEntry = {
      id: this.nextId++,
      at: Date.now(),
      kind: 'method',
      name,
      payload,
      response: { status: 200, body: payload },
    }
    this.inboundLog.push(e)
    this.emit('inbound', e)
    return e
  }
  report(
    patch: Record<string, unknown>,
    status: ReportedEntry['status'],
    id = this.nextId++,
  ): ReportedEntry {
    const e: ReportedEntry = { id, at: Date.now(), patch, status }
    this.reported = this.reported.filter((r) => r.id !== id).concat(e)
    this.emit('reported', e)
    return e
  }

  override on<E extends keyof DeviceSessionEvents>(
    event: E,
    listener: (...args: DeviceSessionEvents[E]) => void,
  ): this {
    return super.on(event, listener as (...args: unknown[]) => void)
  }
  override off<E extends keyof DeviceSessionEvents>(
    event: E,
    listener: (...args: DeviceSessionEvents[E]) => void,
  ): this {
    return super.off(event, listener as (...args: unknown[]) => void)
  }
}

export const FAKE_LAB_KEY = 'bGFiLWdyb3VwLWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA=='

export interface FakeLabRecord {
  options: LabOptions
  stopped: boolean
  /** Makes the lab's process die on its own, as a crash would. */
  crash(reason: string): void
}

/** Fake engine + lab for AppCore; `sessions` lists every session built, newest last. */
export function fakeDeps(): CoreDeps & {
  sessions: FakeSession[]
  labs: FakeLabRecord[]
} {
  const sessions: FakeSession[] = []
  const labs: FakeLabRecord[] = []
  return {
    sessions,
    labs,
    createSession(options) {
      const s = new FakeSession(options)
      sessions.push(s)
      return s
    },
    async startLab(options) {
      let onExit: ((reason: string) => void) | null = null
      const record: FakeLabRecord = {
        options,
        stopped: false,
        crash: (reason) => onExit?.(reason),
      }
      labs.push(record)
      const port = (wanted: number | undefined, fallback: number) =>
        wanted === undefined ? fallback : wanted
      const lab: LabService = {
        idScope: '0neLAB0001',
        groupPrimaryKey: FAKE_LAB_KEY,
        groupSecondaryKey: FAKE_LAB_KEY,
        dpsHost: `127.0.0.1:${port(options.dpsPort, 18883)}`,
        hubs: { a: { host: 'hub-a:1', port: 1 }, b: { host: 'hub-b:2', port: 2 } },
        controlUrl: `http://127.0.0.1:${port(options.controlPort, 18090)}`,
        ca: 'FAKE CA',
        caPath: '/nonexistent/ca.pem',
        webSockets: { enabled: false, reason: 'test' },
        async stop() {
          record.stopped = true
        },
        onExit: (listener) => (onExit = listener),
      }
      return lab
    },
  }
}
