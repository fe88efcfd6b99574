import { commandWireName, exampleValue as exampleFor, type DeviceModel } from '../../shared/dtdl'
import type { HubName } from '../types'
import { type Check, type ExamSettings, score } from './checks'
import {
  type AfterMove,
  type Evidence,
  type ExamEventId,
  type Move,
  type WireEvent,
  examEventIds,
} from './evidence'
import { LabApi, LabCallError } from './lab-api'
import { thresholds } from './thresholds'

// `lizard exam <deviceId>`: the seed's disasters, one after another, against a device connected
// to the lab, measured from the lab's side of the wire. Whatever happens (a device that never
// comes back, Ctrl+C, the time bound), every hub and DPS are restored before it returns.

export interface ExamOptions {
  url: string
  deviceId: string
  events: ExamEventId[]
  /** The template to check against and to pick commands and writable properties from. */
  model: DeviceModel | null
  dpsDetectSec: number
  /** How long one event may take before the device counts as not back. */
  eventTimeoutSec: number
  /** The whole exam: past it, what is under way stops and the rest is skipped. */
  timeBoundSec: number
  /** How long to watch the device's telemetry before the first event, to learn its period. */
  warmupSec: number
  /** At the end, how long to wait for the device to disconnect (to check it does so cleanly). */
  endWaitSec: number
  /** How long DPS stays throttled in the throttle event, and the retry-after it gives. */
  throttleSec: number
  throttleRetryAfterSec: number
}

export const examDefaults = {
  dpsDetectSec: 10,
  eventTimeoutSec: 120,
  timeBoundSec: 1800,
  warmupSec: 20,
  endWaitSec: 0,
  throttleSec: 15,
  throttleRetryAfterSec: 3,
} as const

export interface ExamIo {
  progress(line: string): void
  /** Aborted: stop waiting, restore the lab, report what was measured. */
  signal: AbortSignal
}

const other = (h: HubName): HubName => (h === 'a' ? 'b' : 'a')

class Stopped extends Error {}

