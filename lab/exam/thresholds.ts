// Every limit the exam judges by, in one place (README "Examine your device" prints this table;
// `lizard exam --thresholds` too). A figure at or under `pass` passes, at or under `warn` warns,
// beyond it fails.

export const thresholds = {
  /**
   * Event → first telemetry on the other hub, seconds, counted from the event less what the lab
   * itself took (DPS noticing a dead hub: --dps-detect; DPS throttled: the throttle's length).
   */
  backSec: { pass: 15, warn: 60 },
  /** DPS registrations one move may take (requests DPS throttled are not counted). */
  registrations: { pass: 2, warn: 5 },
  /** CONNECTs per minute to a hub that refused the device. */
  refusedPerMinute: { pass: 6, warn: 30 },
  /** Seconds a silent (blackholed) hub may go unnoticed. */
  unnoticedSec: { pass: 30, warn: 90 },
  /** A wait after a 429 may start this much before its retry-after ends (clock and network). */
  retryAfterSlackMs: 250,
  /** Waits after 429s this close to the retry-after are "no jitter". */
  lockstepMs: 50,
  /** A sequence number on at least this share of messages: loss is counted by seq. */
  seqShare: 0.9,
  /** How long the exam waits for an answer to a method, a C2D delivery or an acknowledgement. */
  answerSec: 10,
} as const

export type Thresholds = typeof thresholds

/** pass / warn / fail for a figure where less is better. */
export function grade(
  value: number,
  limits: { pass: number; warn: number },
): 'pass' | 'warn' | 'fail' {
  return value <= limits.pass ? 'pass' : value <= limits.warn ? 'warn' : 'fail'
}

export interface ThresholdRow {
  /** The figure judged. */
  what: string
  pass: string
  warn: string
  /** The checks that judge by it (`*` is each event: manual-failover, kill, …). */
  checks: string
}

/** The table the README, the HTML report and `lizard exam --thresholds` show. */
export function thresholdRows(): ThresholdRow[] {
  const t = thresholds
  const pct = Math.round(t.seqShare * 100)
  return [
    {
      what: 'back on the other hub (s), less what the lab took (DPS detection, throttling)',
      pass: `≤ ${t.backSec.pass}`,
      warn: `≤ ${t.backSec.warn}`,
      checks: '*.back',
    },
    {
      what: 'DPS registrations per move (not counting throttled ones)',
      pass: `≤ ${t.registrations.pass}`,
      warn: `≤ ${t.registrations.warn}`,
      checks: '*.registrations',
    },
    {
      what: 'CONNECTs a minute to a hub that refused it (one refusal always passes)',
      pass: `≤ ${t.refusedPerMinute.pass}`,
      warn: `≤ ${t.refusedPerMinute.warn}`,
      checks: 'manual-failover/-failback.refused-retries',
    },
    {
      what: 'a silent hub unnoticed (s)',
      pass: `≤ ${t.unnoticedSec.pass}`,
      warn: `≤ ${t.unnoticedSec.warn}`,
      checks: 'blackhole.unnoticed',
    },
    {
      what: 'a request after a 429 may come this early before retry-after ends (ms)',
      pass: `≤ ${t.retryAfterSlackMs}`,
      warn: '—',
      checks: 'throttle.retry-after',
    },
    {
      what: 'every wait after a 429 within this of retry-after: no jitter (ms)',
      pass: `> ${t.lockstepMs} for one`,
      warn: `≤ ${t.lockstepMs} for all`,
      checks: 'throttle.jitter',
    },
    {
      what: 'messages carrying a seq property, for loss to be counted by seq',
      pass: `≥ ${pct} %`,
      warn: `under ${pct} %: gaps estimated from its period (warn at most)`,
      checks: '*.data',
    },
    {
      what: 'an answer to a method, a C2D delivery, an acknowledgement (s)',
      pass: `≤ ${t.answerSec}`,
      warn: '—',
      checks: '*.method, *.c2d, *.desired, *.desired-resync',
    },
  ]
}

/** The table as text for a terminal. */
export function thresholdsText(): string {
  const rows = thresholdRows()
  const head: ThresholdRow = { what: 'figure', pass: 'pass', warn: 'warn', checks: 'checks' }
  const all = [head, ...rows]
  const w = (k: keyof ThresholdRow) => Math.max(...all.map((r) => r[k].length))
  const line = (r: ThresholdRow) =>
    `${r.what.padEnd(w('what'))}  ${r.pass.padEnd(w('pass'))}  ${r.warn.padEnd(w('warn'))}  ${r.checks}`.trimEnd()
  return [
    'lizard exam thresholds: a figure within "pass" passes, within "warn" warns, beyond it fails',
    '',
    ...all.map(line),
  ].join('\n')
}

/** The table as Markdown, for the README. */
export function thresholdsMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  return [
    '| figure | pass | warn | checks |',
    '| --- | --- | --- | --- |',
    ...thresholdRows().map(
      (r) => `| ${esc(r.what)} | ${esc(r.pass)} | ${esc(r.warn)} | \`${esc(r.checks)}\` |`,
    ),
  ].join('\n')
}
