import type { HubName } from '../types'
import type { Evidence, Move, WireEvent } from './evidence'
import { grade, thresholds as T } from './thresholds'

// The scorecard: each check from the evidence alone, with its figure and one sentence of why and
// how to fix. Pure, so every verdict is table-tested.

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface Check {
  id: string
  status: CheckStatus
  figure: string
  why: string
}

export interface ExamSettings {
  /** The DPS detection delay the exam gave kill and blackhole (not the device's to beat). */
  dpsDetectSec: number
  /** How long the throttle event kept DPS throttled (not the device's to beat either). */
  throttleSec?: number
  /** How long the exam waited for answers (thresholds.answerSec unless told). */
  answerSec?: number
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const hubName = (h: HubName) => `hub ${h.toUpperCase()}`
const within = (m: Move) => (e: WireEvent) => e.at >= m.startedAt && e.at <= m.endedAt

const titles: Record<Move['id'], string> = {
  'manual-failover': 'manual failover',
  'manual-failback': 'manual failback',
  kill: 'hub killed',
  blackhole: 'hub blackholed',
  restart: 'hub restarted',
  throttle: 'DPS throttled',
}

function backCheck(m: Move, s: ExamSettings, events: WireEvent[]): Check {
  const title = titles[m.id]
  const id = `${m.id}.back`
  const where = m.from === m.to ? `${hubName(m.to)} again` : hubName(m.to)
  if (m.backAt === null) {
    // A device that closed its own connection and stayed away is not one that failed to move.
    const last = events
      .filter((e) => e.kind === 'hub-connect' || e.kind === 'hub-disconnect')
      .at(-1)
    const left = last?.kind === 'hub-disconnect' && last.how === 'disconnect-packet' ? last : null
    const connected = events.some((e) => e.kind === 'hub-connect' && e.outcome === 'accepted')
    return {
      id,
      status: 'fail',
      figure: `not back after ${sec(m.endedAt - m.startedAt)}`,
      why: left
        ? `${title}: the device closed its connection itself (DISCONNECT) ${sec(left.at - m.startedAt)} into the event and did not come back — was it stopped?`
        : connected && m.from === m.to
          ? `${title}: it reconnected but sent no telemetry on ${where}`
          : `${title}: the device did not reach ${where} — on a refused or dead hub, go back to DPS and connect where it says`,
    }
  }
  const labMs =
    m.id === 'kill' || m.id === 'blackhole'
      ? s.dpsDetectSec * 1000
      : m.id === 'throttle'
        ? (s.throttleSec ?? 0) * 1000
        : 0
  const ms = m.backAt - m.startedAt
  const own = Math.max(0, ms - labMs)
  const status = grade(own / 1000, T.backSec)
  const by = m.backBy === 'telemetry' ? 'first telemetry' : 'connected (it sent no telemetry)'
  const labPart = m.id === 'throttle' ? 'DPS throttled' : 'DPS noticing'
  return {
    id,
    status,
    figure: labMs ? `${sec(ms)} (${sec(Math.min(ms, labMs))} of it ${labPart})` : sec(ms),
    why:
      status === 'pass'
        ? `${title}: ${by} on ${where} ${sec(ms)} after the event`
        : `${title}: ${sec(own)} of its own to reach ${where}; don't retry the lost hub for long — ask DPS`,
  }
}

function dpsChecks(m: Move, events: WireEvent[]): Check[] {
  const all = events.filter((e) => e.kind === 'dps-register')
  // A request DPS throttled did not count against the quota: throttle.* judges those.
  const regs = all.filter((e) => e.kind === 'dps-register' && e.outcome !== 'throttled')
  const throttled = all.length - regs.length
  const title = titles[m.id]
  const out: Check[] = []
  if (m.id !== 'restart' && m.id !== 'throttle') {
    const via = regs.some((e) => e.kind === 'dps-register' && e.outcome === 'accepted')
    out.push({
      id: `${m.id}.via-dps`,
      status: via ? 'pass' : 'fail',
      figure: via ? 'yes' : 'no',
      why: via
        ? `${title}: asked DPS where to go`
        : `${title}: never asked DPS — after losing its hub a device must re-provision; only DPS knows the other hub`,
    })
  }
  const status = grade(regs.length, T.registrations)
  out.push({
    id: `${m.id}.registrations`,
    status,
    figure: `${regs.length}${throttled ? ` (+${throttled} throttled)` : ''}`,
    why:
      status === 'pass'
        ? `${title}: ${regs.length} DPS registration${regs.length === 1 ? '' : 's'}`
        : `${title}: ${regs.length} DPS registrations — each counts against the application's DPS quota (IoT Central: 200 a minute); wait with jitter when DPS names the same dead hub`,
  })
  return out
}

function refusedCheck(m: Move, events: WireEvent[]): Check | null {
  // A killed hub's port is closed and a silent one never answers: the lab sees refusals only
  // from a hub that is up and turning the device away (manual failover and failback).
  if (m.id !== 'manual-failover' && m.id !== 'manual-failback') return null
  const refused = events.filter(
    (e) => e.kind === 'hub-connect' && e.hub === m.from && e.outcome === 'refused',
  )
  const minutes = Math.max(1 / 60, (m.endedAt - m.startedAt) / 60_000)
  const perMinute = Math.round((refused.length / minutes) * 10) / 10
  const status = refused.length <= 1 ? 'pass' : grade(perMinute, T.refusedPerMinute)
  const codes = [...new Set(refused.map((e) => (e.kind === 'hub-connect' ? e.connack : 0)))]
  return {
    id: `${m.id}.refused-retries`,
    status,
    figure: refused.length > 1 ? `${refused.length} (${perMinute}/min)` : String(refused.length),
    why:
      status === 'pass'
        ? `${titles[m.id]}: did not keep knocking on ${hubName(m.from)} once it refused`
        : `retried the refused ${hubName(m.from)} ${refused.length} times over ${sec(m.endedAt - m.startedAt)}; on CONNACK ${codes.join('/')} go back to DPS`,
  }
}

function unnoticedCheck(m: Move, events: WireEvent[]): Check | null {
  if (m.id !== 'blackhole') return null
  const acted = events.find(
    (e) => e.kind === 'dps-register' || (e.kind === 'hub-connect' && e.hub !== m.from),
  )
  const ms = (acted?.at ?? m.endedAt) - m.startedAt
  const status = acted ? grade(ms / 1000, T.unnoticedSec) : 'fail'
  return {
    id: 'blackhole.unnoticed',
    status,
    figure: acted ? sec(ms) : `over ${sec(ms)}`,
    why:
      status === 'pass'
        ? `noticed the silent hub within ${sec(ms)}`
        : `a silent hub went unnoticed for ${acted ? '' : 'over '}${sec(ms)}: the SDK's default MQTT keep-alive is 180 s; set 10–30 s and time out twin requests`,
  }
}

function restartCheck(m: Move, events: WireEvent[]): Check | null {
  if (m.id !== 'restart') return null
  const regs = events.filter((e) => e.kind === 'dps-register').length
  if (m.backAt === null)
    return {
      id: 'restart.cached-hub',
      status: 'fail',
      figure: 'not back',
      why: 'the hub came straight back but the device did not reconnect',
    }
  return {
    id: 'restart.cached-hub',
    status: regs === 0 ? 'pass' : 'warn',
    figure:
      regs === 0 ? 'cached hub' : `re-provisioned (${regs} registration${regs === 1 ? '' : 's'})`,
    why:
      regs === 0
        ? 'reconnected to the hub it had, without DPS (the seed’s advice)'
        : 'went to DPS first: try the cached hub first and re-provision only when it refuses — faster, and no DPS quota spent',
  }
}

function throttleChecks(m: Move, events: WireEvent[]): Check[] {
  if (m.id !== 'throttle') return []
  const asks = events.filter((e) => e.kind === 'dps-register' || e.kind === 'dps-poll')
  const waits: { asked: number; waited: number }[] = []
  asks.forEach((e, i) => {
    if (e.outcome !== 'throttled') return
    const next = asks[i + 1]
    const after =
      e.kind === 'dps-register' ? (e.retryAfterSec ?? m.retryAfterSec ?? 0) : (m.retryAfterSec ?? 0)
    if (next) waits.push({ asked: after * 1000, waited: next.at - e.at })
  })
  const throttled = asks.filter((e) => e.outcome === 'throttled').length
  if (throttled === 0)
    return [
      {
        id: 'throttle.retry-after',
        status: 'warn',
        figure: 'no 429 seen',
        why: 'the device did not ask DPS while it was throttled, so its handling of 429 was not seen',
      },
    ]
  const early = waits.filter((w) => w.waited < w.asked - T.retryAfterSlackMs)
  const lockstep =
    waits.length > 0 && waits.every((w) => Math.abs(w.waited - w.asked) <= T.lockstepMs)
  const shortest = early.length ? Math.min(...early.map((w) => w.waited)) : 0
  return [
    {
      id: 'throttle.retry-after',
      status: early.length ? 'fail' : 'pass',
      figure: `${throttled} × 429, ${early.length} early`,
      why: early.length
        ? `came back ${sec(shortest)} after a 429 asking for ${sec(early[0]!.asked)}, ${early.length} time${early.length === 1 ? '' : 's'}: wait at least retry-after`
        : `waited out retry-after after each of ${throttled} 429s`,
    },
    {
      id: 'throttle.jitter',
      status: waits.length === 0 ? 'warn' : lockstep ? 'warn' : 'pass',
      figure: waits.length === 0 ? 'not seen' : lockstep ? 'none' : 'yes',
      why:
        waits.length === 0
          ? 'no second request after a 429 was seen'
          : lockstep
            ? 'waited exactly retry-after each time: a fleet doing this comes back in lockstep — add random jitter'
            : 'spread its retries beyond retry-after',
    },
  ]
}

function dataCheck(m: Move, ev: Evidence): Check {
  const id = `${m.id}.data`
  const telemetry = ev.events.filter(
    (e): e is Extract<WireEvent, { kind: 'telemetry' }> => e.kind === 'telemetry',
  )
  if (telemetry.length === 0)
    return {
      id,
      status: 'warn',
      figure: 'no telemetry',
      why: 'the device sent no telemetry to judge',
    }
  const withSeq = telemetry.filter((e) => e.seq !== null)
  if (withSeq.length / telemetry.length >= T.seqShare) {
    const before = withSeq.filter((e) => e.at < m.startedAt).map((e) => e.seq!)
    const from = before.length ? Math.max(...before) : null
    const by = withSeq.filter((e) => e.at <= m.endedAt).map((e) => e.seq!)
    const to = by.length ? Math.max(...by) : null
    const seen = new Set(withSeq.map((e) => e.seq))
    let lost = 0
    if (from !== null && to !== null) for (let s = from + 1; s < to; s++) if (!seen.has(s)) lost++
    const dups = telemetry.filter(within(m)).filter((e) => e.duplicate).length
    return {
      id,
      status: lost > 0 ? 'fail' : dups > 0 ? 'warn' : 'pass',
      figure: `${lost} lost, ${dups} duplicate${dups === 1 ? '' : 's'} (by seq)`,
      why:
        lost > 0
          ? `${lost} reading${lost === 1 ? '' : 's'} never arrived (gaps in its sequence numbers): keep what is produced offline and send it after reconnecting`
          : dups > 0
            ? `${dups} resent after the move (same message id): harmless if the cloud de-duplicates, but it counts twice otherwise`
            : 'every reading produced across the event arrived, in sequence',
    }
  }
  if (ev.periodMs === null)
    return { id, status: 'warn', figure: 'unknown', why: 'no period to judge gaps by' }
  const arrivals = telemetry
    .map((e) => e.at)
    .filter((t) => t >= m.startedAt - ev.periodMs! * 2 && t <= m.endedAt)
  // A device that never came back was silent to the end of the event.
  if (m.backAt === null) arrivals.push(m.endedAt)
  let gap = 0
  for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!)
  const missing = Math.max(0, Math.round(gap / ev.periodMs) - 1)
  return {
    id,
    status: missing > 0 ? 'warn' : 'pass',
    figure: `gap ${sec(gap)} ≈ ${missing} reading${missing === 1 ? '' : 's'} (estimated)`,
    why:
      missing > 0
        ? `telemetry stopped for ${sec(gap)}, about ${missing} of its ${sec(ev.periodMs)} readings; estimated from its period (it sends no sequence numbers, so loss cannot be counted): buffer readings while offline`
        : 'no gap longer than its period',
  }
}

