import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Counters, Periods, Transport } from '../../shared/domain'
import type { DeviceModel } from '../../shared/dtdl'
import type { DeviceSessionApi, DeviceSessionOptions } from '../device/api'
import { DeviceSession } from '../device/index'
import { deviceId } from './device-ids'
import { oneLine, RunError } from './errors'
import { DeviceRecorder } from './recorder'
import { type Pacing, maxInFlight, rampPlan, runRamp } from './ramp'
import type { IndexRange } from './shards'

// A fleet is not a second engine: it is many of the same DeviceSession, in one process, sharing
// what can be shared (the model, the CA, the target) and nothing that grows per device with time
// (one ramp timer, no per-device timers of its own; the progress line is the caller's one ticker).

/** Where the devices go: a lab, or an IoT Central application's DPS. */
export interface FleetTarget {
  kind: 'lab' | 'iot-central'
  idScope: string
  /** The enrollment group key every device key is derived from. Never reported. */
  groupKey: string
  provisioningHost: string
  ca?: string
  /** Display names of hub hosts (the lab's A and B). */
  hubLabels: Record<string, string>
  transport: Transport
}

export interface FleetOptions {
  prefix: string
  range: IndexRange
  target: FleetTarget
  model: DeviceModel
  /** One folder per device below this: outbox, sequence, home hub. */
  dataDir: string
  periods?: Partial<Periods>
  pacing: Pacing
  /** How long the first device may take to connect before the run is called off. */
  startupTimeoutMs: number
  /** Engine options for every session (timings); the fleet sets the rest. */
  session?: Partial<DeviceSessionOptions>
  /** Makes a session: DeviceSession, or a test's stand-in. */
  createSession?: (o: DeviceSessionOptions) => DeviceSessionApi
}

export interface FleetProgress {
  devices: number
  /** Devices whose connect the ramp has issued. */
  started: number
  /** Connected devices by hub label. */
  connected: Record<string, number>
  /** Lost their hub and not connected again yet. */
  moving: number
  /** Not connected yet for the first time. */
  starting: number
  failed: number
  /** Waiting right now because DPS answered 429. */
  throttledNow: number
  throttles: number
  registrations: number
  moves: number
  produced: number
}

export interface FleetDevice {
  id: string
  index: number
  session: DeviceSessionApi
  recorder: DeviceRecorder
  /** Outbox items left from an earlier run in the same data folder: they count as produced. */
  queuedAtStart: number
}

/** A device as the run ended: where it was before the fleet closed it, and its counters after. */
export interface DeviceOutcome {
  device: FleetDevice
  hubAtEnd: string | null
  stateAtEnd: string
  homeHub: string | null
  counters: Counters
}

const closeBatch = 256
const openBatch = 200

export class Fleet {
  readonly devices: FleetDevice[] = []
  private readonly label: (host: string) => string
  private readonly watchers = new Set<(r: DeviceRecorder) => void>()
  private started = 0
  /** Devices whose first connect has ended (connected, or failed for good). */
  private readonly arrived = new Set<DeviceRecorder>()
  private faults = 0
  private closing: Promise<DeviceOutcome[]> | null = null

  constructor(private readonly o: FleetOptions) {
    const labels = o.target.hubLabels
    this.label = (host) => (Object.hasOwn(labels, host) ? labels[host]! : host)
  }

  get size(): number {
    return this.o.range.to - this.o.range.from
  }

  get faultCount(): number {
    return this.faults
  }

  labelOf(host: string): string {
    return this.label(host)
  }

  /**
   * Builds every session (folders, outbox journals, their locks) before anything connects, so a
   * folder another run holds is found before the first packet. On failure, what was built is
   * closed again.
   */
  async open(signal: AbortSignal): Promise<void> {
    const { o } = this
    mkdirSync(o.dataDir, { recursive: true })
    const make = o.createSession ?? ((opts) => new DeviceSession(opts))
    try {
      for (let i = o.range.from; i < o.range.to; i++) {
        if (signal.aborted) return
        const id = deviceId(o.prefix, i)
        let session: DeviceSessionApi
        try {
          session = make({
            idScope: o.target.idScope,
            groupKey: o.target.groupKey,
            deviceId: id,
            modelId: o.model.id,
            provisioningHost: o.target.provisioningHost,
            transport: o.target.transport,
            ca: o.target.ca,
            dataDir: join(o.dataDir, id),
            model: o.model,
            hubLabels: o.target.hubLabels,
            ...o.session,
            periods: { ...o.session?.periods, ...o.periods },
          })
        } catch (e) {
          throw new RunError(`${id}: ${oneLine(e)}`)
        }
        const recorder = new DeviceRecorder(session, this.label, (r) => {
          if (r.firstConnectedAt !== null || r.phase === 'failed') this.arrived.add(r)
          for (const w of this.watchers) w(r)
        })
        this.devices.push({
          id,
          index: i,
          session,
          recorder,
          queuedAtStart: session.snapshot().counters.queued,
        })
        // Let timers and signals in between: a hundred thousand journals take a while to open.
        if ((i - o.range.from) % openBatch === openBatch - 1) await new Promise(setImmediate)
      }
    } catch (e) {
      await this.close()
      throw e
    }
  }

