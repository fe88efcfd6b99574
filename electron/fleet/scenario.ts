import { formatDuration, parseDuration } from './durations'
import { UsageError } from './errors'
import { fleetLimits } from './limits'

// --scenario: one command tells the whole story. The grammar is small on purpose (a time and a
// verb per step, the lab's own chaos controls underneath), and `fleet --help` prints it in full.
export const scenarioHelp = `  A scenario is steps separated by ";", each "TIME ACTION" (TIME from the start: 30s, 2m, 1m30s):
    outage <a|b> <DURATION> [blackhole]   the hub dies (or goes silent) now and is restored after
                                          DURATION; DPS notices after its detection delay, and
                                          rebalances its devices home after the hub's return
    kill <a|b> · blackhole <a|b>          the hub dies / goes silent until a restore
    restore <a|b>                         bring it back
    dps throttle <DURATION>               DPS answers 429 for DURATION
    dps stop <DURATION>                   DPS answers nothing for DURATION
    dps restore                           DPS answers again
    failover <FRACTION> [ttl <MIN>]       manual failover of FRACTION of the devices (10% or 0.1),
                                          spread evenly over the indices; ttl 1-30 min (default 5)
    failback                              manual failback of the devices the scenario failed over
    quotas <iot-central|standalone|off>   the lab's quotas from now on: IoT Central's (DPS 200
                                          registrations/min, 5 polls per 10 s, 100 connects/s a
                                          hub), a standalone DPS's (1,000/min) or none
    dps rate <N>/min [burst <M>]          the lab's DPS registration rate alone (0: no limit),
                                          M at once (default 5 s worth of the rate)
  e.g. --scenario "30s outage a 60s; 150s failover 10%; 200s dps throttle 20s"
  The lab's quotas are restored when the run ends.`

export type Hub = 'a' | 'b'

export type ScenarioAction =
  | { kind: 'outage'; hub: Hub; forSec: number; blackhole: boolean }
  | { kind: 'kill' | 'blackhole' | 'restore'; hub: Hub }
  | { kind: 'dps'; mode: 'throttle' | 'stop'; forMs: number }
  | { kind: 'dps-restore' }
  | { kind: 'failover'; fraction: number; ttlMinutes: number }
  | { kind: 'failback' }
  | { kind: 'quotas'; preset: QuotaPreset }
  | { kind: 'dps-rate'; perMinute: number; burst: number | null }

export type QuotaPreset = 'iot-central' | 'standalone' | 'off'

/** What each preset sets on the lab (PUT /quotas), as Azure publishes the quotas. */
export const quotaPresets: Record<
  QuotaPreset,
  { dpsRate: number; pollLimit: number; hubConnectRate: number; dpsBurst: null }
> = {
  'iot-central': { dpsRate: 200, pollLimit: 5, hubConnectRate: 100, dpsBurst: null },
  standalone: { dpsRate: 1000, pollLimit: 5, hubConnectRate: 100, dpsBurst: null },
  off: { dpsRate: 0, pollLimit: 0, hubConnectRate: 0, dpsBurst: null },
}

export interface ScenarioStep {
  atMs: number
  action: ScenarioAction
  /** The step as written (trimmed): what the report's events and the log call it. */
  text: string
}

export const defaultTtlMinutes = 5

class StepError extends Error {}

function hubOf(word: string | undefined): Hub {
  if (word === 'a' || word === 'b') return word
  throw new StepError(`name the hub: a or b${word ? ` (got "${word}")` : ''}`)
}

function durationOf(word: string | undefined, what: string): number {
  const ms = word === undefined ? null : parseDuration(word)
  if (ms === null || ms <= 0)
    throw new StepError(`${what}: a duration such as 20s or 2m${word ? ` (got "${word}")` : ''}`)
  return ms
}

function fractionOf(word: string | undefined): number {
  const m = word?.match(/^(\d+(?:\.\d+)?)(%?)$/)
  if (!m)
    throw new StepError(
      `failover: a fraction of the devices, such as 10% or 0.1${word ? ` (got "${word}")` : ''}`,
    )
  const f = m[2] ? Number(m[1]) / 100 : Number(m[1])
  if (!(f > 0 && f <= 1))
    throw new StepError(`failover: the fraction is more than 0 and at most 100% (got ${word})`)
  return f
}

function noMore(words: string[], from: number): void {
  if (words.length > from) throw new StepError(`unexpected "${words.slice(from).join(' ')}"`)
}

