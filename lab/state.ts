import { createHash, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { HubName } from './types'

export interface TelemetryRecord {
  seq: number | null
  messageId: string | null
  body: unknown
  properties: Record<string, string>
  systemProperties: Record<string, string>
  hub: HubName
  arrivedAt: string
  duplicate: boolean
}

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

export interface DeviceRecord {
  deviceId: string
  homeHub: HubName
  /** The hub DPS last assigned; the device may only connect there. */
  assignedHub: HubName
  failedOverUntil: number | null
  dpsRegistrations: number
  connectedTo: HubName | null
  twin: Twin
  telemetry: TelemetryRecord[]
  telemetryCount: number
  seenMessageIds: Set<string>
  seenSeqs: Set<number>
  c2d: C2dMessage[]
}

// A record per device keeps at most this many telemetry messages; stats keep counting past it.
const telemetryKept = 50_000

export const otherHub = (h: HubName): HubName => (h === 'a' ? 'b' : 'a')

/**
 * What the lab knows: devices, where each belongs, what each hub received. DPS, the hubs and
 * the control API all read and change this one object; the hubs listen for its events.
 */
export class LabState extends EventEmitter<{
  /** A device must leave `hub` now (failed over or back): the hub disconnects it. */
  evict: [deviceId: string, hub: HubName]
  desired: [deviceId: string, patch: Record<string, unknown>]
  c2d: [deviceId: string]
}> {
  readonly devices = new Map<string, DeviceRecord>()
  private ttlTimers = new Map<string, NodeJS.Timeout>()

  constructor(
    readonly hubHosts: Record<HubName, string>,
    readonly defaultTtlMinutes: number,
  ) {
    super()
  }

  homeHubFor(deviceId: string): HubName {
    // Hash-spread, as IoT Central spreads devices over its hubs.
    return createHash('sha256').update(deviceId).digest()[0]! % 2 === 0 ? 'a' : 'b'
  }

  /** Called by DPS on a successful registration; returns the device with its assignment made. */
  register(deviceId: string): { device: DeviceRecord; firstTime: boolean; moved: boolean } {
    let device = this.devices.get(deviceId)
    const firstTime = !device
    if (!device) {
      const home = this.homeHubFor(deviceId)
      device = {
        deviceId,
        homeHub: home,
        assignedHub: home,
        failedOverUntil: null,
        dpsRegistrations: 0,
        connectedTo: null,
        twin: { desired: { $version: 1 }, reported: { $version: 1 } },
        telemetry: [],
        telemetryCount: 0,
        seenMessageIds: new Set(),
        seenSeqs: new Set(),
        c2d: [],
      }
      this.devices.set(deviceId, device)
    }
    device.dpsRegistrations++
    const target = this.targetHub(device)
    const moved = !firstTime && target !== device.assignedHub
    device.assignedHub = target
    return { device, firstTime, moved }
  }

  /** Where the device belongs now; the other hub refuses it even before it asks DPS again. */
  targetHub(device: DeviceRecord): HubName {
    return this.isFailedOver(device) ? otherHub(device.homeHub) : device.homeHub
  }

  isFailedOver(device: DeviceRecord): boolean {
    return device.failedOverUntil !== null && device.failedOverUntil > Date.now()
  }

  failover(deviceId: string, ttlMinutes = this.defaultTtlMinutes): { hubIdentifier: string; message: string } | null {
    const device = this.devices.get(deviceId)
    if (!device) return null
    const until = Date.now() + ttlMinutes * 60_000
    device.failedOverUntil = until
    clearTimeout(this.ttlTimers.get(deviceId))
    this.ttlTimers.set(
      deviceId,
      setTimeout(() => this.failback(deviceId), ttlMinutes * 60_000).unref(),
    )
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
    clearTimeout(this.ttlTimers.get(deviceId))
    this.ttlTimers.delete(deviceId)
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

  private evictMisplaced(device: DeviceRecord): void {
    const target = this.targetHub(device)
    for (const hub of ['a', 'b'] as const) if (hub !== target) this.emit('evict', device.deviceId, hub)
  }

  hubIdentifier(hub: HubName): string {
    return createHash('sha256').update(this.hubHosts[hub]).digest('hex')
  }

  recordTelemetry(device: DeviceRecord, r: Omit<TelemetryRecord, 'duplicate'>): TelemetryRecord {
    const duplicate = r.messageId !== null && device.seenMessageIds.has(r.messageId)
    if (r.messageId !== null) device.seenMessageIds.add(r.messageId)
    if (r.seq !== null) device.seenSeqs.add(r.seq)
    const record = { ...r, duplicate }
    device.telemetry.push(record)
    device.telemetryCount++
    if (device.telemetry.length > telemetryKept) device.telemetry.splice(0, device.telemetry.length - telemetryKept)
    return record
  }

  telemetryStats(device: DeviceRecord) {
    const seqs = [...device.seenSeqs].sort((a, b) => a - b)
    const firstSeq = seqs[0] ?? null
    const lastSeq = seqs.at(-1) ?? null
    const missing: number[] = []
    if (firstSeq !== null && lastSeq !== null) {
      for (let s = firstSeq, i = 0; s <= lastSeq && missing.length < 1000; s++) {
        if (seqs[i] === s) i++
        else missing.push(s)
      }
    }
    return {
      count: device.telemetryCount,
      unique: device.seenMessageIds.size,
      duplicates: device.telemetry.filter((t) => t.duplicate).length,
      firstSeq,
      lastSeq,
      missing,
    }
  }

  /** Merges a desired patch (null deletes), bumps $version, and tells the hubs to push it. */
  patchDesired(device: DeviceRecord, patch: Record<string, unknown>): Twin['desired'] {
    const desired = device.twin.desired
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith('$')) continue
      if (v === null) delete desired[k]
      else desired[k] = v
    }
    desired.$version++
    this.emit('desired', device.deviceId, { ...patch, $version: desired.$version })
    return desired
  }

  enqueueC2d(device: DeviceRecord, body: string, properties: Record<string, string>): C2dMessage {
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
    for (const t of this.ttlTimers.values()) clearTimeout(t)
    this.ttlTimers.clear()
  }
}
