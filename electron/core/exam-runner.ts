import { z } from 'zod'
import type { DeviceModel } from '../../shared/dtdl'
import {
  examEventIds as viewEventIds,
  examEventInfo,
  examViewLimits,
  idleExamSnapshot,
  type ExamEventId,
  type ExamEventView,
  type ExamFigure,
  type ExamSnapshot,
  type ExamStartRequest,
  type ExamState,
  type LabDeviceList,
  type LabDeviceRow,
} from '../../shared/exam-view'
import { selection } from '../../lab/cli-exam'
import type { Check } from '../../lab/exam/checks'
import { examEventIds as labEventIds, type Move } from '../../lab/exam/evidence'
import { LabCallError } from '../../lab/exam/lab-api'
import { htmlReport, result, type ExamResult } from '../../lab/exam/render'
import { ExamRefused, examDefaults, runExam, type ExamOptions } from '../../lab/exam/run'
import { oneLine } from '../fleet/errors'
import { AppFailure } from './errors'
import { labGet as labGetBounded } from './lab-client'

// The app's exam: lab/exam's runExam (what `lizard exam` runs) against the embedded lab, one at a
// time, kept as a snapshot for the window: each event pending → running → done or skipped with
// its figures as they come in, the last progress lines, and at the end the scorecard and the
// HTML report. Stop (or the app stopping, or a profile switch) aborts it: runExam restores every
// hub and DPS before it returns. Pushes are bounded (at most one per pushMs, a change of state at
// once); nothing the exam throws leaves this file.

/** The window's event ids are the lab's, in the lab's order (a test checks the order too). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameEvents: Same<(typeof labEventIds)[number], ExamEventId> = true
void sameEvents
export const eventIdsMatch = () =>
  labEventIds.length === viewEventIds.length && labEventIds.every((e, i) => viewEventIds[i] === e)

export type RunExam = typeof runExam

/** The exam's options other than the device, the events, the lab and the template. */
export type ExamTimings = Omit<ExamOptions, 'url' | 'deviceId' | 'events' | 'model'>

export interface ExamRunnerDeps {
  /** The embedded lab's control API when an exam can run; otherwise why not. */
  lab(): { controlUrl: string } | { why: string }
  /** The template to examine the device against (commands to call, properties to write). */
  modelFor(deviceId: string, controlUrl: string): Promise<DeviceModel | null>
  /** The window's push (`exam:changed`). */
  emit(snapshot: ExamSnapshot): void
  log(line: string): void
  /** lab/exam/run.ts's runExam unless a test stands in. */
  run?: RunExam
  /** Over the CLI's defaults (tests: a short warm-up and short waits). */
  timings?: Partial<ExamTimings>
  /** `exam:changed` at most this often (default examViewLimits.pushMs). */
  pushMs?: number
  now?: () => number
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const hubName = (h: string) => `hub ${h.toUpperCase()}`

/** What one event showed, from the exam's record of it (a figure per thing it tried). */
export function moveFigures(m: Move): ExamFigure[] {
  const out: ExamFigure[] = []
  const where = m.from === m.to ? `${hubName(m.to)} again` : hubName(m.to)
  out.push(
    m.backAt === null
      ? { label: 'back', value: `not on ${where} after ${sec(m.endedAt - m.startedAt)}`, ok: false }
      : {
          label: 'back',
          value: `on ${where} in ${sec(m.backAt - m.startedAt)}${m.backBy === 'connect' ? ' (connected; no telemetry)' : ' (first telemetry)'}`,
          ok: true,
        },
  )
  const a = m.after
  if (a.method)
    out.push({
      label: 'method',
      value:
        a.method.outcome === 'not-subscribed'
          ? `${a.method.name}: not subscribed to methods`
          : a.method.status === null
            ? `${a.method.name}: no answer`
            : `${a.method.name} answered ${a.method.status}`,
      ok: a.method.status !== null,
    })
  if (a.c2d)
    out.push({
      label: 'C2D',
      value: `${a.c2d.name} ${a.c2d.delivered ? 'delivered' : 'not taken'}`,
      ok: a.c2d.delivered,
    })
  if (a.desired) {
    const acked = a.desired.keys.filter((k) => a.desired!.acks[k]).length
    out.push({
      label: 'desired',
      value: `${acked} of ${a.desired.keys.length} key${a.desired.keys.length === 1 ? '' : 's'} acknowledged (version ${a.desired.version})`,
      ok: acked === a.desired.keys.length,
    })
  }
  if (a.desiredVersion !== null)
    out.push({
      label: 'desired after reconnecting',
      value:
        a.resyncedVersion === a.desiredVersion
          ? `version ${a.desiredVersion} acknowledged`
          : `version ${a.desiredVersion} not acknowledged`,
      ok: a.resyncedVersion === a.desiredVersion,
    })
  return out
}

export class ExamRunner {
  private state: ExamState = 'idle'
  private reason: string | null = null
  private deviceId: string | null = null
  private startedAt: number | null = null
  private endedAt: number | null = null
  private timeBoundSec: number | null = null
  private events: ExamEventView[] = []
  private lines: { at: number; text: string }[] = []
  private linesDropped = 0
  private checks: Check[] | null = null
  private result: ExamResult | null = null
  private abort: AbortController | null = null
  /** Why it was stopped, when not by the window's Stop (the app, a profile switch). */
  private stopReason: string | null = null
  private running: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private readonly now: () => number
  private readonly run: RunExam

