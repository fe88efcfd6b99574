export interface LabOptions {
  /** Where the CA, server certificate and discovery file live. Default: ~/.iotc-ha-lab */
  dataDir?: string
  /** 0 = ephemeral. Defaults: DPS 8883, hub A 8884, hub B 8885, control 8090 (see README). */
  dpsPort?: number
  hubAPort?: number
  hubBPort?: number
  controlPort?: number
  /** Serve MQTT over secure WebSockets on 443 (needs the right to bind it). Default true. */
  webSockets?: boolean
  idScope?: string
  groupPrimaryKey?: string
  groupSecondaryKey?: string
  /** Seconds DPS asks the device to wait before polling an "assigning" registration. */
  dpsRetryAfterSec?: number
  /** Default failover ttl in minutes (IoT Central: 5). */
  defaultTtlMinutes?: number
  /** Write the discovery entry (tests that run several labs turn it off). Default true. */
  writeDiscovery?: boolean
  /** Seconds until DPS notices a killed or blackholed hub and assigns the other one. Default 10. */
  dpsDetectSec?: number
  /** Seconds after a hub returns until DPS names it again and its devices move home. Default 30. */
  rebalanceSec?: number
  /** DPS is never told of a hub outage: it keeps naming the dead hub. Default false. */
  dpsUnaware?: boolean
  /** Hubs refuse SAS tokens that expire further away than this (seconds). Default: any lifetime. */
  maxTokenLifetimeSec?: number
  /**
   * Folders of device templates (`*.json`, walked; the models repository layout resolves what
   * they reference). A device whose hub CONNECT names one of them (`model-id`) has its traffic
   * checked against it. More can be given at run time: `POST /models`.
   */
  models?: string[]
  /**
   * DPS and hub quotas (see CONTROL_API.md, Quotas). What is not given is IoT Central's: 200
   * registrations a minute (burst: 5 s worth), 5 polls per 10 s per device, 100 new connections a
   * second per hub; 0 turns one off. `privateLabOptions` turns them all off unless asked.
   */
  quotas?: Partial<import('./quotas').QuotaSettings>
  /**
   * What all devices' telemetry records keep together (each device keeps its latest 50,000 and
   * 64 MiB within it). Defaults: the latest 200,000 messages the lab received, 256 MiB of them,
   * and 1,000,000 remembered message ids (ids other than `{deviceId}-{seq}`).
   */
  telemetryBudget?: { messages?: number; bytes?: number; ids?: number }
  log?: (line: string) => void
}

export type HubName = 'a' | 'b'
export type HubMode = 'up' | 'killed' | 'blackholed'
export type DpsMode = 'up' | 'throttled' | 'stopped'

export interface LabHandle {
  idScope: string
  groupPrimaryKey: string
  groupSecondaryKey: string
  /** What a device uses as provisioning host: 127.0.0.1:PORT */
  dpsHost: string
  hubs: Record<HubName, { host: string; port: number }>
  controlUrl: string
  ca: string
  caPath: string
  /** Set when secure WebSockets on 443 are served; else the reason they are not. */
  webSockets: { enabled: true } | { enabled: false; reason: string }
  /** Lab internals for tests and the embedding app. */
  state: import('./state').LabState
  stop(): Promise<void>
}