function afterChecks(m: Move, s: ExamSettings): Check[] {
  const out: Check[] = []
  const a = m.after
  const title = titles[m.id]
  const answerSec = s.answerSec ?? T.answerSec
  if (a.method) {
    const outcome = a.method.outcome ?? (a.method.status === null ? 'no-answer' : 'answered')
    // A name the exam made up (no template named a command) may simply not be the device's.
    const lenient = outcome === 'no-answer' && a.method.probe === true
    out.push({
      id: `${m.id}.method`,
      status: outcome === 'answered' ? 'pass' : lenient ? 'warn' : 'fail',
      figure:
        outcome === 'answered'
          ? `answered ${a.method.status}`
          : outcome === 'not-subscribed'
            ? 'not subscribed'
            : 'no answer',
      why:
        outcome === 'answered'
          ? `answered ${a.method.name} on ${hubName(m.to)} after the ${title}`
          : outcome === 'not-subscribed'
            ? `after the ${title} the device was not subscribed to direct methods on ${hubName(m.to)}: subscribe to methods on every new connection`
            : lenient
              ? `did not answer ${a.method.name}, a method the exam made up, in ${answerSec} s: give --model <template> so the exam calls one of its commands (or answer unknown methods with 404)`
              : `after the ${title} the device did not answer ${a.method.name} in ${answerSec} s: subscribe to methods on every new connection and answer each call`,
    })
  }
  if (a.c2d)
    out.push({
      id: `${m.id}.c2d`,
      status: a.c2d.delivered ? 'pass' : 'fail',
      figure: a.c2d.delivered ? 'delivered' : 'not taken',
      why: a.c2d.delivered
        ? `took the ${a.c2d.probe ? 'cloud-to-device message' : 'durable command'} ${a.c2d.name} on ${hubName(m.to)} after the ${title}`
        : `did not take a cloud-to-device command in ${answerSec} s after the ${title}: subscribe to C2D on every connection`,
    })
  if (a.desired) {
    const { keys, acks, version } = a.desired
    const acked = keys.filter((k) => acks[k])
    const shaped = acked.filter((k) => {
      const x = acks[k]!
      return typeof x.ac === 'number' && x.av === version && typeof x.ad === 'string'
    })
    const status = acked.length === keys.length && shaped.length === keys.length ? 'pass' : 'fail'
    out.push({
      id: `${m.id}.desired`,
      status,
      figure: `${acked.length}/${keys.length} keys acknowledged${shaped.length < acked.length ? `, ${acked.length - shaped.length} without ac/av/ad` : ''}`,
      why:
        status === 'pass'
          ? 'acknowledged every key of a desired patch the IoT Central way (value, ac, av, ad)'
          : acked.length === 0
            ? 'did not acknowledge a desired patch: report { value, ac, av, ad } for each key'
            : acked.length < keys.length
              ? `acknowledged ${acked.length} of ${keys.length} keys of one patch: acknowledge every key, not only the first`
              : `acknowledgements lack ac, av (the desired $version ${version}) or ad: IoT Central shows the edit as pending`,
    })
  }
  // Judged only when it came back: a device that is not there cannot acknowledge anything.
  if (a.desiredVersion !== null && m.backAt !== null)
    out.push({
      id: `${m.id}.desired-resync`,
      status: a.resyncedVersion === a.desiredVersion ? 'pass' : 'warn',
      figure:
        a.resyncedVersion === null
          ? 'not acknowledged'
          : `version ${a.resyncedVersion} of ${a.desiredVersion}`,
      why:
        a.resyncedVersion === a.desiredVersion
          ? 'acknowledged the whole desired document after reconnecting'
          : 'after reconnecting it did not acknowledge the desired document: read the twin and acknowledge it after every connect, or edits made while it was away stay pending',
    })
  return out
}