function action(words: string[]): ScenarioAction {
  const [verb, ...args] = words
  switch (verb) {
    case 'outage': {
      const hub = hubOf(args[0])
      const forMs = durationOf(args[1], 'outage <hub> <duration>')
      const blackhole = args[2] === 'blackhole'
      if (args[2] !== undefined && !blackhole)
        throw new StepError(`unexpected "${args[2]}" (blackhole?)`)
      noMore(args, 3)
      const forSec = Math.ceil(forMs / 1000)
      if (forSec > 86_400) throw new StepError('outage: at most 24h')
      return { kind: 'outage', hub, forSec, blackhole }
    }
    case 'kill':
    case 'blackhole':
    case 'restore':
      noMore(args, 1)
      return { kind: verb, hub: hubOf(args[0]) }
    case 'quotas': {
      const preset = args[0]
      if (preset !== 'iot-central' && preset !== 'standalone' && preset !== 'off')
        throw new StepError(
          `quotas iot-central, quotas standalone or quotas off${preset ? ` (got "${preset}")` : ''}`,
        )
      noMore(args, 1)
      return { kind: 'quotas', preset }
    }
    case 'dps': {
      const mode = args[0]
      if (mode === 'rate') {
        const m = args[1]?.match(/^(\d{1,7})(?:\/min)?$/)
        if (!m || Number(m[1]) > 1_000_000)
          throw new StepError(
            `dps rate <registrations per minute>, e.g. dps rate 200/min${args[1] ? ` (got "${args[1]}")` : ''}`,
          )
        let burst: number | null = null
        if (args[2] !== undefined) {
          if (args[2] !== 'burst' || !/^\d{1,7}$/.test(args[3] ?? '') || Number(args[3]) < 1)
            throw new StepError('dps rate <N>/min [burst <registrations at once, at least 1>]')
          burst = Number(args[3])
        }
        noMore(args, 4)
        return { kind: 'dps-rate', perMinute: Number(m[1]), burst }
      }
      if (mode === 'restore') {
        noMore(args, 1)
        return { kind: 'dps-restore' }
      }
      if (mode !== 'throttle' && mode !== 'stop')
        throw new StepError(
          `dps throttle <duration>, dps stop <duration>, dps rate <N>/min or dps restore${mode ? ` (got "dps ${mode}")` : ''}`,
        )
      const forMs = durationOf(args[1], `dps ${mode} <duration>`)
      noMore(args, 2)
      return { kind: 'dps', mode, forMs }
    }
    case 'failover': {
      const fraction = fractionOf(args[0])
      let ttlMinutes = defaultTtlMinutes
      if (args[1] !== undefined) {
        if (args[1] !== 'ttl' || !/^\d{1,2}$/.test(args[2] ?? ''))
          throw new StepError('failover <fraction> [ttl <minutes>]')
        ttlMinutes = Number(args[2])
        if (ttlMinutes < 1 || ttlMinutes > 30)
          throw new StepError('ttl: 1 to 30 minutes, as IoT Central allows')
      }
      noMore(args, 3)
      return { kind: 'failover', fraction, ttlMinutes }
    }
    case 'failback':
      noMore(args, 0)
      return { kind: 'failback' }
    default:
      throw new StepError(
        `unknown action${verb ? ` "${verb}"` : ''}: outage, kill, blackhole, restore, dps, failover, failback or quotas`,
      )
  }
}

/** Parses a scenario for a run of `durationMs`; a UsageError names the step and what is wrong. */
export function parseScenario(text: string, durationMs: number): ScenarioStep[] {
  if (text.length > fleetLimits.maxScenarioChars)
    throw new UsageError(`--scenario: at most ${fleetLimits.maxScenarioChars} characters`)
  const parts = text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
  if (parts.length === 0) throw new UsageError('--scenario: no steps (e.g. "30s outage a 60s")')
  if (parts.length > fleetLimits.maxScenarioSteps)
    throw new UsageError(`--scenario: at most ${fleetLimits.maxScenarioSteps} steps`)
  const steps: ScenarioStep[] = []
  parts.forEach((part, i) => {
    const words = part.toLowerCase().split(/\s+/)
    try {
      const atMs = parseDuration(words[0]!)
      if (atMs === null)
        throw new StepError(`start with the time from the start, e.g. "30s ${part}"`)
      if (atMs >= durationMs)
        throw new StepError(
          `${words[0]} is not before the run ends (--duration ${formatDuration(durationMs)})`,
        )
      steps.push({ atMs, action: action(words.slice(1)), text: part })
    } catch (e) {
      if (!(e instanceof StepError)) throw e
      throw new UsageError(`--scenario step ${i + 1} "${part.slice(0, 80)}": ${e.message}`)
    }
  })
  steps.sort((a, b) => a.atMs - b.atMs)
  const firstFailover = steps.find((s) => s.action.kind === 'failover')
  const badFailback = steps.find(
    (s) => s.action.kind === 'failback' && (!firstFailover || firstFailover.atMs > s.atMs),
  )
  if (badFailback)
    throw new UsageError(`--scenario "${badFailback.text}": no failover before it to fail back`)
  return steps
}

/**
 * The devices a `failover <fraction>` moves: round(fraction × n), at least one, spread evenly over
 * the indices (so every shard has its share), the same every time.
 */
export function pickFraction(n: number, fraction: number): number[] {
  const k = Math.min(n, Math.max(1, Math.round(fraction * n)))
  const out: number[] = []
  for (let i = 0; i < n; i++)
    if (Math.floor(((i + 1) * k) / n) > Math.floor((i * k) / n)) out.push(i)
  return out
}
