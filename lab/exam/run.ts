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
import { type DeviceView, LabApi, LabCallError } from './lab-api'
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
  /** How long to wait for a device that registered but is not connected; then the exam refuses. */
  connectWaitSec?: number
  /** How long a method, a C2D delivery or an acknowledgement may take (thresholds.answerSec). */
  answerSec?: number
}

export const examDefaults = {
  dpsDetectSec: 10,
  eventTimeoutSec: 120,
  timeBoundSec: 1800,
  warmupSec: 20,
  endWaitSec: 0,
  throttleSec: 15,
  throttleRetryAfterSec: 3,
  connectWaitSec: 5,
} as const

export interface ExamIo {
  progress(line: string): void
  /** Aborted: stop waiting, restore the lab, report what was measured. */
  signal: AbortSignal
  /** Each event as it ends (a live checklist); the exam goes on when what it returns settles. */
  moved?(move: Move): void | Promise<void>
}

/** The exam could not start: the device or the lab is not in a state to be examined. */
export class ExamRefused extends Error {}

const other = (h: HubName): HubName => (h === 'a' ? 'b' : 'a')
const H = (h: HubName) => h.toUpperCase()

/** The evidence kept, at most: an exam is bounded in time, and so is what it remembers. */
const evidenceKept = 200_000

class Stopped extends Error {}

/** What stopped the exam, as the caller said it (`abort(reason)`), or just that it was stopped. */
function stopCause(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason.slice(0, 200) : 'stopped'
}