function identityChecks(ev: Evidence): Check[] {
  const out: Check[] = []
  const connect = ev.modelId?.connect ?? null
  const dps = ev.modelId?.dps ?? null
  out.push({
    id: 'identity.model-id',
    status: connect ? 'pass' : 'fail',
    figure: connect ?? 'none',
    why: connect
      ? 'names its model on the hub connection (IoT Plug and Play)'
      : 'no model-id on its hub CONNECT: IoT Central cannot match the device to its template; pass the model id to the client',
  })
  out.push({
    id: 'identity.dps-payload',
    status: dps ? (connect && dps !== connect ? 'warn' : 'pass') : 'warn',
    figure: dps ?? 'none',
    why: !dps
      ? 'no iotcModelId (or modelId) in its DPS payload: IoT Central assigns the template by it at first registration'
      : connect && dps !== connect
        ? `its DPS payload names ${dps} but its connection names ${connect}`
        : 'names its model in the DPS payload',
  })
  const replaced = ev.events.filter((e) => e.kind === 'hub-connect' && e.replaced).length
  out.push({
    id: 'identity.one-client',
    status: replaced >= 2 ? 'fail' : 'pass',
    figure: `${replaced} takeover${replaced === 1 ? '' : 's'}`,
    why:
      replaced >= 2
        ? `another client connected with this device id ${replaced} times, each taking the connection over: run one copy per id`
        : 'one client for this id',
  })
  return out
}