  constructor(private readonly deps: ExamRunnerDeps) {
    this.now = deps.now ?? Date.now
    this.run = deps.run ?? runExam
  }

  get active(): boolean {
    return this.state === 'running' || this.state === 'stopping'
  }

  snapshot(): ExamSnapshot {
    const target = this.deps.lab()
    const available = 'controlUrl' in target && !this.closed
    const unavailableReason =
      'why' in target ? target.why : this.closed ? 'The app is shutting down.' : null
    const base = idleExamSnapshot(available, unavailableReason)
    if (this.state === 'idle') return base
    const r = this.result
    return {
      ...base,
      state: this.state,
      reason: this.reason,
      deviceId: this.deviceId,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      timeBoundSec: this.timeBoundSec,
      events: this.events.map((e) => ({ ...e, figures: [...e.figures] })),
      lines: [...this.lines],
      linesDropped: this.linesDropped,
      checks: this.checks
        ? this.checks.map((c) => ({ id: c.id, status: c.status, figure: c.figure, why: c.why }))
        : null,
      verdict: r?.verdict ?? null,
      counts: r ? { ...r.counts } : null,
      report: r !== null,
    }
  }

  /** Starts an exam (answers at once, running); one at a time. */
  async start(req: ExamStartRequest): Promise<ExamSnapshot> {
    if (this.closed) throw new AppFailure('unavailable', 'The app is shutting down.')
    if (this.active)
      throw new AppFailure(
        'unavailable',
        `An exam of ${this.deviceId ?? 'a device'} is under way: one at a time — stop it first.`,
      )
    const target = this.deps.lab()
    if ('why' in target) throw new AppFailure('unavailable', target.why)
    const url = target.controlUrl
    // The CLI's own rule for --only: the events chosen, in the exam's order.
    const { events, keep } = selection(req.events ?? [], [])
    const abort = new AbortController()
    this.state = 'running'
    this.reason = null
    this.deviceId = req.deviceId
    this.startedAt = this.now()
    this.endedAt = null
    this.timeBoundSec = req.timeBoundSec ?? examDefaults.timeBoundSec
    this.events = events.map((id) => ({
      id,
      title: examEventInfo[id].title,
      status: 'pending',
      figures: [],
      note: null,
      score: null,
    }))
    this.lines = []
    this.linesDropped = 0
    this.checks = null
    this.result = null
    this.abort = abort
    this.stopReason = null
    this.deps.log(
      `[exam] ${req.deviceId}: ${events.join(', ')} against the embedded lab (${this.timeBoundSec} s at most)`,
    )
    // Never rejects: whatever escapes is logged, never an unhandled rejection.
    const run = this.examine(url, req.deviceId, events, keep, abort).catch((e: unknown) =>
      this.guard(() => this.deps.log(`[exam] ${oneLine(e)}`)),
    )
    this.running = run
    this.push(true)
    return this.snapshot()
  }

