import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Transport } from '../../shared/domain'
import { hostSchema, idScopeSchema } from '../../shared/settings'
import { prefixProblem } from './device-ids'
import { formatDuration, parseDuration } from './durations'
import { UsageError } from './errors'
import { count, fleetLimits } from './limits'
import { rampPlan } from './ramp'
import { type ScenarioStep, parseScenario } from './scenario'
import { checkShards, parseStartAt, shardRange, shareOf, type IndexRange } from './shards'
import { defaultDpsHost, type TargetChoice } from './target'

// The command line, checked before anything starts: every mistake is one line and exit code 2.

export interface RunArgs {
  command: 'run'
  devices: number
  template: string | undefined
  durationMs: number
  report: string | null
  prefix: string
  telemetryMs: number
  reportedMs: number
  shards: number
  shard: number
  range: IndexRange
  processes: number
  startAt: number | null
  scenarioText: string | null
  scenario: ScenarioStep[] | null
  target: TargetChoice
  transport: Transport
  dataDir: string | null
  json: boolean
  verbose: boolean
  /** End early once the scenario is over and every device is connected with nothing queued. */
  untilSettled: boolean
  /** Asked for; the ramp is at least what the connection and DPS budgets allow. */
  rampMs: number
  /** Fleet-wide budgets; a shard keeps to its share. */
  connectRate: number
  dpsRate: number | null
  startupTimeoutMs: number
}

export interface MergeArgs {
  command: 'merge'
  files: string[]
  report: string | null
  json: boolean
}

export type Args = RunArgs | MergeArgs | { command: 'help' }

const valueFlags = new Set([
  'devices',
  'template',
  'duration',
  'report',
  'prefix',
  'telemetry',
  'reported',
  'shards',
  'shard',
  'processes',
  'start-at',
  'scenario',
  'lab-url',
  'id-scope',
  'dps-host',
  'group-key-file',
  'ca',
  'data-dir',
  'ramp',
  'connect-rate',
  'dps-rate',
  'startup-timeout',
  'transport',
  'lab-dps-detect',
  'lab-rebalance',
  'lab-dps-retry-after',
])
const switches = new Set(['json', 'help', 'verbose', 'until-settled'])

function parseFlags(argv: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = []
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-h') {
      flags.set('help', '')
      continue
    }
    if (!a.startsWith('--') || a === '--') {
      positional.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
    if (!valueFlags.has(name) && !switches.has(name))
      throw new UsageError(`unknown option --${name.slice(0, 40)} (fleet --help lists them)`)
    let value = ''
    if (valueFlags.has(name)) {
      if (eq > 0) value = a.slice(eq + 1)
      else if (i + 1 < argv.length) value = argv[++i]!
      else throw new UsageError(`--${name} needs a value`)
    } else if (eq > 0) throw new UsageError(`--${name} takes no value`)
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`)
    flags.set(name, value)
  }
  return { positional, flags }
}

function wholeNumber(
  flags: Map<string, string>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = flags.get(name)
  if (v === undefined) return undefined
  const n = /^\d{1,10}$/.test(v.replace(/[_,]/g, '')) ? Number(v.replace(/[_,]/g, '')) : NaN
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name}: a whole number from ${count(min)} to ${count(max)} (got ${v.slice(0, 20)})`,
    )
  return n
}

function positiveNumber(flags: Map<string, string>, name: string, max: number): number | undefined {
  const v = flags.get(name)
  if (v === undefined) return undefined
  const n = /^\d+(?:\.\d+)?$/.test(v) ? Number(v) : NaN
  if (!(n > 0 && n <= max))
    throw new UsageError(
      `--${name}: a number above 0 and at most ${count(max)} (got ${v.slice(0, 20)})`,
    )
  return n
}

function duration(
  flags: Map<string, string>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = flags.get(name)
  if (v === undefined) return undefined
  const ms = parseDuration(v)
  if (ms === null)
    throw new UsageError(`--${name} ${v.slice(0, 20)}: give a time such as 90s, 10m or 1h30m`)
  if (ms < min || ms > max)
    throw new UsageError(
      `--${name}: from ${formatDuration(min)} to ${formatDuration(max)} (got ${v.slice(0, 20)})`,
    )
  return ms
}

function seconds(flags: Map<string, string>, name: string): number | undefined {
  return wholeNumber(flags, name, 0, 3600)
}