function templateCheck(ev: Evidence): Check {
  const c = ev.conformance
  if (!c)
    return {
      id: 'template.conformance',
      status: 'warn',
      figure: 'not checked',
      why: ev.unchecked ?? 'no template to check its traffic against: give --model <template.json>',
    }
  const checked =
    c.checked === undefined ? '' : ` in ${c.checked} message${c.checked === 1 ? '' : 's'}`
  return {
    id: 'template.conformance',
    status: c.findings === 0 ? 'pass' : 'fail',
    figure: `${c.findings} finding${c.findings === 1 ? '' : 's'}${checked}`,
    why:
      c.findings === 0
        ? c.checked === 0
          ? `nothing it sent during the exam was checked against ${c.modelId}`
          : `telemetry and properties match ${c.modelId}`
        : `${c.recent[0]?.message ?? 'traffic does not match the template'}${c.findings > 1 ? ` (and ${c.findings - 1} more)` : ''}`,
  }
}

function endCheck(ev: Evidence): Check {
  const how = ev.endedWith
  return {
    id: 'end.clean-disconnect',
    status: how === 'disconnect-packet' ? 'pass' : how === 'socket-closed' ? 'fail' : 'warn',
    figure: how ?? 'not seen',
    why:
      how === 'disconnect-packet'
        ? 'closed its connection with a DISCONNECT'
        : how === 'socket-closed'
          ? 'dropped the socket without a DISCONNECT: close the client before exiting, or the hub waits out keep-alive'
          : 'the device was still connected at the end: stop it during the exam’s last seconds (--end-wait) to check',
  }
}