  /** Stops the exam under way; settles once runExam restored the lab. Safe when none runs. */
  async stop(why?: string): Promise<ExamSnapshot> {
    const running = this.running
    if (this.state === 'running' && this.abort) {
      this.stopReason = why ?? null
      this.state = 'stopping'
      this.addLine('stopping: restoring every hub and DPS')
      this.abort.abort(why ?? 'Stop in the window')
      this.push(true)
    }
    if (running) await running
    return this.snapshot()
  }

  /** The last exam's scorecard as one self-contained HTML page. */
  report(): string {
    if (!this.result)
      throw new AppFailure(
        'not-found',
        this.active
          ? 'The exam is still running: its report comes at the end.'
          : 'No exam has ended with a scorecard yet.',
      )
    return htmlReport(this.result)
  }

  /** The app is stopping: an exam under way stops (the lab restored); nothing starts again. */
  async close(): Promise<void> {
    await this.stop('the app was closing')
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  // -------------------------------------------------------------------------------------------

  private async examine(
    url: string,
    deviceId: string,
    events: ExamEventId[],
    keep: (c: Check) => boolean,
    abort: AbortController,
  ): Promise<void> {
    try {
      const model = await this.deps.modelFor(deviceId, url).catch(() => null)
      if (abort.signal.aborted) throw new ExamRefused('stopped before the exam began')
      const { evidence, checks } = await this.run(
        {
          url,
          deviceId,
          events,
          model,
          dpsDetectSec: examDefaults.dpsDetectSec,
          eventTimeoutSec: examDefaults.eventTimeoutSec,
          warmupSec: examDefaults.warmupSec,
          endWaitSec: examDefaults.endWaitSec,
          throttleSec: examDefaults.throttleSec,
          throttleRetryAfterSec: examDefaults.throttleRetryAfterSec,
          ...this.deps.timings,
          timeBoundSec: this.timeBoundSec ?? examDefaults.timeBoundSec,
        },
        {
          signal: abort.signal,
          progress: (line) => this.guard(() => this.progress(line)),
          moved: (move) => this.guard(() => this.moved(move)),
        },
      )
      const shown = checks.filter(keep)
      this.checks = shown
      this.result = result(deviceId, evidence.startedAt, evidence.endedAt, shown)
      for (const e of this.events) {
        const skipped = evidence.skipped.find((k) => k.id === e.id)
        const moved = evidence.moves.some((m) => m.id === e.id)
        if (moved) e.status = 'done'
        else {
          e.status = 'skipped'
          e.note = skipped?.why ?? e.note ?? 'not run'
        }
        const own = shown.filter((c) => c.id.startsWith(`${e.id}.`) && c.id !== `${e.id}.skipped`)
        e.score = own.length
          ? {
              pass: own.filter((c) => c.status === 'pass').length,
              warn: own.filter((c) => c.status === 'warn').length,
              fail: own.filter((c) => c.status === 'fail').length,
            }
          : null
      }
      if (abort.signal.aborted) {
        this.state = 'stopped'
        this.reason = `Stopped${this.stopReason ? ` (${this.stopReason})` : ''}: every hub and DPS were restored; the checks cover what ran.`
      } else {
        this.state = 'done'
        this.reason = evidence.interrupted
      }
      const r = this.result
      this.deps.log(
        `[exam] ${deviceId}: ${r.verdict} — ${r.counts.pass} passed, ${r.counts.warn} warnings, ${r.counts.fail} failed`,
      )
    } catch (e) {
      const stopped =
        abort.signal.aborted ||
        (e instanceof LabCallError && e.code === 'stopped') ||
        (e instanceof ExamRefused && /^stopped/.test(e.message))
      const said =
        e instanceof ExamRefused || e instanceof LabCallError
          ? oneLine(e)
          : `the exam failed: ${oneLine(e)}`
      this.state = stopped ? 'stopped' : 'failed'
      this.reason = stopped
        ? `Stopped before the exam began${this.stopReason ? ` (${this.stopReason})` : ''}: nothing was changed.`
        : said.charAt(0).toUpperCase() + said.slice(1)
      for (const ev of this.events)
        if (ev.status !== 'done') {
          ev.status = 'skipped'
          ev.note ??= stopped ? 'the exam was stopped before it' : 'not run'
        }
      this.deps.log(`[exam] ${deviceId}: ${this.reason}`)
    } finally {
      this.endedAt = this.now()
      this.abort = null
      this.running = null
      this.push(true)
    }
  }

  /** A callback from the exam never throws into it. */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch (e) {
      this.deps.log(`[exam] ${oneLine(e)}`)
    }
  }

