import { z } from 'zod'

// The window's exam: `lizard exam` (lab/exam) run by the app against its embedded lab, and what
// the exam view is drawn from. Types and bounds only: the exam itself is lab/exam/run.ts's, run by
// electron/core/exam-runner.ts. The renderer cannot import lab/ (it is Node code), so the event
// ids are repeated here; the runner checks, at compile time and in a test, that they are the same.

export const examViewLimits = {
  /** Progress lines kept (the newest): an exam says a few lines per event. */
  maxLines: 200,
  /** A progress line is cut to this many characters. */
  maxLineChars: 500,
  /** Devices `lab:devices` answers with (connected ones first). */
  maxDevices: 500,
  /** The whole exam, seconds: at least a minute, at most six hours (the CLI's --timeout). */
  minTimeBoundSec: 60,
  maxTimeBoundSec: 6 * 3600,
  defaultTimeBoundSec: 1800,
  /** `exam:changed` at most this often (a change of state goes out at once). */
  pushMs: 250,
} as const

/** The seed's disasters, in the order the exam runs them (lab/exam/evidence.ts examEventIds). */
export const examEventIds = [
  'manual-failover',
  'manual-failback',
  'kill',
  'blackhole',
  'restart',
  'throttle',
] as const
export type ExamEventId = (typeof examEventIds)[number]

/** Each event as the view names it, and what it does to the lab, in a line. */
export const examEventInfo: Record<ExamEventId, { title: string; what: string }> = {
  'manual-failover': {
    title: 'Manual failover',
    what: 'IoT Central’s manual failover: the lab drops the device and its hub refuses it for a while',
  },
  'manual-failback': {
    title: 'Manual failback',
    what: 'IoT Central’s manual failback: the device is sent home the same way',
  },
  kill: {
    title: 'Hub killed',
    what: 'its hub stops (connections refused); DPS names the other hub once it notices',
  },
  blackhole: {
    title: 'Hub blackholed',
    what: 'its hub goes silent: connections stay open, nothing is answered',
  },
  restart: {
    title: 'Hub restarted',
    what: 'its hub goes down and straight back, DPS not told: does it try its cached hub first?',
  },
  throttle: {
    title: 'DPS throttled',
    what: 'DPS answers 429 with retry-after while the device has to re-provision',
  },
}

/** DPS registration ids (every device on the lab registered through its DPS). */
export const examDeviceIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?$/

export const examDeviceIdSchema = z
  .string()
  .min(1, 'deviceId: 1 to 128 characters')
  .max(128, 'deviceId: 1 to 128 characters')
  .regex(
    examDeviceIdPattern,
    'deviceId: a DPS registration id (letters, digits and - . _ :, starting and ending with a letter or digit)',
  )

export const examStartSchema = z.object({
  deviceId: examDeviceIdSchema,
  /** The events to run, a subset of examEventIds (all when left out); run in the exam's order. */
  events: z
    .array(z.enum(examEventIds))
    .min(1, 'events: choose at least one')
    .max(examEventIds.length)
    .refine((e) => new Set(e).size === e.length, 'events: each at most once')
    .optional(),
  timeBoundSec: z
    .number()
    .int('timeBoundSec: whole seconds')
    .min(examViewLimits.minTimeBoundSec, 'timeBoundSec: 1 minute to 6 hours')
    .max(examViewLimits.maxTimeBoundSec, 'timeBoundSec: 1 minute to 6 hours')
    .optional(),
})
export type ExamStartRequest = z.infer<typeof examStartSchema>

/**
 * idle: none has run; running; stopping (Stop was pressed: the lab is being restored); done (it
 * ran to its end); stopped (by Stop, the app or a profile switch: the checks cover what ran);
 * failed (it could not run, or the lab stopped answering: `reason` says why).
 */
export type ExamState = 'idle' | 'running' | 'stopping' | 'done' | 'stopped' | 'failed'
export type ExamEventStatus = 'pending' | 'running' | 'done' | 'skipped'
export type ExamCheckStatus = 'pass' | 'warn' | 'fail'

/** One figure of an event as it came in: `ok` false for what went wrong, null when not judged. */
export interface ExamFigure {
  label: string
  value: string
  ok: boolean | null
}

export interface ExamEventView {
  id: ExamEventId
  title: string
  status: ExamEventStatus
  figures: ExamFigure[]
  /** Why it was skipped (or cut short). */
  note: string | null
  /** At the end: its checks, counted. */
  score: { pass: number; warn: number; fail: number } | null
}

export interface ExamCheckView {
  id: string
  status: ExamCheckStatus
  figure: string
  why: string
}

export interface ExamSnapshot {
  /** An exam can run now (lab mode, the embedded lab running); else why not. */
  available: boolean
  unavailableReason: string | null
  state: ExamState
  /** Why it failed or stopped, or what an interrupted exam covers. */
  reason: string | null
  deviceId: string | null
  startedAt: number | null
  endedAt: number | null
  timeBoundSec: number | null
  events: ExamEventView[]
  /** The newest progress lines, oldest first (at most examViewLimits.maxLines). */
  lines: { at: number; text: string }[]
  /** Older lines not kept. */
  linesDropped: number
  /** The scorecard, once the exam ended (null before, and when it could not run). */
  checks: ExamCheckView[] | null
  verdict: ExamCheckStatus | null
  counts: { pass: number; warn: number; fail: number } | null
  /** `exam:report` has an HTML report to give. */
  report: boolean
}

export const idleExamSnapshot = (
  available: boolean,
  unavailableReason: string | null,
): ExamSnapshot => ({
  available,
  unavailableReason,
  state: 'idle',
  reason: null,
  deviceId: null,
  startedAt: null,
  endedAt: null,
  timeBoundSec: null,
  events: [],
  lines: [],
  linesDropped: 0,
  checks: null,
  verdict: null,
  counts: null,
  report: false,
})

export const examActive = (state: ExamState | undefined) =>
  state === 'running' || state === 'stopping'

/** A device on the embedded lab, as `lab:devices` lists it. */
export interface LabDeviceRow {
  deviceId: string
  connected: boolean
  /** The hub it is connected to now (null when it is not). */
  hub: 'A' | 'B' | null
  homeHub: 'A' | 'B' | null
  /** The model id its hub connection named (null: none). */
  modelId: string | null
}

export interface LabDeviceList {
  /** Connected devices first, then by id; at most examViewLimits.maxDevices. */
  devices: LabDeviceRow[]
  /** Devices the lab knows in all (more than `devices` holds when it was cut). */
  total: number
}