/** Every check the evidence supports, in the order a reader wants them. */
export function score(ev: Evidence, s: ExamSettings): Check[] {
  const out: Check[] = []
  if (ev.periodMs === null && !ev.events.some((e) => e.kind === 'telemetry'))
    out.push({
      id: 'device.telemetry',
      status: 'fail',
      figure: 'none',
      why: 'the device sent no telemetry: moves are judged by its reconnects alone',
    })
  for (const m of ev.moves) {
    const events = ev.events.filter(within(m))
    out.push(backCheck(m, s, events))
    out.push(...dpsChecks(m, events))
    for (const c of [refusedCheck(m, events), unnoticedCheck(m, events), restartCheck(m, events)])
      if (c) out.push(c)
    out.push(...throttleChecks(m, events))
    out.push(dataCheck(m, ev))
    out.push(...afterChecks(m, s))
  }
  for (const k of ev.skipped)
    out.push({ id: `${k.id}.skipped`, status: 'warn', figure: 'not run', why: k.why })
  out.push(...identityChecks(ev), templateCheck(ev), endCheck(ev))
  if (ev.wireDropped)
    out.push({
      id: 'exam.evidence',
      status: 'warn',
      figure: `${ev.wireDropped} events not seen`,
      why: 'the lab keeps 20,000 events per watched device and let older ones go before the exam read them: the figures above may miss some',
    })
  if (ev.interrupted)
    out.push({ id: 'exam.interrupted', status: 'warn', figure: 'partial', why: ev.interrupted })
  return out
}

/** What each check is of, by the part after its event: for `--only` / `--skip` and the README. */
export const eventCheckNames = [
  'back',
  'via-dps',
  'registrations',
  'refused-retries',
  'unnoticed',
  'cached-hub',
  'retry-after',
  'jitter',
  'data',
  'method',
  'c2d',
  'desired',
  'desired-resync',
  'skipped',
] as const

/** Checks not of one event. */
export const examCheckIds = [
  'device.telemetry',
  'identity.model-id',
  'identity.dps-payload',
  'identity.one-client',
  'template.conformance',
  'end.clean-disconnect',
  'exam.evidence',
  'exam.interrupted',
] as const

/** Whether a check id is one `--only` / `--skip` token names: the id, its prefix or its last part. */
export function checkMatches(id: string, token: string): boolean {
  return id === token || id.startsWith(token + '.') || id.endsWith('.' + token)
}
