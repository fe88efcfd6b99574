// Every limit the exam judges by, in one place (README "The exam's checks" prints this table;
// `lizard exam --thresholds` too). A figure at or under `pass` passes, at or under `warn` warns,
// beyond it fails.

export const thresholds = {
  /** Event → first telemetry on the other hub, seconds (kill/blackhole: after DPS noticed). */
  backSec: { pass: 15, warn: 60 },
  /** DPS registrations one move may take. */
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

/** The table the README and `lizard exam --thresholds` show. */
export function thresholdRows(): [string, string, string][] {
  const t = thresholds
  return [
    ['back on the other hub (s)', `≤ ${t.backSec.pass}`, `≤ ${t.backSec.warn}`],
    ['DPS registrations per move', `≤ ${t.registrations.pass}`, `≤ ${t.registrations.warn}`],
    [
      'CONNECTs a minute to a hub that refused it',
      `≤ ${t.refusedPerMinute.pass}`,
      `≤ ${t.refusedPerMinute.warn}`,
    ],
    ['a silent hub unnoticed (s)', `≤ ${t.unnoticedSec.pass}`, `≤ ${t.unnoticedSec.warn}`],
  ]
}
