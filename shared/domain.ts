// Domain types the engine publishes and both shells and the renderer consume.
// Plain data only: everything here crosses IPC and a WebSocket as JSON.
import type { MoveKind, TimelineCause } from './timeline'

/** Timeline entries kept by the engine and by the window: one number for both. */
export const TIMELINE_RETENTION = 10_000

export const behaviourNames = [
  'telemetry',
  'reportedProperties',
  'desiredProperties',
  'directMethods',
  'c2dCommands',
] as const
export type BehaviourName = (typeof behaviourNames)[number]
export type Behaviours = Record<BehaviourName, boolean>

export interface Periods {
  telemetryMs: number
  reportedMs: number
}

export type Transport = 'mqtt' | 'mqttws'

/** Classified errors: what the user reads, and what the engine decides on. */
export type ErrorCode =
  | 'bad-credentials' // DPS 401 / hub CONNACK 5 with a fresh DPS assignment
  | 'unknown-scope' // DPS 404
  | 'throttled' // DPS 429
  | 'unreachable' // DNS, TCP refused, TLS failure, timeout
  | 'hub-refused' // hub CONNACK 3/5 on the cached hub
  | 'bad-settings' // settings failed validation
  | 'protocol' // something arrived that we could not understand
  | 'id-conflict' // another client keeps taking over this device id at the hub
  | 'internal'

export interface AppError {
  code: ErrorCode | 'bad-request' | 'not-found' | 'unavailable'
  message: string
}

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'provisioning'; attempt: number }
  | { kind: 'connecting'; hub: string; via: 'dps' | 'cache' }
  | { kind: 'connected'; hub: string; since: number }
  | { kind: 'lost'; hub: string }
  | { kind: 'reconnecting'; hub: string; attempt: number }
  | { kind: 'waiting'; until: number; attempt: number }
  | { kind: 'disconnecting' }
  | { kind: 'disconnected' }
  | { kind: 'failed'; error: AppError }
export type StateKind = ConnectionState['kind']

export interface TimelineEntry {
  id: number
  at: number
  state: StateKind
  /** The hub this entry is about, as DPS named it (host or host:port). */
  hub?: string
  /** Why, as data: what tests and tools read. Worded by describeCause (shared/timeline). */
  cause?: TimelineCause
  /** The cause in words, as the engine worded it (with its hub labels). */
  reason: string
  mark?: MoveKind
  /**
   * For failover/failback marks: hub lost → connected on the new hub (on the `connected` entry),
   * or hub lost → first message acknowledged there (on the `move-acked` entry that follows).
   */
  durationMs?: number
}

export interface HubInfo {
  host: string
  /** A short display name ("A", "B") when known, else the host. */
  label: string
  isHome: boolean
}

/** One failover or failback, measured. */
export interface MoveFigure {
  /** When the device connected to the new hub. */
  at: number
  from: string
  to: string
  /** Hub lost → connected on the new hub: the failover (failback) time. */
  connectedMs: number
  /** Hub lost → first message acknowledged there; null until one is (telemetry may be off). */
  firstAckMs: number | null
}

export interface Counters {
  /** Everything put on the wire: telemetrySent + reportedSent. */
  sent: number
  /** Everything acknowledged: telemetryAcked + reportedAcked. */
  acknowledged: number
  telemetrySent: number
  telemetryAcked: number
  /** Reported-property patches (battery, desired acknowledgements from the outbox). */
  reportedSent: number
  reportedAcked: number
  queued: number
  dropped: number
  /** Messages sent again after a drop whose PUBACK never came: the hub may hold them twice. */
  duplicatesRisk: number
  failovers: number
  failbacks: number
  /** The last failover's lost → connected time (lastFailover.connectedMs). */
  lastFailoverMs: number | null
  lastFailover: MoveFigure | null
  lastFailback: MoveFigure | null
  reconnects: number
  /** DPS registrations DPS took from this device (each one spends its quota); a 429 counts in `throttled` instead. */
  registrations: number
  /** Registrations DPS answered 429 (throttled), and those it answered 5xx. */
  throttled: number
  dpsErrors: number
}

/** One telemetry message as sent: a component's message carries its name (`$.sub` on the wire). */
export interface TelemetrySample {
  seq: number
  at: number
  component: string | null
  /** The message body: field name → value, of whatever schema the model gives the field. */
  values: Record<string, unknown>
}

export interface InboundEntry {
  id: number
  at: number
  kind: 'method' | 'c2d' | 'desired'
  name: string
  payload: unknown
  /**
   * What we answered: method status + body, C2D outcome, or the desired-property ack. A C2D
   * command that arrives while C2D is off is `held` (not acknowledged, so the hub keeps it) and
   * gets a second entry with its outcome once C2D is back on.
   */
  response: {
    status: number
    body?: unknown
    outcome?: 'completed' | 'rejected' | 'ignored' | 'held'
  }
}

export interface ReportedEntry {
  id: number
  at: number
  patch: Record<string, unknown>
  status: 'queued' | 'sent' | 'acknowledged' | 'failed'
}

/** A hub as this device experiences it. */
export interface HubHealth {
  status: 'up' | 'refusing' | 'silent' | 'unreachable' | 'unknown'
  /** When the device last learned it; null while unknown. */
  at: number | null
  detail?: string
}

/** DPS as this device experiences it. */
export interface DpsHealth {
  status: 'up' | 'throttled' | 'unreachable' | 'refusing' | 'unknown'
  at: number | null
  detail?: string
}

export interface SessionSnapshot {
  deviceId: string
  modelId: string
  state: ConnectionState
  hub: HubInfo | null
  homeHub: string | null
  behaviours: Behaviours
  periods: Periods
  counters: Counters
  lastTelemetry: TelemetrySample | null
  reported: Record<string, unknown>
  desired: Record<string, unknown>
  lastError: AppError | null
  /** Responses the user set per command (wire name, `thermostat1*reboot`), instead of generated ones. */
  commandResponses: Record<string, unknown>
  /** Display names of the hub hosts this device may meet (the lab's A and B), by host. */
  hubLabels: Record<string, string>
  /**
   * Each hub this device knows of (labelled or met), by host, and DPS, as the device experiences
   * them. The engine always sets both (optional only for older test doubles).
   */
  hubHealth?: Record<string, HubHealth>
  dpsHealth?: DpsHealth
}

export const defaultBehaviours: Behaviours = {
  telemetry: true,
  reportedProperties: true,
  desiredProperties: true,
  directMethods: true,
  c2dCommands: true,
}

export const defaultPeriods: Periods = { telemetryMs: 5000, reportedMs: 15000 }

/** A fresh set of counters: nothing sent, nothing lost yet. */
export const zeroCounters = (): Counters => ({
  sent: 0,
  acknowledged: 0,
  telemetrySent: 0,
  telemetryAcked: 0,
  reportedSent: 0,
  reportedAcked: 0,
  queued: 0,
  dropped: 0,
  duplicatesRisk: 0,
  failovers: 0,
  failbacks: 0,
  lastFailoverMs: null,
  lastFailover: null,
  lastFailback: null,
  reconnects: 0,
  registrations: 0,
  throttled: 0,
  dpsErrors: 0,
})
