import { createHash, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { checkReported, checkTelemetry } from './conformance'
import { ConformanceLog, type ConformanceView } from './conformance-log'
import { Deadlines } from './deadlines'
import type { Log } from './guard'
import { limits, mergeTwin, registrationIdProblem, twinPatchProblem } from './limits'
import { TelemetryBudget, TelemetryLog, type TelemetryRecord } from './telemetry'
import { TemplateRegistry } from './templates'
import type { HubName } from './types'

export type { TelemetryRecord } from './telemetry'

export interface C2dMessage {
  messageId: string
  body: string
  properties: Record<string, string>
  state: 'queued' | 'delivered' | 'completed'
  enqueuedAt: string
  deliveredTo: HubName | null
  deliveryCount: number
  completedAt: string | null
}

export interface Twin {
  desired: Record<string, unknown> & { $version: number }
  reported: Record<string, unknown> & { $version: number }
}

/** What DPS says about an assignment, as IoT Central's DPS says it. */
export type Substatus =
  | 'initialAssignment'
  | 'deviceDataMigrated'
  | 'deviceDataReset'
  | 'reprovisionedToInitialAssignment'

export interface DeviceRecord {
  deviceId: string
  homeHub: HubName
  /** The hub DPS last assigned. */
  assignedHub: HubName
  failedOverUntil: number | null
  /** Moved to a new home and not yet told by DPS: no hub takes it until it asks. */
  rehoming: boolean
  dpsRegistrations: number
  connectedTo: HubName | null
  twin: Twin
  telemetry: TelemetryLog
  c2d: C2dMessage[]
  /** Its traffic against the template its hub connection named (`model-id`). */
  conformance: ConformanceLog
}

/** Where DPS sends a device now, and why. */
export interface Placement {
  hub: HubName | null
  why:
    'home' | 'failed-over' | 'home-unavailable' | 'failed-over-hub-unavailable' | 'no-hub-available'
}

/** Input over IoT Hub's or DPS's limits, refused before anything changed. */
export class LimitError extends Error {
  constructor(
    readonly kind: 'registration-id' | 'twin' | 'c2d-size',
    message: string,
  ) {
    super(message)
  }
}
export class QueueFullError extends Error {}

const c2dHistoryKept = 100

export const otherHub = (h: HubName): HubName => (h === 'a' ? 'b' : 'a')

/**
 * What the lab knows: devices, where each belongs, what each hub received. DPS, the hubs and
 * the control API all read and change this one object; the hubs listen for its events.
 */
export class LabState extends EventEmitter<{
  /** A device must leave `hub` now (failed over or back, re-homed): the hub disconnects it. */
  evict: [deviceId: string, hub: HubName]
  desired: [deviceId: string, patch: Record<string, unknown>]
  c2d: [deviceId: string]
}> {
  readonly devices = new Map<string, DeviceRecord>()
  /** The device templates the lab checks traffic against, by DTMI. */
  readonly templates: TemplateRegistry
  /** When each manual failover's ttl ends: one timer for every device failed over. */
  private readonly ttls: Deadlines<string>

  constructor(
    readonly hubHosts: Record<HubName, string>,
    readonly defaultTtlMinutes: number,
    /** Whether DPS assigns devices to a hub now (hub health as DPS sees it). */
    private readonly availableToDps: (hub: HubName) => boolean = () => true,
    private readonly log: Log = () => {},
    /** What every device's telemetry log keeps together. */
    readonly telemetryBudget = new TelemetryBudget(),
  ) {
    super()
    this.templates = new TemplateRegistry(log)
    this.ttls = new Deadlines(log, 'failover ttl', (deviceId) => this.failback(deviceId))
  }

  /**
   * Hash-spread, as IoT Central spreads devices over its hubs: one bit of the id's SHA-256, so the
   * split is even for any naming scheme (10,000 ids fleet-0…9999: 4,989 on A, 5,011 on B) and stable per id.
   */
  homeHubFor(deviceId: string): HubName {
    return createHash('sha256').update(deviceId).digest()[0]! % 2 === 0 ? 'a' : 'b'
  }

  /** How many registered devices call each hub home. */
  homeSplit(): Record<HubName, number> {
    const split = { a: 0, b: 0 }
    for (const d of this.devices.values()) split[d.homeHub]++
    return split
  }

  /** DPS's decision for this device now: its home, or the other hub while home is away or down. */
  placement(device: DeviceRecord): Placement {
    const failedOver = this.isFailedOver(device)
    const preferred = failedOver ? otherHub(device.homeHub) : device.homeHub
    if (this.availableToDps(preferred))
      return { hub: preferred, why: failedOver ? 'failed-over' : 'home' }
    if (this.availableToDps(otherHub(preferred)))
      return {
        hub: otherHub(preferred),
        why: failedOver ? 'failed-over-hub-unavailable' : 'home-unavailable',
      }
    return { hub: null, why: 'no-hub-available' }
  }

  /**
   * The one hub that takes this device's connections. With no hub available to DPS, a hub still
   * serves the devices it would hold: DPS has not noticed, or not yet trusted, its return.
   */
  targetHub(device: DeviceRecord): HubName {
    return (
      this.placement(device).hub ??
      (this.isFailedOver(device) ? otherHub(device.homeHub) : device.homeHub)
    )
  }

  /** Why `hub` refuses this device's connection, or null when it takes it. */
  refusal(device: DeviceRecord, hub: HubName): string | null {
    if (device.rehoming) return 'device is moving to a new home hub: ask DPS'
    const target = this.targetHub(device)
    return target === hub ? null : `belongs on hub ${target.toUpperCase()}`
  }

  /** Called by DPS on a successful registration; `hub` is null when no linked hub can take it. */
  register(deviceId: string): {
    device: DeviceRecord
    firstTime: boolean
    moved: boolean
    hub: HubName | null
    substatus: Substatus | null
  } {
    const problem = registrationIdProblem(deviceId)
    if (problem)
      throw new LimitError(
        'registration-id',
        `registration id "${deviceId.slice(0, 40)}" ${problem}`,
      )
    let device = this.devices.get(deviceId)
    const firstTime = !device
    if (!device) {
      // A device's home is the hub it is first assigned: its hash choice, unless that one is down.
      let home = this.homeHubFor(deviceId)
      if (!this.availableToDps(home) && this.availableToDps(otherHub(home))) home = otherHub(home)
      device = {
        deviceId,
        homeHub: home,
        assignedHub: home,
        failedOverUntil: null,
        rehoming: false,
        dpsRegistrations: 0,
        connectedTo: null,
        twin: { desired: { $version: 1 }, reported: { $version: 1 } },
        telemetry: new TelemetryLog(undefined, undefined, undefined, {
          deviceId,
          budget: this.telemetryBudget,
        }),
        c2d: [],
        conformance: new ConformanceLog(limits.findingsKept),
      }
      this.devices.set(deviceId, device)
    }
    device.dpsRegistrations++
    const hub = this.placement(device).hub
    if (hub === null) return { device, firstTime, moved: false, hub, substatus: null }
    const before = device.assignedHub
    let substatus: Substatus
    if (firstTime) substatus = 'initialAssignment'
    else if (hub !== device.homeHub) substatus = 'deviceDataMigrated'
    else if (device.rehoming) substatus = 'deviceDataReset'
    else if (before !== device.homeHub) substatus = 'reprovisionedToInitialAssignment'
    else substatus = 'initialAssignment'
    if (hub === device.homeHub) device.rehoming = false
    device.assignedHub = hub
    return { device, firstTime, moved: !firstTime && hub !== before, hub, substatus }
  }

  isFailedOver(device: DeviceRecord): boolean {
    return device.failedOverUntil !== null && device.failedOverUntil > Date.now()
  }

  failover(
    deviceId: string,
    ttlMinutes = this.defaultTtlMinutes,
  ): { hubIdentifier: string; message: string } | null {
    const device = this.devices.get(deviceId)
    if (!device) return null
    const until = Date.now() + ttlMinutes * 60_000
    device.failedOverUntil = until
    this.ttls.set(deviceId, until)
    const away = otherHub(device.homeHub)
    // The hub it is on now drops it; DPS will name the other one.
    this.evictMisplaced(device)
    return {
      hubIdentifier: this.hubIdentifier(away),
      message:
        "Success! This device is now being failed over. You can check your device's status using " +
        `'iot central device registration-info' command. The device will revert to its original hub at ${new Date(until).toUTCString()}. ` +
        'You can choose to failback earlier using device-manual-failback command. Learn more: https://aka.ms/iotc-device-test',
    }
  }

  failback(deviceId: string): { hubIdentifier: string; message: string } | null {
    const device = this.devices.get(deviceId)
    if (!device) return null
    this.ttls.delete(deviceId)
    const wasAway = device.failedOverUntil !== null
    device.failedOverUntil = null
    this.evictMisplaced(device)
    return {
      hubIdentifier: this.hubIdentifier(device.homeHub),
      message: wasAway
        ? 'Device has successfully failed back to its original hub'
        : 'Device is already on its original hub',
    }
  }

  /**
   * Moves the device's home for good (IoT Central re-homing it): any manual failover ends, the
   * device is dropped wherever it is, and DPS names the new home with `deviceDataReset`.
   */
  rehome(
    deviceId: string,
    hub: HubName,
  ): { deviceId: string; homeHub: HubName; previousHomeHub: HubName; message: string } | null {
    const device = this.devices.get(deviceId)
    if (!device) return null
    const previous = device.homeHub
    if (previous === hub && !this.isFailedOver(device))
      return {
        deviceId,
        homeHub: hub,
        previousHomeHub: previous,
        message: `Device is already homed on hub ${hub.toUpperCase()}`,
      }
    this.ttls.delete(deviceId)
    device.failedOverUntil = null
    device.homeHub = hub
    device.rehoming = true
    for (const h of ['a', 'b'] as const) this.emit('evict', deviceId, h)
    return {
      deviceId,
      homeHub: hub,
      previousHomeHub: previous,
      message: `Device is now homed on hub ${hub.toUpperCase()}; it was dropped and DPS will assign it there (deviceDataReset)`,
    }
  }

  /** After DPS's view of hub health changed: every device not where it now belongs is dropped. */
  placeAll(): void {
    for (const device of this.devices.values()) this.evictMisplaced(device)
  }

  private evictMisplaced(device: DeviceRecord): void {
    const target = this.targetHub(device)
    for (const hub of ['a', 'b'] as const)
      if (hub !== target) this.emit('evict', device.deviceId, hub)
  }

  hubIdentifier(hub: HubName): string {
    return createHash('sha256').update(this.hubHosts[hub]).digest('hex')
  }

  recordTelemetry(device: DeviceRecord, r: Omit<TelemetryRecord, 'duplicate'>): TelemetryRecord {
    return device.telemetry.add(r)
  }

  telemetryStats(device: DeviceRecord) {
    return device.telemetry.stats()
  }

  /** Checks a telemetry message against the device's template, if the lab has it (`body` parses lazily). */
  /**
   * Checks a telemetry message against the template of the connection it came on. A message of
   * an earlier connection that names another model (the device changed its template; its last
   * messages are handled after the new CONNECT) belongs to no template being judged now.
   */
  checkTelemetry(
    device: DeviceRecord,
    modelId: string | null,
    body: () => unknown,
    sub: string | undefined,
  ): void {
    if (modelId !== device.conformance.modelId) return
    const model = this.templateOf(device)
    if (model) device.conformance.record(checkTelemetry(model, body(), sub))
  }

  /** Checks a reported-properties patch the hub took against the device's template, if known. */
  checkReported(
    device: DeviceRecord,
    modelId: string | null,
    patch: Record<string, unknown>,
  ): void {
    if (modelId !== device.conformance.modelId) return
    const model = this.templateOf(device)
    if (model) device.conformance.record(checkReported(model, patch))
  }

  conformance(device: DeviceRecord): ConformanceView {
    return device.conformance.view(this.templateOf(device) !== undefined)
  }

  private templateOf(device: DeviceRecord) {
    const id = device.conformance.modelId
    return id === null ? undefined : this.templates.get(id)
  }

  /**
   * Merges a desired patch (null deletes) and bumps $version, then tells the hubs to push it.
   * A patch over IoT Hub's limits throws LimitError before anything changes.
   */
  patchDesired(device: DeviceRecord, patch: Record<string, unknown>): Twin['desired'] {
    device.twin.desired = this.mergeChecked(device.twin.desired, patch)
    const desired = device.twin.desired
    this.emit('desired', device.deviceId, { ...patch, $version: desired.$version })
    return desired
  }

  /** Merges a reported patch the same way; throws LimitError before anything changes. */
  patchReported(device: DeviceRecord, patch: unknown): number {
    device.twin.reported = this.mergeChecked(device.twin.reported, patch)
    return device.twin.reported.$version
  }

  private mergeChecked(section: Twin['desired'], patch: unknown): Twin['desired'] {
    const problem = twinPatchProblem(patch)
    if (problem) throw new LimitError('twin', problem)
    const r = mergeTwin(section, patch as Record<string, unknown>)
    if ('problem' in r) throw new LimitError('twin', r.problem)
    r.merged.$version = section.$version + 1
    return r.merged
  }

  enqueueC2d(device: DeviceRecord, body: string, properties: Record<string, string>): C2dMessage {
    const size =
      Buffer.byteLength(body) +
      Object.entries(properties).reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
        0,
      )
    if (size > limits.c2dBytes)
      throw new LimitError(
        'c2d-size',
        `a cloud-to-device message may be at most ${limits.c2dBytes / 1024} KB (body and properties)`,
      )
    if (device.c2d.filter((m) => m.state !== 'completed').length >= limits.c2dQueueDepth)
      throw new QueueFullError(
        `${device.deviceId} already has ${limits.c2dQueueDepth} cloud-to-device messages waiting`,
      )
    // Settled messages are history: keep the latest, so a long run does not grow without bound.
    const settled = device.c2d.filter((m) => m.state === 'completed')
    if (settled.length >= c2dHistoryKept) device.c2d.splice(device.c2d.indexOf(settled[0]!), 1)
    const message: C2dMessage = {
      messageId: randomUUID(),
      body,
      properties,
      state: 'queued',
      enqueuedAt: new Date().toISOString(),
      deliveredTo: null,
      deliveryCount: 0,
      completedAt: null,
    }
    device.c2d.push(message)
    this.emit('c2d', device.deviceId)
    return message
  }

  dispose(): void {
    this.ttls.dispose()
  }
}
