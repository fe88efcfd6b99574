// Domain types the engine publishes and both shells and the renderer consume.
// Plain data only: everything here crosses IPC and a WebSocket as JSON.

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
  reason: string
  mark?: 'failover' | 'failback'
  /** For failover/failback marks: hub lost → first telemetry acknowledged on the new hub. */
  durationMs?: number
}

export interface HubInfo {
  host: string
  /** A short display name ("A", "B") when known, else the host. */
  label: string
  isHome: boolean
}

export interface Counters {
  sent: number
  acknowledged: number
  queued: number
  dropped: number
  /** Messages sent again after a drop whose PUBACK never came: the hub may hold them twice. */
  duplicatesRisk: number
  failovers: number
  failbacks: number
  lastFailoverMs: number | null
  reconnects: number
}

export interface TelemetrySample {
  seq: number
  at: number
  values: Record<string, number>
}

export interface InboundEntry {
  id: number
  at: number
  kind: 'method' | 'c2d' | 'desired'
  name: string
  payload: unknown
  /** What we answered: method status + body, C2D outcome, or the desired-property ack. */
  response: { status: number; body?: unknown; outcome?: 'completed' | 'rejected' | 'ignored' }
}

export interface ReportedEntry {
  id: number
  at: number
  patch: Record<string, unknown>
  status: 'queued' | 'sent' | 'acknowledged' | 'failed'
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
  /** Display names of the hub hosts this device may meet (the lab's A and B), by host. */
  hubLabels: Record<string, string>
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
  queued: 0,
  dropped: 0,
  duplicatesRisk: 0,
  failovers: 0,
  failbacks: 0,
  lastFailoverMs: null,
  reconnects: 0,
})