  /**
   * Connects the first device alone and waits for it: a wrong key, an unknown id scope or an
   * unreachable DPS is then one device's refusal, said in one line, not a thousand. Then the
   * others, paced by the ramp. Resolves when every connect has been issued (or on abort).
   */
  async start(signal: AbortSignal): Promise<void> {
    const [pilot, ...rest] = this.devices
    if (!pilot || signal.aborted) return
    this.started = 1
    await pilot.session.connect()
    await this.pilotConnected(pilot, signal)
    if (signal.aborted) return
    const { intervalMs } = rampPlan(this.size, this.o.pacing)
    const inFlight = maxInFlight(this.o.pacing.connectRate)
    await runRamp(
      rest.length,
      intervalMs,
      (i) => {
        this.started++
        rest[i]!.session.connect().catch(() => {})
      },
      signal,
      Date.now,
      () => this.started - this.arrived.size < inFlight,
    )
  }

  private pilotConnected(pilot: FleetDevice, signal: AbortSignal): Promise<void> {
    const r = pilot.recorder
    return new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => {
        clearTimeout(timer)
        this.watchers.delete(watch)
        signal.removeEventListener('abort', onAbort)
        if (e) reject(e)
        else resolve()
      }
      const refusal = () => {
        const why = pilot.session.snapshot().lastError?.message ?? r.lastProblem?.reason
        return new RunError(
          `the first device (${pilot.id}) could not connect: ${why ?? 'no reason given'}`,
        )
      }
      const watch = (x: DeviceRecorder) => {
        if (x !== r) return
        if (r.phase === 'connected') done()
        else if (r.phase === 'failed' || r.lastProblem) done(refusal())
      }
      const onAbort = () => done()
      const timer = setTimeout(() => {
        const last = pilot.session.snapshot().lastError
        done(
          new RunError(
            `the first device (${pilot.id}) did not connect within ${Math.round(this.o.startupTimeoutMs / 1000)} s${last ? `: ${last.message}` : ''}`,
          ),
        )
      }, this.o.startupTimeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      this.watchers.add(watch)
      watch(r)
    })
  }

  /** Counts from the recorders: one pass per tick, nothing kept per tick. */
  progress(): FleetProgress {
    const p: FleetProgress = {
      devices: this.size,
      started: this.started,
      connected: {},
      moving: 0,
      starting: 0,
      failed: 0,
      throttledNow: 0,
      throttles: 0,
      registrations: 0,
      moves: 0,
      produced: 0,
    }
    for (const { recorder: r } of this.devices) {
      if (r.phase === 'connected' && r.hub) {
        const l = this.label(r.hub)
        p.connected[l] = (p.connected[l] ?? 0) + 1
      } else if (r.phase === 'moving') p.moving++
      else if (r.phase === 'starting') p.starting++
      else if (r.phase === 'failed') p.failed++
      if (r.throttledNow) p.throttledNow++
      p.throttles += r.throttles
      p.registrations += r.registrations
      p.moves += r.moves.length + r.movesDropped
      p.produced += r.produced
    }
    return p
  }

  /**
   * Every device connected, its readings flowing (one sent at least, where the template has
   * telemetry) and nothing left in any outbox: the fleet has nothing more to do.
   */
  settled(): boolean {
    if (this.started < this.size) return false
    const sends = this.o.model.telemetry.length > 0
    for (const d of this.devices) {
      const r = d.recorder
      if (r.phase !== 'connected' || (sends && r.telemetryProduced === 0)) return false
      if (d.session.snapshot().counters.queued > 0) return false
    }
    return true
  }

  /**
   * An exception nothing caught (an SDK callback's throw on a later tick) belongs to no session
   * the process can name; the ones in the middle of an attempt are started over from their
   * outboxes, the connected ones notice a broken link themselves.
   */
  recoverFromFault(fault: unknown): number {
    this.faults++
    let restarted = 0
    for (const d of this.devices) {
      const s = d.recorder.state
      if (s === 'provisioning' || s === 'connecting' || s === 'reconnecting') {
        restarted++
        void d.session.restart?.(fault).catch(() => {})
      }
    }
    return restarted
  }

  /** Clean disconnects (each flushes what it can), in batches; then each device's outcome. */
  close(): Promise<DeviceOutcome[]> {
    this.closing ??= (async () => {
      const before = this.devices.map((d) => {
        const s = d.session.snapshot()
        return {
          hubAtEnd: s.hub ? this.label(s.hub.host) : null,
          stateAtEnd: s.state.kind,
          homeHub: s.homeHub ? this.label(s.homeHub) : null,
        }
      })
      for (let i = 0; i < this.devices.length; i += closeBatch)
        await Promise.all(
          this.devices.slice(i, i + closeBatch).map((d) => d.session.close().catch(() => {})),
        )
      return this.devices.map((d, i) => {
        d.recorder.detach()
        return { device: d, ...before[i]!, counters: d.session.snapshot().counters }
      })
    })()
    return this.closing
  }
}
