import type { HubName } from '../lab/types'
import { model } from '../tests/integration/fixtures/engine'
import { type MoveTimes, nextMove } from './moves'
import { ReferenceDevice } from './reference-device'
import {
  type Bench,
  control,
  idHomedOn,
  labTelemetry,
  mark,
  median,
  ratio,
  stats,
  until,
} from './setup'

type Event = 'manual-failover' | 'hub-outage'

interface ReferenceRun {
  /** The event → first reading acknowledged on the other hub; null: not within the cap. */
  firstAckMs: number | null
  /** The SDK gave up on the old hub and emitted 'disconnect' (the sample's only way to DPS). */
  disconnectMs: number | null
  /** Readings the pattern produced from the event until its first ack there (or the cap), lost. */
  readingsLost: number
  readingsProduced: number
  /** connect() failed after a 'disconnect': the sample stays offline for good. */
  stuck: string | null
}

interface OursRun {
  move: MoveTimes
  readingsLost: number
  duplicates: number
}

/** Readings with seq ≤ upTo the lab did not receive from a device. */
async function lostUpTo(bench: Bench, deviceId: string, upTo: number): Promise<number> {
  const { messages } = await labTelemetry(bench.lab, deviceId)
  const got = new Set(messages.flatMap((m) => (m.seq !== null && m.seq <= upTo ? [m.seq] : [])))
  return upTo - got.size
}

/**
 * Ours and the reference pattern, each a device homed on hub A, through the same event at the
 * same time: a `manual-failover` of both (ttl 30 min, so it cannot end during the cap), or hub
 * A killed (the lab's DPS notices after --dps-detect and names B). Each is timed from the
 * control call to its first reading acknowledged on hub B.
 */
async function sideBySide(bench: Bench, event: Event, run: number) {
  const { lab, o } = bench
  const home: HubName = 'a'
  const oursId = idHomedOn(lab, home, `bench-vs-ours-${event}-${run}`)
  const refId = idHomedOn(lab, home, `bench-vs-ref-${event}-${run}`)
  const other = lab.hubs.b.host

  const ours = bench.session(oursId)
  await ours.connect()
  await until('ours connected', () => ours.snapshot().counters.telemetryAcked > 0)

  let refAck: { seq: number; at: number } | null = null
  let refHomeAcked = false
  let refDisconnectAt: number | null = null
  let stuck: string | null = null
  const ref = new ReferenceDevice(
    {
      provisioningHost: lab.dpsHost,
      idScope: lab.idScope,
      groupKey: lab.groupPrimaryKey,
      deviceId: refId,
      modelId: model.id,
      ca: lab.ca,
      telemetryMs: o.telemetryMs,
    },
    {
      acked: (seq, hub, at) => {
        if (hub !== other) refHomeAcked = true
        else refAck ??= { seq, at }
      },
      disconnected: (at) => (refDisconnectAt ??= at),
      stuck: (why) => (stuck = why),
    },
  )
  await ref.start()
  await until('the reference pattern acknowledged at home', () => refHomeAcked)

  const from = mark(ours)
  const t0 = Date.now()
  if (event === 'manual-failover')
    await Promise.all(
      [oursId, refId].map((id) =>
        control(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, { ttl: 30 }),
      ),
    )
  else await control(lab, 'POST', `/hubs/${home}/kill`)
  const capAt = t0 + o.referenceCap * 1000

  // Ours waits out DPS noticing the dead hub, a keep-alive or two and the backoff at most.
  const move = await nextMove(ours, from, t0, (o.dpsDetect + 6 * o.keepalive + 60) * 1000)
  await until('ours drained its queue', () => ours.snapshot().counters.queued === 0, 60_000)
  const oursSeq = ours.snapshot().lastTelemetry?.seq ?? 0
  const oursTelemetry = await labTelemetry(lab, oursId, 0)
  const oursRun: OursRun = {
    move,
    readingsLost: await lostUpTo(bench, oursId, oursSeq),
    duplicates: oursTelemetry.stats.duplicates,
  }
  await ours.close()

  await until(
    'the reference pattern on hub B, or the cap',
    () => refAck || stuck || Date.now() >= capAt,
    o.referenceCap * 1000 + 10_000,
  )
  const reached = refAck as { seq: number; at: number } | null
  const upTo = reached ? reached.seq : ref.produced
  await ref.stop()
  const refRun: ReferenceRun = {
    firstAckMs: reached ? reached.at - t0 : null,
    disconnectMs: refDisconnectAt === null ? null : refDisconnectAt - t0,
    readingsLost: await lostUpTo(bench, refId, upTo),
    readingsProduced: upTo,
    stuck,
  }
  if (event === 'hub-outage') {
    await control(lab, 'POST', `/hubs/${home}/restore`, { rebalance: 0 })
    await until('hub A available to DPS again', async () => {
      const h = await control<{ dps: { available: boolean } }>(lab, 'GET', `/hubs/${home}`)
      return h.dps.available
    })
  }
  return { ours: oursRun, reference: refRun }
}

function summary(runs: { ours: OursRun; reference: ReferenceRun }[], capSec: number) {
  const oursFirstAck = stats(runs.map((r) => r.ours.move.firstAckMs))
  const refTimes = runs.map((r) => r.reference.firstAckMs)
  const refReached = refTimes.filter((t): t is number => t !== null)
  // A run that hit the cap counts as the cap for the ratio: the true ratio is at least that.
  const refMedian = median(refTimes.map((t) => t ?? capSec * 1000))
  const overCap = refReached.length < refTimes.length
  return {
    ours: {
      firstAckMs: oursFirstAck,
      connectedMs: stats(runs.map((r) => r.ours.move.connectedMs)),
      readingsLost: runs.map((r) => r.ours.readingsLost),
      duplicates: runs.map((r) => r.ours.duplicates),
    },
    reference: {
      firstAckMs: refMedian,
      firstAckText:
        overCap && refReached.length === 0
          ? `> ${capSec} s`
          : `${((refMedian ?? 0) / 1000).toFixed(1)} s${overCap ? ` (some runs > ${capSec} s)` : ''}`,
      overCap,
      runs: runs.map((r) => r.reference),
      readingsLost: runs.map((r) => r.reference.readingsLost),
    },
    /** Reference ÷ ours on the median first-ack times ("at least" when the cap was hit). */
    ratio: ratio(refMedian, oursFirstAck.median),
    ratioIsLowerBound: overCap,
  }
}

type Summary = ReturnType<typeof summary>

export async function benchReference(
  bench: Bench,
): Promise<{ telemetryMs: number; capSec: number; manualFailover: Summary; hubOutage: Summary }> {
  const { o } = bench
  const result: Partial<Record<'manualFailover' | 'hubOutage', Summary>> = {}
  for (const event of ['manual-failover', 'hub-outage'] as const) {
    const runs = []
    for (let i = 0; i < o.referenceRuns; i++) {
      bench.progress(
        `reference pattern vs ours, ${event} (run ${i + 1}/${o.referenceRuns}, cap ${o.referenceCap} s)`,
      )
      runs.push(await sideBySide(bench, event, i + 1))
    }
    result[event === 'manual-failover' ? 'manualFailover' : 'hubOutage'] = summary(
      runs,
      o.referenceCap,
    )
  }
  return {
    telemetryMs: o.telemetryMs,
    capSec: o.referenceCap,
    manualFailover: result.manualFailover!,
    hubOutage: result.hubOutage!,
  }
}
