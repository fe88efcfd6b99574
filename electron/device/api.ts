import type {
  Behaviours,
  BehaviourName,
  InboundEntry,
  Periods,
  ReportedEntry,
  SessionSnapshot,
  TelemetrySample,
  TimelineEntry,
  Transport,
} from '../../shared/domain'
import type { DeviceModel } from '../../shared/dtdl'

/** Everything a DeviceSession is built from. Plain data: the shells build it from saved settings. */
export interface DeviceSessionOptions {
  idScope: string
  /** Exactly one of groupKey (device key derived from it) or deviceKey. */
  groupKey?: string
  deviceKey?: string
  deviceId: string
  modelId: string
  /** e.g. global.azure-devices-provisioning.net, or 127.0.0.1:PORT for the lab. */
  provisioningHost: string
  transport: Transport
  /** Extra trusted CA (PEM), for the lab. Certificate checks are never turned off. */
  ca?: string
  /** Where the outbox journal, the sequence counter and the home hub are kept. */
  dataDir: string
  model: DeviceModel
  behaviours?: Partial<Behaviours>
  periods?: Partial<Periods>
  /** MQTT keep-alive to the hub; a silent (blackholed) hub is noticed within ~1.5× this. */
  keepAliveSec?: number
  /** Bound on one hub CONNECT (TCP + TLS + CONNACK). */
  connectTimeoutMs?: number
  /** Bound on one whole DPS registration (the SDK itself retries 429/5xx forever). */
  provisioningTimeoutMs?: number
  /** Bound on twin requests (the SDK has none). */
  twinTimeoutMs?: number
  /**
   * Lifetime of the hub SAS token the device signs (default 3600 s), and how long before it
   * expires the SDK renews it by reconnecting under a new one (default 900 s; must be less).
   */
  tokenValiditySec?: number
  tokenRenewalMarginSec?: number
  /** Backoff between failed rounds: capped exponential with jitter (default 1 s doubling to 60 s). */
  backoff?: { initialMs?: number; maxMs?: number }
  /**
   * A link counts as healthy once it has lived this long (default 20 s); links that die younger
   * back off like failures, so two clients sharing one device id cannot storm.
   */
  healthyLinkMs?: number
  /** Display names for hub hosts, e.g. the lab's { '127.0.0.1:8884': 'A' }. */
  hubLabels?: Record<string, string>
  /**
   * Try the last assigned hub before DPS after a loss (default true). Off, every reconnect
   * goes through DPS as the reference samples do: the benchmark compares the two.
   */
  useCachedHub?: boolean
  /**
   * How the device treats DPS's quota (see reconnect-policy.ts): the wait after DPS names the
   * hub that just failed (at least `sameHubMinMs`, plus jitter over `sameHubSpreadMs`), the
   * jitter after a 429 (up to `throttleSpreadMaxMs`), and the least wait after a 5xx.
   */
  sameHubMinMs?: number
  sameHubSpreadMs?: number
  throttleSpreadMaxMs?: number
  dpsErrorMinMs?: number
  /** Outbox bound in entries; past it the oldest are dropped and counted. */
  outboxLimit?: number
}

export interface DeviceSessionEvents {
  /** Something in snapshot() changed (state, hub, counters, behaviours, last values...). */
  changed: []
  timeline: [TimelineEntry]
  telemetry: [TelemetrySample]
  inbound: [InboundEntry]
  /** A reported patch was queued, or its status changed (same id). */
  reported: [ReportedEntry]
}

/** The one object both shells talk to. */
export interface DeviceSessionApi {
  /** Starts (or resumes) connecting. Resolves once the attempt is under way, not when connected. */
  connect(): Promise<void>
  /** Clean disconnect: flush within a bound, close MQTT, record it. Stays disconnected. */
  disconnect(): Promise<void>
  /** Try now (cached hub first): skips any backoff wait; when connected, drops the link first. */
  reconnect(): void
  setBehaviour(name: BehaviourName, enabled: boolean): Behaviours
  setPeriods(periods: Partial<Periods>): Periods
  /** A fixed response for a synchronous command (its wire name); null goes back to generated. */
  setCommandResponse(command: string, response: unknown): Record<string, unknown>
  snapshot(): SessionSnapshot
  timeline(): TimelineEntry[]
  recentTelemetry(): TelemetrySample[]
  inbound(): InboundEntry[]
  reportedLog(): ReportedEntry[]
  /**
   * For a shell's last-resort handler (an uncaught throw): records the fault on the timeline and
   * in lastError, and starts the connection over with fresh SDK clients, keeping the outbox.
   */
  restart?(fault: unknown): Promise<void>
  /** disconnect() and release timers and files; the object is unusable after. */
  close(): Promise<void>
  on<E extends keyof DeviceSessionEvents>(
    event: E,
    listener: (...args: DeviceSessionEvents[E]) => void,
  ): this
  off<E extends keyof DeviceSessionEvents>(
    event: E,
    listener: (...args: DeviceSessionEvents[E]) => void,
  ): this
}