  private progress(line: string): void {
    this.addLine(line)
    // `<event>: …` is the exam at an event: it is under way; one before it still not done was
    // skipped or cut short (the end says why).
    const m = /^([a-z-]+): /.exec(line)
    const i = m ? this.events.findIndex((e) => e.id === m[1]) : -1
    let changed = false
    if (i >= 0) {
      const e = this.events[i]!
      if (e.status === 'pending') {
        e.status = 'running'
        changed = true
      }
      for (const before of this.events.slice(0, i))
        if (before.status === 'pending' || before.status === 'running') {
          before.status = 'skipped'
          changed = true
        }
    }
    // An event under way goes out at once; a line alone waits for the next push.
    this.push(changed)
  }

  private moved(move: Move): void {
    const e = this.events.find((x) => x.id === move.id)
    if (e) {
      e.status = 'done'
      e.figures = moveFigures(move)
    }
    this.push(true)
  }

  private addLine(line: string): void {
    const text = oneLine(line).slice(0, examViewLimits.maxLineChars)
    this.lines.push({ at: this.now(), text })
    const over = this.lines.length - examViewLimits.maxLines
    if (over > 0) {
      this.lines.splice(0, over)
      this.linesDropped += over
    }
  }

  /** `force`: now (a change of state); otherwise at most once per pushMs. */
  private push(force: boolean): void {
    if (this.closed && !force) return
    if (force) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      this.emit()
      return
    }
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.emit()
    }, this.deps.pushMs ?? examViewLimits.pushMs)
    this.timer.unref?.()
  }

  private emit(): void {
    try {
      this.deps.emit(this.snapshot())
    } catch (e) {
      this.deps.log(`[exam] ${oneLine(e)}`)
    }
  }
}

// ---- lab:devices ------------------------------------------------------------------------------

/** A lab answer past this is not the lab talking (its summary is a few hundred bytes a device). */
const maxListBytes = 16 * 1024 * 1024

const hubLetter = z.enum(['a', 'b']).nullable().optional()
const labDeviceSchema = z.object({
  deviceId: z.string().min(1).max(256),
  homeHub: hubLetter,
  connectedTo: hubLetter,
  modelId: z.string().max(4096).nullable().optional(),
})

/** One GET on the lab's control API: GET /devices of a lab holding a fleet is a long list. */
export const labGet = (controlUrl: string, path: string) =>
  labGetBounded(controlUrl, path, maxListBytes)

const upper = (h: 'a' | 'b' | null | undefined) => (h ? (h.toUpperCase() as 'A' | 'B') : null)

/** The lab's GET /devices as the window lists it: connected first, then by id, bounded. */
export function labDeviceList(answer: unknown): LabDeviceList {
  if (!Array.isArray(answer))
    throw new AppFailure('protocol', 'The lab listed its devices in a shape not known here.')
  const rows: LabDeviceRow[] = []
  for (const item of answer) {
    const p = labDeviceSchema.safeParse(item)
    if (!p.success) continue
    rows.push({
      deviceId: p.data.deviceId,
      connected: !!p.data.connectedTo,
      hub: upper(p.data.connectedTo),
      homeHub: upper(p.data.homeHub),
      modelId: p.data.modelId ?? null,
    })
  }
  rows.sort(
    (a, b) =>
      Number(b.connected) - Number(a.connected) ||
      (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0),
  )
  return { devices: rows.slice(0, examViewLimits.maxDevices), total: rows.length }
}
