import { EventEmitter } from 'node:events'
import path from 'node:path'
import type {
  DeviceSessionApi,
  DeviceSessionEvents,
  DeviceSessionOptions,
} from '../../../electron/device/api'
import type { LabOptions } from '../../../lab/types'
import type { CoreDeps, LabService } from '../../../electron/core/index'
import type { RunExam } from '../../../electron/core/exam-runner'
import { score } from '../../../lab/exam/checks'
import type { Evidence, Move } from '../../../lab/exam/evidence'
import { ExamRefused } from '../../../lab/exam/run'
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

export interface FakeExamRecord {
  deviceId: string
  events: string[]
  url: string
  modelId: string | null
  /** Set when it ended, after "restoring" the lab (as runExam's finally does). */
  restored: boolean
  aborted: boolean
}

/**
 * runExam's stand-in: says what it does as runExam does, moves the device for each event, and
 * scores what it made up with the real checks. `slow…` devices wait for Stop at each event;
 * `gone…` devices are refused as runExam refuses a device that is not connected.
 */
export function fakeRunExam(records: FakeExamRecord[] = [], stepMs = 5): RunExam {
  return async (o, io) => {
    const record: FakeExamRecord = {
      deviceId: o.deviceId,
      events: [...o.events],
      url: o.url,
      modelId: o.model?.id ?? null,
      restored: false,
      aborted: false,
    }
    records.push(record)
    if (o.deviceId.startsWith('gone'))
      throw new ExamRefused(
        `${o.deviceId} is not connected to the lab now (it has registered before)`,
      )
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        if (io.signal.aborted) return resolve()
        const t = setTimeout(resolve, ms)
        io.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
      })
    const started = Date.now()
    const evidence: Evidence = {
      deviceId: o.deviceId,
      startedAt: started,
      endedAt: started,
      periodMs: 1000,
      events: [],
      moves: [],
      skipped: [],
      conformance: null,
      unchecked: null,
      modelId: { connect: o.model?.id ?? null, dps: o.model?.id ?? null },
      endedWith: null,
      interrupted: null,
      wireDropped: 0,
    }
    try {
      io.progress(`watching ${o.deviceId} for up to ${o.warmupSec} s to learn its telemetry period`)
      for (const event of o.events) {
        if (io.signal.aborted) {
          evidence.skipped.push({ id: event, why: 'the exam was stopped before it' })
          continue
        }
        io.progress(`${event}: ${o.deviceId} is on hub A`)
        const at = Date.now()
        await wait(o.deviceId.startsWith('slow') ? 10_000 : stepMs)
        if (io.signal.aborted) {
          evidence.skipped.push({ id: event, why: 'the exam was stopped during it' })
          continue
        }
        const to = event === 'restart' ? 'a' : 'b'
        const move: Move = {
          id: event,
          startedAt: at,
          from: 'a',
          to,
          backAt: at + 1200,
          backBy: 'telemetry',
          connectAt: at + 1000,
          endedAt: at + 2000,
          after: {
            method: { name: 'echo', status: 200, outcome: 'answered' },
            c2d: { name: 'reboot', delivered: true },
            desired: {
              version: 2,
              keys: ['fanSpeed', 'lightOn'],
              acks: { fanSpeed: { ac: 200, av: 2 }, lightOn: null },
            },
            resyncedVersion: null,
            desiredVersion: null,
          },
        }
        evidence.moves.push(move)
        evidence.events.push(
          { at: at + 500, kind: 'dps-register', outcome: 'accepted', modelId: null },
          {
            at: at + 1000,
            kind: 'hub-connect',
            hub: to,
            outcome: 'accepted',
            modelId: o.model?.id ?? null,
            replaced: false,
          },
          { at: at + 1200, kind: 'telemetry', hub: to, seq: 1, messageId: null, duplicate: false },
        )
        await io.moved?.(move)
        io.progress(`${event}: back on hub ${to.toUpperCase()} after 1.2 s`)
      }
    } finally {
      if (io.signal.aborted) io.progress('stopped: restoring the lab')
      await wait(1)
      record.restored = true
      record.aborted = io.signal.aborted
      evidence.endedAt = Date.now()
      if (io.signal.aborted)
        evidence.interrupted =
          'stopped before the end (Stop in the window): the checks cover what ran'
    }
    return { evidence, checks: score(evidence, { dpsDetectSec: o.dpsDetectSec }) }
  }
}

/** The lab's GET /devices and GET /devices/{id} as a fake lab would answer them. */
export const fakeLabDevices = [
  { deviceId: 'other-offline', homeHub: 'b', connectedTo: null, modelId: null },
  {
    deviceId: 'failover_js',
    homeHub: 'a',
    connectedTo: 'a',
    modelId: 'dtmi:Sample:Failover;1',
  },
  { deviceId: 'sample-node', homeHub: 'b', connectedTo: 'b', modelId: 'dtmi:Other:Thing;1' },
]

export async function fakeLabGet(_controlUrl: string, path: string): Promise<unknown> {
  if (path === '/devices') return fakeLabDevices
  const id = decodeURIComponent(path.replace(/^\/devices\//, ''))
  const d = fakeLabDevices.find((x) => x.deviceId === id)
  if (!d) throw new Error(`No device ${id}`)
  return d
}

/** Fake engine + lab for AppCore; `sessions` lists every session built, newest last. */
export function fakeDeps(): CoreDeps & {
  sessions: FakeSession[]
  labs: FakeLabRecord[]
  exams: FakeExamRecord[]
} {
  const sessions: FakeSession[] = []
  const labs: FakeLabRecord[] = []
  const exams: FakeExamRecord[] = []
  return {
    sessions,
    labs,
    exams,
    runExam: fakeRunExam(exams),
    labGet: fakeLabGet,
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