function checkReportPath(path: string): string {
  const full = resolve(path)
  const dir = dirname(full)
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--report ${path}: the folder ${dir} does not exist`)
  if (existsSync(full) && !statSync(full).isFile())
    throw new UsageError(`--report ${path}: not a file`)
  return full
}

export const defaults = {
  prefix: 'fleet',
  telemetryMs: 10_000,
  reportedMs: 60_000,
  /** New connections per second, whole fleet: an S1 hub's floor. */
  connectRate: 100,
  /** IoT Central's DPS quota per application. */
  iotCentralDpsRate: 200,
  startupTimeoutMs: 60_000,
}

export function parseArgs(argv: string[], now = Date.now()): Args {
  const { positional, flags } = parseFlags(argv)
  if (flags.has('help') || positional[0] === 'help') return { command: 'help' }
  if (positional[0] === 'merge') {
    const files = positional.slice(1)
    for (const f of flags.keys())
      if (f !== 'report' && f !== 'json')
        throw new UsageError(`fleet merge takes --report and --json only (not --${f})`)
    if (files.length === 0)
      throw new UsageError('fleet merge: give the report files, e.g. fleet merge a.json b.json')
    if (files.length > fleetLimits.maxReportFiles)
      throw new UsageError(`fleet merge: at most ${count(fleetLimits.maxReportFiles)} files`)
    const report = flags.get('report')
    return {
      command: 'merge',
      files,
      report: report ? checkReportPath(report) : null,
      json: flags.has('json'),
    }
  }
  if (positional.length > 0)
    throw new UsageError(
      `unexpected "${positional[0]!.slice(0, 40)}" (commands: merge, help; options start with --)`,
    )

  const devices = wholeNumber(flags, 'devices', 1, fleetLimits.maxDevices)
  if (devices === undefined)
    throw new UsageError(
      `--devices: how many devices the fleet has (1 to ${count(fleetLimits.maxDevices)})`,
    )
  const durationMs = duration(
    flags,
    'duration',
    fleetLimits.minDurationMs,
    fleetLimits.maxDurationMs,
  )
  if (durationMs === undefined) throw new UsageError('--duration: how long to run, e.g. 10m')
  const prefix = flags.get('prefix') ?? defaults.prefix
  const badPrefix = prefixProblem(prefix)
  if (badPrefix) throw new UsageError(badPrefix)

  const processes = wholeNumber(flags, 'processes', 1, fleetLimits.maxProcesses) ?? 1
  const shardsGiven = flags.has('shards')
  const shardGiven = flags.has('shard')
  if (processes > 1 && (shardsGiven || shardGiven))
    throw new UsageError('--processes makes its own shards: give it without --shards/--shard')
  if (shardsGiven !== shardGiven)
    throw new UsageError('--shards K and --shard I go together (I from 0 to K − 1)')
  if (processes > 1 && flags.has('until-settled'))
    throw new UsageError(
      '--until-settled ends one runner when its devices are settled: give it without --processes (each shard may take it)',
    )
  if (processes > devices)
    throw new UsageError(`--processes ${processes} is more than --devices ${devices}`)
  const shards = wholeNumber(flags, 'shards', 1, fleetLimits.maxShards) ?? 1
  const shard = wholeNumber(flags, 'shard', 0, fleetLimits.maxShards - 1) ?? 0
  checkShards(devices, shards, shard)
  const range = shardRange(devices, shards, shard)
  const perProcess = Math.ceil(devices / (shards * processes))
  if (perProcess > fleetLimits.maxDevicesPerProcess)
    throw new UsageError(
      `${count(perProcess)} devices in one process; at most ${count(fleetLimits.maxDevicesPerProcess)}: add --processes or --shards (at least ${Math.ceil(devices / fleetLimits.maxDevicesPerProcess)})`,
    )

  const labUrl = flags.get('lab-url')
  const idScope = flags.get('id-scope')
  if (labUrl !== undefined && idScope !== undefined)
    throw new UsageError(
      '--lab-url or --id-scope: a fleet runs against a lab or an IoT Central app, not both',
    )
  for (const f of ['dps-host'])
    if (flags.has(f) && idScope === undefined)
      throw new UsageError(`--${f} goes with --id-scope (an IoT Central app)`)
  const external = labUrl !== undefined || idScope !== undefined
  for (const f of ['group-key-file', 'ca'])
    if (flags.has(f) && !external)
      throw new UsageError(`--${f} is for --lab-url or --id-scope; the embedded lab brings its own`)
  for (const f of ['lab-dps-detect', 'lab-rebalance', 'lab-dps-retry-after'])
    if (flags.has(f) && external)
      throw new UsageError(`--${f} sets up the embedded lab; without --lab-url or --id-scope`)

  let target: TargetChoice
  if (labUrl !== undefined) {
    let url: URL
    try {
      url = new URL(labUrl)
    } catch {
      throw new UsageError(
        `--lab-url ${labUrl.slice(0, 80)}: not a URL (e.g. http://127.0.0.1:8090)`,
      )
    }
    if (url.protocol !== 'http:' || (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost'))
      throw new UsageError(
        `--lab-url: the lab's control API answers on this machine only: http://127.0.0.1:PORT`,
      )
    target = {
      kind: 'lab',
      url: url.origin,
      caFile: flags.get('ca') ?? null,
      groupKeyFile: flags.get('group-key-file') ?? null,
    }
  } else if (idScope !== undefined) {
    const s = idScopeSchema.safeParse(idScope)
    if (!s.success) throw new UsageError(`--id-scope: ${s.error.issues[0]?.message}`)
    const dpsHost = flags.get('dps-host') ?? defaultDpsHost
    const h = hostSchema.safeParse(dpsHost)
    if (!h.success) throw new UsageError(`--dps-host: ${h.error.issues[0]?.message}`)
    target = {
      kind: 'iot-central',
      idScope,
      dpsHost,
      caFile: flags.get('ca') ?? null,
      groupKeyFile: flags.get('group-key-file') ?? null,
    }
  } else {
    target = {
      kind: 'embedded',
      delays: {
        dpsDetectSec: seconds(flags, 'lab-dps-detect'),
        rebalanceSec: seconds(flags, 'lab-rebalance'),
        dpsRetryAfterSec: seconds(flags, 'lab-dps-retry-after'),
      },
    }
  }

  const transport = flags.get('transport') ?? 'mqtt'
  if (transport !== 'mqtt' && transport !== 'mqttws')
    throw new UsageError('--transport: mqtt (TLS 8883) or mqttws (MQTT over WebSockets, 443)')
  if (transport === 'mqttws' && target.kind === 'embedded')
    throw new UsageError(
      '--transport mqttws needs port 443, which the embedded lab does not take: give --lab-url of a lab that serves it',
    )

  const scenarioText = flags.get('scenario') ?? null
  let scenario: ScenarioStep[] | null = null
  if (scenarioText !== null) {
    if (target.kind === 'iot-central')
      throw new UsageError(
        '--scenario drives the lab (its outages and manual failover); against an IoT Central app it cannot: fail devices over there with az iot central device manual-failover',
      )
    scenario = parseScenario(scenarioText, durationMs)
  }

  const telemetryMs =
    duration(flags, 'telemetry', fleetLimits.minTelemetryMs, fleetLimits.maxTelemetryMs) ??
    defaults.telemetryMs
  const reportedMs =
    duration(flags, 'reported', fleetLimits.minTelemetryMs, fleetLimits.maxTelemetryMs) ??
    defaults.reportedMs
  const connectRate = positiveNumber(flags, 'connect-rate', 100_000) ?? defaults.connectRate
  const dpsRate =
    positiveNumber(flags, 'dps-rate', 1_000_000) ??
    (target.kind === 'iot-central' ? defaults.iotCentralDpsRate : null)
  const rampMs = duration(flags, 'ramp', 0, durationMs) ?? 0
  const startupTimeoutMs =
    duration(flags, 'startup-timeout', 1000, 600_000) ?? defaults.startupTimeoutMs
  const startAtText = flags.get('start-at')
  const startAt = startAtText === undefined ? null : parseStartAt(startAtText, now)
  const report = flags.get('report')

  // The ramp this runner will take, from its share of the budgets: it must end before the run.
  const k = shards * processes
  const plan = rampPlan(Math.ceil((range.to - range.from) / processes), {
    rampMs,
    connectRate: shareOf(connectRate, k),
    dpsRate: dpsRate === null ? null : shareOf(dpsRate, k),
  })
  if (plan.totalMs >= durationMs)
    throw new UsageError(
      `connecting ${count(devices)} devices takes ${formatDuration(plan.totalMs)} at ${count(connectRate)} connects/s${dpsRate ? ` and ${count(dpsRate)} DPS registrations/min` : ''}; --duration ${formatDuration(durationMs)} ends first: raise --duration${dpsRate ? ', --dps-rate' : ''} or --connect-rate`,
    )

  return {
    command: 'run',
    devices,
    template: flags.get('template'),
    durationMs,
    report: report ? checkReportPath(report) : null,
    prefix,
    telemetryMs,
    reportedMs,
    shards,
    shard,
    range,
    processes,
    startAt,
    scenarioText,
    scenario,
    target,
    transport,
    dataDir: flags.has('data-dir') ? resolve(flags.get('data-dir')!) : null,
    json: flags.has('json'),
    verbose: flags.has('verbose'),
    untilSettled: flags.has('until-settled'),
    rampMs,
    connectRate,
    dpsRate,
    startupTimeoutMs,
  }
}