export async function runExam(
  o: ExamOptions,
  io: ExamIo,
): Promise<{ evidence: Evidence; checks: Check[] }> {
  const lab = new LabApi(o.url)
  const started = Date.now()
  const deadline = started + o.timeBoundSec * 1000
  const stopped = () => io.signal.aborted || Date.now() > deadline
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      io.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
    })
  /** Polls until `probe` gives something, the bound passes, or the exam is stopped. */
  async function until<T>(probe: () => Promise<T | null>, ms: number): Promise<T | null> {
    const end = Math.min(Date.now() + ms, deadline)
    for (;;) {
      if (io.signal.aborted) throw new Stopped()
      const v = await probe().catch((e: unknown) => {
        if (e instanceof LabCallError && e.status === null) throw e
        return null
      })
      if (v !== null) return v
      if (Date.now() >= end) return null
      await sleep(200)
    }
  }

  const id = o.deviceId
  const first = await lab.device(id).catch((e: unknown) => {
    throw new LabCallError(
      e instanceof LabCallError && e.status === 404
        ? `${id} has never connected to this lab: start the device, then run the exam`
        : (e as Error).message,
    )
  })
  if (!first.connectedTo)
    await until(async () => ((await lab.device(id)).connectedTo ? true : null), 30_000)
  await lab.watch(id)

  const evidence: Evidence = {
    deviceId: id,
    startedAt: started,
    endedAt: started,
    periodMs: null,
    events: [],
    moves: [],
    skipped: [],
    conformance: null,
    modelId: null,
    endedWith: null,
    interrupted: null,
  }
  const wire = async () => (evidence.events = await lab.wire(id))
  const telemetryOn = (hub: HubName, since: number) => (e: WireEvent) =>
    e.kind === 'telemetry' && e.hub === hub && e.at > since
  const connectOn = (hub: HubName, since: number) => (e: WireEvent) =>
    e.kind === 'hub-connect' && e.hub === hub && e.outcome === 'accepted' && e.at > since

  try {
    // Its period, from what it sends of its own accord: nothing assumes ours.
    io.progress(`watching ${id} for up to ${o.warmupSec} s to learn its telemetry period`)
    await until(async () => {
      const t = (await wire()).filter((e) => e.kind === 'telemetry')
      return t.length >= 5 ? true : null
    }, o.warmupSec * 1000)
    const arrivals = evidence.events.filter((e) => e.kind === 'telemetry').map((e) => e.at)
    if (arrivals.length >= 2) {
      const gaps = arrivals
        .slice(1)
        .map((t, i) => t - arrivals[i]!)
        .sort((a, b) => a - b)
      evidence.periodMs = gaps[Math.floor(gaps.length / 2)]!
    }
    const sendsTelemetry = arrivals.length > 0

    for (const event of o.events) {
      if (stopped()) {
        evidence.skipped.push({
          id: event,
          why: io.signal.aborted ? 'the exam was stopped' : 'the exam ran out of time',
        })
        continue
      }
      const view = await lab.device(id)
      const from = view.connectedTo
      if (!from) {
        evidence.skipped.push({
          id: event,
          why: `${id} was not connected when the ${event} event was due: it never came back from the one before`,
        })
        continue
      }
      io.progress(`${event}: ${id} is on hub ${from.toUpperCase()}`)
      const to = event === 'restart' ? from : other(from)
      const desiredVersion =
        typeof view.twin.desired.$version === 'number' ? view.twin.desired.$version : null
      const desiredKeys = Object.keys(view.twin.desired).filter((k) => !k.startsWith('$'))
      const startedAt = Date.now()
      let retryAfterSec: number | undefined
      await act(event, from)
      if (event === 'throttle') retryAfterSec = o.throttleRetryAfterSec

      const back = await until(async () => {
        const events = await wire()
        const hit = events.find(telemetryOn(to, startedAt))
        if (hit) return { at: hit.at, by: 'telemetry' as const }
        if (!sendsTelemetry) {
          const c = events.find(connectOn(to, startedAt))
          if (c) return { at: c.at, by: 'connect' as const }
        }
        return null
      }, o.eventTimeoutSec * 1000)
      if (event === 'throttle') await lab.call('POST', '/dps/restore', {}).catch(() => {})

      const after: AfterMove = {
        method: null,
        c2d: null,
        desired: null,
        resyncedVersion: null,
        desiredVersion: desiredKeys.length ? desiredVersion : null,
      }
      if (back) await afterMove(after, back.at, desiredKeys)
      // Settle: a device with an outbox sends what it kept right after reconnecting.
      if (back && evidence.periodMs) await sleep(Math.min(5000, evidence.periodMs * 2))
      await wire()
      const move: Move = {
        id: event,
        startedAt,
        from,
        to,
        backAt: back?.at ?? null,
        backBy: back?.by ?? null,
        endedAt: Date.now(),
        ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
        after,
      }
      evidence.moves.push(move)
      io.progress(
        back
          ? `${event}: back on hub ${to.toUpperCase()} after ${((back.at - startedAt) / 1000).toFixed(1)} s`
          : `${event}: not back on hub ${to.toUpperCase()} after ${o.eventTimeoutSec} s`,
      )
      await recover(event, from)
    }

    if (o.endWaitSec > 0 && !stopped()) {
      io.progress(`stop ${id} now: waiting ${o.endWaitSec} s to see how it disconnects`)
      await until(async () => {
        const events = await wire()
        const last = events
          .filter((e) => e.kind === 'hub-connect' || e.kind === 'hub-disconnect')
          .at(-1)
        return last?.kind === 'hub-disconnect' ? true : null
      }, o.endWaitSec * 1000)
    }
  } catch (e) {
    if (!(e instanceof Stopped)) throw e
  } finally {
    await restoreLab()
    evidence.endedAt = Date.now()
    if (io.signal.aborted)
      evidence.interrupted = 'stopped before the end (Ctrl+C): the checks cover what ran'
    else if (Date.now() > deadline)
      evidence.interrupted = `stopped at the time bound (${o.timeBoundSec} s)`
  }

  await wire().catch(() => {})
  const closing = evidence.events
    .filter((e) => e.kind === 'hub-connect' || e.kind === 'hub-disconnect')
    .at(-1)
  if (
    closing?.kind === 'hub-disconnect' &&
    (closing.how === 'disconnect-packet' || closing.how === 'socket-closed')
  )
    evidence.endedWith = closing.how
  const connects = evidence.events.filter((e) => e.kind === 'hub-connect')
  const registers = evidence.events.filter((e) => e.kind === 'dps-register')
  evidence.modelId = {
    connect: connects.find((e) => e.kind === 'hub-connect' && e.modelId)?.modelId ?? null,
    dps: registers.find((e) => e.kind === 'dps-register' && e.modelId)?.modelId ?? null,
  }
  const c = (await lab.device(id).catch(() => null))?.conformance
  if (c && c.template === 'checked' && c.modelId)
    evidence.conformance = { modelId: c.modelId, findings: c.findings, recent: c.recent }
  await lab.unwatch(id).catch(() => {})
  const settings: ExamSettings = { dpsDetectSec: o.dpsDetectSec }
  return { evidence, checks: score(evidence, settings) }

  // ---- what each event does to the lab, and how it is undone --------------------------------

  async function act(event: ExamEventId, hub: HubName): Promise<void> {
    const dev = `/system/iothub/devices/${encodeURIComponent(id)}`
    switch (event) {
      case 'manual-failover':
        await lab.call('POST', `${dev}/manual-failover`, { ttl: 30 })
        return
      case 'manual-failback':
        await lab.call('POST', `${dev}/manual-failback`)
        return
      case 'kill':
      case 'blackhole':
        await lab.call('POST', `/hubs/${hub}/${event}`, { dpsDetect: o.dpsDetectSec })
        return
      case 'restart':
        // Down and straight back, DPS never told: the assignment is unchanged.
        await lab.call('POST', `/hubs/${hub}/kill`, { dpsUnaware: true })
        await lab.call('POST', `/hubs/${hub}/restore`, { rebalance: 0 })
        return
      case 'throttle':
        // DPS refuses every registration; a failover makes the device need one.
        await lab.call('POST', '/dps/throttle', { retryAfter: o.throttleRetryAfterSec })
        await lab.call('POST', `${dev}/manual-failover`, { ttl: 30 })
        setTimeout(
          () => void lab.call('POST', '/dps/restore', {}).catch(() => {}),
          o.throttleSec * 1000,
        ).unref()
        return
    }
  }

  /** Puts the device back where the next event expects it: home, on a healthy lab. */
  async function recover(event: ExamEventId, hub: HubName): Promise<void> {
    if (event === 'kill' || event === 'blackhole') {
      await lab.call('POST', `/hubs/${hub}/restore`, { rebalance: 0 })
      io.progress(`${event}: hub ${hub.toUpperCase()} restored; waiting for ${id} to fail back`)
      await until(
        async () => ((await lab.device(id)).connectedTo === hub ? true : null),
        o.eventTimeoutSec * 1000,
      )
    }
    if (event === 'throttle') {
      await lab
        .call('POST', `/system/iothub/devices/${encodeURIComponent(id)}/manual-failback`)
        .catch(() => {})
      await until(
        async () => ((await lab.device(id)).connectedTo === hub ? true : null),
        o.eventTimeoutSec * 1000,
      )
    }
  }

  async function restoreLab(): Promise<void> {
    for (const h of ['a', 'b'] as const)
      await lab.call('POST', `/hubs/${h}/restore`, { rebalance: 0 }).catch(() => {})
    await lab.call('POST', '/dps/restore', {}).catch(() => {})
    await lab
      .call('POST', `/system/iothub/devices/${encodeURIComponent(id)}/manual-failback`)
      .catch(() => {})
  }

  /** A method, a durable command and a two-key desired patch, on the new hub. */
  async function afterMove(after: AfterMove, backAt: number, desiredKeys: string[]): Promise<void> {
    const bound = thresholds.answerSec * 1000
    // Without a new patch: did it acknowledge the desired document it reconnected to?
    if (after.desiredVersion !== null) {
      const v = after.desiredVersion
      after.resyncedVersion =
        (await until(async () => {
          const hit = (await wire()).find(
            (e) =>
              e.kind === 'reported' && e.at >= backAt && desiredKeys.every((k) => e.acks[k] === v),
          )
          return hit ? v : null
        }, bound)) ?? null
    }
    const model = o.model
    const sync = model?.commands.find((c) => !c.durable)
    const method = sync ? commandWireName(sync) : 'lizardExamPing'
    const payload = sync?.request ? exampleFor(sync.request.schema) : {}
    const answer = await lab
      .call<{ status: number }>('POST', `/devices/${encodeURIComponent(id)}/methods`, {
        methodName: method,
        payload,
        responseTimeoutInSeconds: Math.max(5, thresholds.answerSec),
      })
      .catch(() => null)
    after.method = { name: method, status: answer?.status ?? null }

    const durable = model?.commands.find((c) => c.durable)
    const name = durable ? commandWireName(durable) : 'lizardExamPing'
    const sent = await lab
      .call<{ messageId: string }>('POST', `/devices/${encodeURIComponent(id)}/c2d`, {
        body: durable?.request ? exampleFor(durable.request.schema) : {},
        properties: { 'method-name': name },
      })
      .catch(() => null)
    const delivered = sent
      ? await until(async () => {
          const m = (await lab.device(id)).c2d.find((x) => x.messageId === sent.messageId)
          return m && m.state !== 'queued' && m.state !== 'sent' ? true : null
        }, bound)
      : null
    after.c2d = { name, delivered: delivered === true }

    const writable =
      model?.properties.filter((p) => p.writable && p.component === null).slice(0, 2) ?? []
    const patch: Record<string, unknown> = writable.length
      ? Object.fromEntries(writable.map((p) => [p.name, exampleFor(p.schema)]))
      : { lizardExamA: 1, lizardExamB: 2 }
    const r = await lab
      .call<{ desired: { $version: number } }>(
        'PATCH',
        `/devices/${encodeURIComponent(id)}/twin/desired`,
        patch,
      )
      .catch(() => null)
    if (!r) return
    const keys = Object.keys(patch)
    const version = r.desired.$version
    const acks = await until(async () => {
      const reported = (await lab.device(id)).twin.reported as Record<string, unknown>
      const got = Object.fromEntries(
        keys.map((k) => {
          const a = reported[k]
          return [
            k,
            a && typeof a === 'object' && (a as { av?: unknown }).av === version
              ? (a as Record<string, unknown>)
              : null,
          ]
        }),
      )
      return keys.every((k) => got[k]) ? got : null
    }, bound)
    const final = acks ?? (await lab.device(id).catch(() => null))?.twin.reported ?? {}
    after.desired = {
      version,
      keys,
      acks: Object.fromEntries(
        keys.map((k) => {
          const a = (final as Record<string, unknown>)[k]
          return [
            k,
            a && typeof a === 'object' && (a as { av?: unknown }).av === version
              ? (a as never)
              : null,
          ]
        }),
      ),
    }
  }
}

export const allEvents: readonly ExamEventId[] = examEventIds