export async function runExam(
  o: ExamOptions,
  io: ExamIo,
): Promise<{ evidence: Evidence; checks: Check[] }> {
  // Calls that act stop on Ctrl+C; restoring the lab afterwards must not.
  const restorer = new LabApi(o.url, 30_000)
  const lab = new LabApi(o.url).stoppable(io.signal)
  const started = Date.now()
  const deadline = started + o.timeBoundSec * 1000
  const answerMs = (o.answerSec ?? thresholds.answerSec) * 1000
  const stopped = () => io.signal.aborted || Date.now() >= deadline
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve()
      const done = () => (clearTimeout(t), io.signal.removeEventListener('abort', done), resolve())
      const t = setTimeout(done, ms)
      io.signal.addEventListener('abort', done, { once: true })
    })
  /** Polls until `probe` gives something, the bound passes, or the exam is stopped. */
  async function until<T>(probe: () => Promise<T | null>, ms: number): Promise<T | null> {
    const end = Math.min(Date.now() + ms, deadline)
    for (;;) {
      if (io.signal.aborted) throw new Stopped()
      const v = await probe().catch((e: unknown) => {
        if (io.signal.aborted) throw new Stopped()
        // The lab not answering at all ends the exam; a refusal of one call is retried.
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
    if (e instanceof LabCallError && e.status === 404)
      throw new ExamRefused(
        `${id} has never registered with this lab's DPS: start the device (npx lizard connect-info says how), then run the exam`,
      )
    throw e
  })
  await labReady(first)
  // Without --model, the template the lab holds for the model id the device names: the exam
  // then calls its own commands and sets its own writable properties, not probes its template
  // lacks (which the lab would count against the device's conformance).
  const named = first.conformance?.modelId ?? null
  const labModel =
    !o.model && named
      ? await lab.call<{ model: DeviceModel }>('GET', `/models/${encodeURIComponent(named)}`).then(
          (r) => r.model,
          () => null,
        )
      : null
  await lab.watch(id)
  try {
    if (!first.connectedTo) {
      const back = await until(
        async () => ((await lab.device(id)).connectedTo ? true : null),
        (o.connectWaitSec ?? examDefaults.connectWaitSec) * 1000,
      ).catch((e: unknown) => {
        if (e instanceof Stopped) return null
        throw e
      })
      if (!back)
        throw new ExamRefused(
          io.signal.aborted
            ? 'stopped before the exam began'
            : `${id} is not connected to the lab now (it has registered before): start it, then run the exam`,
        )
    }
    return await examine()
  } finally {
    await restorer.unwatch(id).catch(() => {})
  }

  /** The lab as the exam must find it: both hubs up and trusted by DPS, DPS answering. */
  async function labReady(device: DeviceView): Promise<void> {
    const facts = await lab.lab()
    for (const h of ['a', 'b'] as const) {
      const v = facts.hubs[h]
      if (v.mode !== 'up')
        throw new ExamRefused(
          `hub ${H(h)} is ${v.mode}: the exam starts from a healthy lab (lizard hub ${h} restore)`,
        )
      if (!v.dps.available || v.dps.state !== 'available')
        throw new ExamRefused(
          `DPS does not name hub ${H(h)} yet (${v.dps.state}): wait for it, then run the exam`,
        )
    }
    if (facts.dps.mode !== 'up')
      throw new ExamRefused(
        `DPS is ${facts.dps.mode}: the exam starts from a healthy lab (lizard dps restore)`,
      )
    if (device.failedOverUntil)
      throw new ExamRefused(
        `${id} is failed over until ${device.failedOverUntil}: lizard failback ${id}, then run the exam`,
      )
  }

  async function examine(): Promise<{ evidence: Evidence; checks: Check[] }> {
    const evidence: Evidence = {
      deviceId: id,
      startedAt: started,
      endedAt: started,
      periodMs: null,
      events: [],
      moves: [],
      skipped: [],
      conformance: null,
      unchecked: null,
      modelId: null,
      endedWith: null,
      interrupted: null,
      wireDropped: 0,
    }
    let cursor = 0
    /** Reads what the lab saw since the last read; the evidence keeps it all (bounded). */
    const wire = async (api: LabApi = lab): Promise<WireEvent[]> => {
      for (let pages = 0; pages < 100; pages++) {
        const p = await api.wirePage(id, cursor)
        evidence.events.push(...p.events)
        // The lab's bound let events go before they were read: counted, and said.
        evidence.wireDropped! += p.missed
        cursor = p.next
        if (!p.more) break
      }
      if (evidence.events.length > evidenceKept) {
        const cut = evidence.events.length - evidenceKept
        evidence.events.splice(0, cut)
        evidence.wireDropped! += cut
      }
      return evidence.events
    }
    const before = first.conformance ?? null
    let throttleTimer: NodeJS.Timeout | null = null
    let sendsTelemetry = false
    /** The event under way (its index in o.events), so a stop can say what did not run. */
    let current = -1

    /** Back on `to` since `since`: its first accepted CONNECT there, then its first telemetry. */
    const backOn = (events: WireEvent[], to: HubName, since: number) => {
      const c = events.find(
        (e) => e.kind === 'hub-connect' && e.hub === to && e.outcome === 'accepted' && e.at > since,
      )
      if (!c) return null
      const t = events.find((e) => e.kind === 'telemetry' && e.hub === to && e.at >= c.at)
      if (t) return { at: t.at, by: 'telemetry' as const, connectAt: c.at }
      return sendsTelemetry ? null : { at: c.at, by: 'connect' as const, connectAt: c.at }
    }

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
        evidence.periodMs = Math.max(1, gaps[Math.floor(gaps.length / 2)]!)
      }
      sendsTelemetry = arrivals.length > 0
      if (!sendsTelemetry)
        io.progress(
          `${id} sent no telemetry in ${o.warmupSec} s: its moves are judged by its connections`,
        )

      for (const [index, event] of o.events.entries()) {
        current = index
        if (stopped()) {
          evidence.skipped.push({
            id: event,
            why: io.signal.aborted
              ? 'the exam was stopped before it'
              : `the exam reached its time bound (${o.timeBoundSec} s) before it`,
          })
          continue
        }
        const view = await lab.device(id)
        const from = view.connectedTo
        if (!from) {
          const left = (await wire())
            .filter((e) => e.kind === 'hub-connect' || e.kind === 'hub-disconnect')
            .at(-1)
          evidence.skipped.push({
            id: event,
            why:
              left?.kind === 'hub-disconnect' && left.how === 'disconnect-packet'
                ? `${id} closed its connection (DISCONNECT) ${((left.at - started) / 1000).toFixed(1)} s into the exam and was not connected when the ${event} event was due`
                : `${id} was not connected when the ${event} event was due: it never came back from what came before`,
          })
          continue
        }
        io.progress(`${event}: ${id} is on hub ${H(from)}`)
        const to = event === 'restart' ? from : other(from)
        const desiredVersion =
          typeof view.twin.desired.$version === 'number' ? view.twin.desired.$version : null
        const desiredKeys = Object.keys(view.twin.desired).filter((k) => !k.startsWith('$'))
        const startedAt = Date.now()
        await act(event, from)

        const back = await until(
          async () => backOn(await wire(), to, startedAt),
          o.eventTimeoutSec * 1000,
        )
        if (event === 'throttle') {
          if (throttleTimer) clearTimeout(throttleTimer)
          throttleTimer = null
          await lab.call('POST', '/dps/restore', {}).catch(() => {})
        }
        if (!back && Date.now() >= deadline) {
          // Cut short by the time bound, not the device's doing: not judged.
          evidence.skipped.push({
            id: event,
            why: `cut short by the exam's time bound (${o.timeBoundSec} s) before the device was back`,
          })
          await recover(event, from, index)
          continue
        }

        const after: AfterMove = {
          method: null,
          c2d: null,
          desired: null,
          resyncedVersion: null,
          desiredVersion: desiredKeys.length ? desiredVersion : null,
        }
        if (back) await afterMove(after, back.connectAt, desiredKeys, index)
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
          connectAt: back?.connectAt ?? null,
          endedAt: Date.now(),
          ...(event === 'throttle' ? { retryAfterSec: o.throttleRetryAfterSec } : {}),
          after,
        }
        evidence.moves.push(move)
        await io.moved?.(move)
        io.progress(
          back
            ? `${event}: back on hub ${H(to)} after ${((back.at - startedAt) / 1000).toFixed(1)} s`
            : `${event}: not back on hub ${H(to)} after ${o.eventTimeoutSec} s`,
        )
        await recover(event, from, index)
      }
      current = o.events.length

      if (o.endWaitSec > 0 && !stopped()) {
        io.progress(`stop ${id} now: waiting up to ${o.endWaitSec} s to see how it disconnects`)
        await until(async () => {
          const events = await wire()
          const last = events
            .filter((e) => e.kind === 'hub-connect' || e.kind === 'hub-disconnect')
            .at(-1)
          return last?.kind === 'hub-disconnect' && last.at > started ? true : null
        }, o.endWaitSec * 1000)
      }
    } catch (e) {
      if (!(e instanceof Stopped) && !io.signal.aborted) throw e
      // Stopped: what was under way, and what was to come, did not run to the end.
      for (const [i, event] of o.events.entries())
        if (i >= Math.max(0, current) && !evidence.skipped.some((k) => k.id === event))
          evidence.skipped.push({
            id: event,
            why:
              i === current ? 'the exam was stopped during it' : 'the exam was stopped before it',
          })
    } finally {
      if (throttleTimer) clearTimeout(throttleTimer)
      if (io.signal.aborted) io.progress('stopped: restoring the lab')
      await restoreLab()
      evidence.endedAt = Date.now()
      if (io.signal.aborted)
        evidence.interrupted = `stopped before the end (${stopCause(io.signal)}): the checks cover what ran`
      else if (Date.now() >= deadline)
        evidence.interrupted = `stopped at the time bound (${o.timeBoundSec} s): the checks cover what ran`
    }

    await wire(restorer).catch(() => {})
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
    // What it named when it last connected, as IoT Central reads it; the DPS payload likewise.
    const named = (list: WireEvent[]) =>
      list.map((e) => ('modelId' in e ? e.modelId : null)).findLast((m) => m !== null) ?? null
    evidence.modelId = {
      connect:
        named(connects.filter((e) => e.kind === 'hub-connect' && e.outcome === 'accepted')) ??
        (connects.length ? null : (first.modelId ?? null)),
      dps: named(registers) ?? (registers.length ? null : (first.dpsModelId ?? null)),
    }
    await conformance(evidence, before)
    const settings: ExamSettings = {
      dpsDetectSec: o.dpsDetectSec,
      throttleSec: o.throttleSec,
      answerSec: answerMs / 1000,
    }
    return { evidence, checks: score(evidence, settings) }

    // ---- what each event does to the lab, and how it is undone ------------------------------

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
          throttleTimer = setTimeout(
            () => void restorer.call('POST', '/dps/restore', {}).catch(() => {}),
            o.throttleSec * 1000,
          )
          throttleTimer.unref()
          return
      }
    }

    /** Puts the device back where the next event expects it: home, on a healthy lab. */
    async function recover(event: ExamEventId, hub: HubName, index: number): Promise<void> {
      const home = async (why: string) => {
        io.progress(`${event}: ${why}; waiting for ${id} to return to hub ${H(hub)}`)
        await until(
          async () => ((await lab.device(id)).connectedTo === hub ? true : null),
          o.eventTimeoutSec * 1000,
        )
      }
      const dev = `/system/iothub/devices/${encodeURIComponent(id)}`
      if (event === 'kill' || event === 'blackhole') {
        await lab.call('POST', `/hubs/${hub}/restore`, { rebalance: 0 })
        await home(`hub ${H(hub)} restored`)
      }
      if (event === 'throttle') {
        await lab.call('POST', `${dev}/manual-failback`).catch(() => {})
        await home('failed back')
      }
      // A failover the next event does not undo is undone here.
      if (event === 'manual-failover' && o.events[index + 1] !== 'manual-failback') {
        await lab.call('POST', `${dev}/manual-failback`).catch(() => {})
        await home('failed back')
      }
    }

    async function restoreLab(): Promise<void> {
      for (const h of ['a', 'b'] as const)
        await restorer.call('POST', `/hubs/${h}/restore`, { rebalance: 0 }).catch(() => {})
      await restorer.call('POST', '/dps/restore', {}).catch(() => {})
      await restorer
        .call('POST', `/system/iothub/devices/${encodeURIComponent(id)}/manual-failback`)
        .catch(() => {})
    }

    /** A method, a durable command and a desired patch, on the new hub. */
    async function afterMove(
      after: AfterMove,
      connectAt: number,
      desiredKeys: string[],
      index: number,
    ): Promise<void> {
      const enc = encodeURIComponent(id)
      // Without a new patch: did it acknowledge the desired document it reconnected to?
      if (after.desiredVersion !== null) {
        const v = after.desiredVersion
        after.resyncedVersion = await until(async () => {
          const seen: Record<string, number> = {}
          for (const e of await wire())
            if (e.kind === 'reported' && e.at >= connectAt) Object.assign(seen, e.acks)
          return desiredKeys.every((k) => seen[k] === v) ? v : null
        }, answerMs)
      }
      const model = o.model ?? labModel
      const sync = model?.commands.find((c) => !c.durable)
      const method = sync ? commandWireName(sync) : 'lizardExamPing'
      const payload = sync?.request ? exampleFor(sync.request.schema) : {}
      const answer = await lab
        .call<{ status: number; payload: unknown }>('POST', `/devices/${enc}/methods`, {
          methodName: method,
          payload,
          responseTimeoutInSeconds: Math.max(1, Math.min(300, Math.round(answerMs / 1000))),
        })
        .catch((e: unknown) => {
          if (io.signal.aborted) throw new Stopped()
          if (e instanceof LabCallError && e.status === null) throw e
          return null
        })
      // The hub answers for a device that is not subscribed (404103) or silent (504101).
      const hubCode = (answer?.payload as { errorCode?: unknown } | null)?.errorCode
      after.method = {
        name: method,
        probe: !sync,
        status: answer && hubCode !== 404103 && hubCode !== 504101 ? answer.status : null,
        outcome:
          hubCode === 404103
            ? 'not-subscribed'
            : !answer || hubCode === 504101
              ? 'no-answer'
              : 'answered',
      }

      const durable = model?.commands.find((c) => c.durable)
      const name = durable ? commandWireName(durable) : 'lizardExamPing'
      const sent = await lab
        .call<{ messageId: string }>('POST', `/devices/${enc}/c2d`, {
          body: durable?.request ? exampleFor(durable.request.schema) : {},
          properties: { 'method-name': name },
        })
        .catch(() => null)
      // Taken: the device's PUBACK (on MQTT the acknowledgement is the settlement).
      const delivered = sent
        ? await until(async () => {
            const m = (await lab.device(id)).c2d.find((x) => x.messageId === sent.messageId)
            return m?.state === 'completed' ? true : null
          }, answerMs)
        : null
      after.c2d = { name, delivered: delivered === true, probe: !durable }

      // Two keys, so a device that acknowledges only the first is seen; a template with fewer
      // writable properties gets what it has (IoT Central sends nothing else).
      const writable =
        model?.properties.filter((p) => p.writable && p.component === null).slice(0, 2) ?? []
      const patch: Record<string, unknown> = model
        ? Object.fromEntries(writable.map((p) => [p.name, exampleFor(p.schema)]))
        : { lizardExamA: index + 1, lizardExamB: index + 101 }
      if (Object.keys(patch).length === 0) return
      const r = await lab
        .call<{ desired: { $version: number } }>('PATCH', `/devices/${enc}/twin/desired`, patch)
        .catch(() => null)
      if (!r) return
      const keys = Object.keys(patch)
      const version = r.desired.$version
      const acked = (reported: Record<string, unknown>) =>
        Object.fromEntries(
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
      const acks = await until(async () => {
        const got = acked((await lab.device(id)).twin.reported)
        return keys.every((k) => got[k]) ? got : null
      }, answerMs)
      const final = acks ?? acked((await lab.device(id).catch(() => null))?.twin.reported ?? {})
      after.desired = { version, keys, acks: final as never }
    }

    /** Its traffic against a template: the lab's record over the exam, or why there is none. */
    async function conformance(ev: Evidence, start: DeviceView['conformance'] | null) {
      const c = (await restorer.device(id).catch(() => null))?.conformance
      const named = ev.modelId?.connect ?? null
      if (o.model && named !== o.model.id) {
        ev.unchecked = named
          ? `--model is ${o.model.id} but its connection names ${named}: the lab checks traffic against the template its connection names`
          : `--model is ${o.model.id} but its hub connection names no model-id, so the lab cannot tell its template: pass the model id to the client`
        return
      }
      if (!c || c.template !== 'checked' || !c.modelId) {
        ev.unchecked = !named
          ? 'its hub connection names no model-id, so no template applies: pass the model id to the client'
          : `the lab has no template for ${named}: give --model <template.json>`
        return
      }
      const same = start && start.modelId === c.modelId && start.template === 'checked'
      const findings = Math.max(0, c.findings - (same ? start.findings : 0))
      const checked =
        c.checked === undefined
          ? undefined
          : Math.max(0, c.checked - (same ? (start.checked ?? 0) : 0))
      const since = new Date(started).toISOString()
      ev.conformance = {
        modelId: c.modelId,
        findings,
        ...(checked !== undefined ? { checked } : {}),
        recent:
          findings === 0
            ? []
            : c.recent
                .filter((f) => !same || !f.at || f.at >= since)
                .slice(-findings)
                .map((f) => ({ kind: f.kind, message: f.message })),
      }
    }
  }
}

export const allEvents: readonly ExamEventId[] = examEventIds
