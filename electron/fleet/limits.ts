// The fleet's bounds, in one place: what --help states and what the checks refuse.

export const fleetLimits = {
  /** A whole fleet, over all its shards. */
  maxDevices: 1_000_000,
  /**
   * One process: past this a Node process spends its time in GC (about 250 KB per device, so
   * 25 GB here); larger fleets are split with --shards or --processes.
   */
  maxDevicesPerProcess: 100_000,
  maxShards: 10_000,
  maxProcesses: 64,
  /** 1 s … 7 days: Node's timers hold 24.8 days; a week is a long soak already. */
  minDurationMs: 1000,
  maxDurationMs: 7 * 24 * 3600_000,
  minTelemetryMs: 100,
  maxTelemetryMs: 3600_000,
  /** Prefix characters: the id is `{prefix}-{index}`, a DPS registration id of at most 128. */
  maxPrefixChars: 64,
  /** How far ahead --start-at may be: shards are started together, not scheduled for next week. */
  maxStartAheadMs: 24 * 3600_000,
  /** Report files given to `fleet merge`: each at most this big, this many at once. */
  maxReportBytes: 256 * 1024 * 1024,
  maxReportFiles: 10_000,
  /** Moves kept per device: a flapping hub cannot make one device's record grow without bound. */
  maxMovesPerDevice: 1000,
  /** The template file: what shared/dtdl accepts for one file. */
  maxTemplateBytes: 1024 * 1024,
  /** A key file: a base64 group key is 88 characters; anything bigger is the wrong file. */
  maxKeyFileBytes: 4096,
  maxScenarioChars: 4096,
  maxScenarioSteps: 100,
} as const

/** 1000 → "1,000", for messages. */
export const count = (n: number) => n.toLocaleString('en-US')
