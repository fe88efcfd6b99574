import { statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { DeviceModel } from '../shared/dtdl/types'
import { PathError, readTemplateFiles } from './cli-model'
import { defaultControlPort, pickLab } from './discovery'
import { checkMatches, eventCheckNames, examCheckIds, type Check } from './exam/checks'
import { examEventIds, type ExamEventId } from './exam/evidence'
import { LabApi, LabCallError } from './exam/lab-api'
import { htmlReport, junit, result, table } from './exam/render'
import { ExamRefused, examDefaults, runExam } from './exam/run'
import { thresholdsText } from './exam/thresholds'
import { deviceIdProblem } from './limits'
import { loadTemplates } from './templates'

// `lizard exam <deviceId>`: the seed's disasters against a device connected to the lab, judged
// from what the lab saw on the wire, as a scorecard (terminal, JSON, JUnit, HTML). Exit codes:
// 0 every check passed (warnings allowed), 1 a check failed, 2 the exam could not run (bad
// input, unknown device, no lab), 130 stopped with Ctrl+C (the lab restored, what ran printed).

export interface Writer {
  write(chunk: string): unknown
}

export const examUsage = `usage: lizard exam <deviceId> [options]

Runs the seed's disasters against a device connected to the lab — manual failover and failback,
hub killed, hub blackholed, hub restarted, DPS throttled — and scores what the lab saw on the
wire. Every hub and DPS are restored at the end, on a time bound, and on Ctrl+C.

  --only a,b          run / report only these: events (manual-failover, manual-failback,
                      kill, blackhole, restart, throttle) and/or checks (manual-failover.back,
                      identity.model-id, or a part of an id: back, data, identity…); repeatable
  --skip a,b          leave these events out, or drop these checks from the report
  --model FILE        the device's template (DTDL, an IoT Central export): the lab checks its
                      traffic against it and the exam calls its commands and writable properties
  --json              one JSON object: { verdict, counts, checks: [{ id, status, figure, why }] }
  --junit FILE        also write JUnit XML (a test case per check) for CI
  --html FILE         also write a self-contained HTML report
  --timeout TIME      the whole exam at most this long (default 30m; 10s–6h)
  --event-timeout TIME  how long each event waits for the device to come back (default 2m)
  --dps-detect SEC    how long DPS takes to notice a dead hub in kill and blackhole (default
                      ${examDefaults.dpsDetectSec}; not counted against the device)
  --warmup TIME       how long to watch its telemetry first, to learn its period (default 20s)
  --end-wait TIME     at the end, wait this long for the device to disconnect, to check it does
                      so cleanly (stop it then); default 0: the exam ends on its own and
                      end.clean-disconnect is not judged
  --thresholds        print the limits each check judges by, and exit
  --url URL           the lab (else LIZARD_URL, the one running lab, http://127.0.0.1:${defaultControlPort})

TIME is a number of seconds, or with a unit: 90s, 5m, 1h.
Exit: 0 passed (warnings allowed), 1 a check failed, 2 the exam could not run, 130 Ctrl+C.`

class UsageError extends Error {}

interface Options {
  deviceId: string | null
  only: string[]
  skip: string[]
  model: string | null
  json: boolean
  junit: string | null
  html: string | null
  timeoutSec: number
  eventTimeoutSec: number
  dpsDetectSec: number
  warmupSec: number
  endWaitSec: number
  thresholds: boolean
  help: boolean
  url: string | null
}

const valueFlags = new Set([
  'only',
  'skip',
  'model',
  'junit',
  'html',
  'timeout',
  'event-timeout',
  'dps-detect',
  'warmup',
  'end-wait',
  'url',
])

/** TIME: seconds, or a number with ms/s/m/h; bounded to [min, max] seconds. */
function duration(flag: string, text: string, min: number, max: number): number {
  const m = /^(\d{1,7})(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new UsageError(`--${flag} takes a time like 90, 90s, 5m or 1h, not "${text}"`)
  const n = Number(m[1])
  const sec = m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : m[2] === 'h' ? n * 3600 : n
  if (sec < min || sec > max)
    throw new UsageError(`--${flag} takes ${words(min)} to ${words(max)}, not ${text}`)
  return sec
}

const words = (sec: number) =>
  sec >= 3600 && sec % 3600 === 0
    ? `${sec / 3600}h`
    : sec >= 60 && sec % 60 === 0
      ? `${sec / 60}m`
      : `${sec}s`

/** Every check id an exam can give, for telling a typo from a check. */
const knownChecks = [
  ...examCheckIds,
  ...examEventIds.flatMap((e) => eventCheckNames.map((n) => `${e}.${n}`)),
]

function tokens(flag: string, values: string[]): string[] {
  const list = values.flatMap((v) => v.split(',')).map((t) => t.trim())
  if (list.some((t) => t === '') || list.length === 0)
    throw new UsageError(`--${flag} takes a comma-separated list, e.g. --${flag} kill,blackhole`)
  if (list.length > 64) throw new UsageError(`--${flag}: at most 64 names`)
  for (const t of list) {
    if (t.length > 64 || !/^[a-z0-9.-]+$/.test(t))
      throw new UsageError(`--${flag}: "${t.slice(0, 64)}" is not an event or a check`)
    if (!isEvent(t) && !knownChecks.some((id) => checkMatches(id, t)))
      throw new UsageError(
        `--${flag}: no event or check "${t}" (events: ${examEventIds.join(', ')}; checks: lizard exam --help)`,
      )
  }
  return list
}

const isEvent = (t: string): t is ExamEventId => (examEventIds as readonly string[]).includes(t)

function parse(args: string[]): Options {
  const o: Options = {
    deviceId: null,
    only: [],
    skip: [],
    model: null,
    json: false,
    junit: null,
    html: null,
    timeoutSec: examDefaults.timeBoundSec,
    eventTimeoutSec: examDefaults.eventTimeoutSec,
    dpsDetectSec: examDefaults.dpsDetectSec,
    warmupSec: examDefaults.warmupSec,
    endWaitSec: examDefaults.endWaitSec,
    thresholds: false,
    help: false,
    url: null,
  }
  const only: string[] = []
  const skip: string[] = []
  if (args.length > 100) throw new UsageError('too many arguments')
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a.length > 4096) throw new UsageError('an argument is over 4096 characters')
    if (a === '-h' || a === '--help') {
      o.help = true
      continue
    }
    if (!a.startsWith('--')) {
      if (o.deviceId !== null)
        throw new UsageError(`one device at a time: "${o.deviceId}" and "${a.slice(0, 100)}"`)
      o.deviceId = a
      continue
    }
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
    if (name === 'json' || name === 'thresholds') {
      if (eq > 0) throw new UsageError(`--${name} takes no value`)
      if (name === 'json') o.json = true
      else o.thresholds = true
      continue
    }
    if (!valueFlags.has(name))
      throw new UsageError(`unknown option --${name.slice(0, 40)} (lizard exam --help)`)
    const value = eq > 0 ? a.slice(eq + 1) : args[++i]
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
    switch (name) {
      case 'only':
        only.push(value)
        break
      case 'skip':
        skip.push(value)
        break
      case 'model':
        o.model = value
        break
      case 'junit':
        o.junit = value
        break
      case 'html':
        o.html = value
        break
      case 'url':
        o.url = value.trim()
        break
      case 'timeout':
        o.timeoutSec = duration(name, value, 10, 6 * 3600)
        break
      case 'event-timeout':
        o.eventTimeoutSec = duration(name, value, 5, 1800)
        break
      case 'warmup':
        o.warmupSec = duration(name, value, 0, 600)
        break
      case 'end-wait':
        o.endWaitSec = duration(name, value, 0, 600)
        break
      case 'dps-detect': {
        if (!/^\d{1,4}$/.test(value))
          throw new UsageError(`--dps-detect takes whole seconds, 0 to 600, not "${value}"`)
        const n = Number(value)
        if (n > 600) throw new UsageError(`--dps-detect takes 0 to 600 seconds, not ${n}`)
        o.dpsDetectSec = n
        break
      }
    }
  }
  if (only.length) o.only = tokens('only', only)
  if (skip.length) o.skip = tokens('skip', skip)
  if (o.deviceId !== null) {
    const problem = deviceIdProblem(o.deviceId)
    if (problem) throw new UsageError(`a device id ${problem}, not "${o.deviceId.slice(0, 100)}"`)
  }
  for (const [flag, path] of [
    ['junit', o.junit],
    ['html', o.html],
  ] as const)
    if (path !== null) writable(flag, path)
  return o
}

/** A report path whose folder is there, so the exam is not run for nothing. */
function writable(flag: string, path: string): void {
  let isDir = false
  try {
    isDir = statSync(dirname(resolve(path))).isDirectory()
  } catch {
    isDir = false
  }
  if (!isDir) throw new UsageError(`--${flag} ${path}: no such folder ${dirname(resolve(path))}`)
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--${flag} ${path}: that is a folder`)
  } catch (e) {
    if (e instanceof UsageError) throw e
  }
}

/** The events to run and the filter on checks, from --only and --skip. */
export function selection(
  only: string[],
  skip: string[],
): { events: ExamEventId[]; keep: (c: Check) => boolean } {
  const onlyEvents = only.filter(isEvent)
  const onlyChecks = only.filter((t) => !isEvent(t))
  const wanted = new Set<ExamEventId>(onlyEvents)
  for (const t of onlyChecks) {
    const owner = examEventIds.find((e) => t === e || t.startsWith(e + '.'))
    if (owner) wanted.add(owner)
    // A part of every event's checks (back, data…) needs every event.
    else if ((eventCheckNames as readonly string[]).includes(t))
      for (const e of examEventIds) wanted.add(e)
  }
  const skipEvents = new Set(skip.filter(isEvent))
  const skipChecks = skip.filter((t) => !isEvent(t))
  const events = examEventIds.filter(
    (e) => (only.length === 0 || wanted.has(e)) && !skipEvents.has(e),
  )
  const keep = (c: Check) => {
    if (skipChecks.some((t) => checkMatches(c.id, t))) return false
    if (c.id.startsWith('exam.') || onlyChecks.length === 0) return true
    return (
      onlyChecks.some((t) => checkMatches(c.id, t)) ||
      onlyEvents.some((e) => c.id.startsWith(e + '.'))
    )
  }
  return { events, keep }
}

async function labUrl(given: string | null): Promise<string> {
  let url = given || process.env.LIZARD_URL
  if (!url) {
    const pick = await pickLab()
    if (pick.kind === 'several')
      throw new UsageError(
        `${pick.labs.length} labs are running; say which one with --url (${pick.labs.map((l) => l.controlUrl).join(', ')})`,
      )
    url = pick.kind === 'one' ? pick.lab.controlUrl : `http://127.0.0.1:${defaultControlPort}`
  }
  if (!/^https?:\/\/[^/\s]+$/.test(url.replace(/\/+$/, '')) || url.length > 300)
    throw new UsageError(
      `${given ? '--url' : 'LIZARD_URL'} must be the lab's http:// address, e.g. http://127.0.0.1:${defaultControlPort}, not "${url.slice(0, 100)}"`,
    )
  return url.replace(/\/+$/, '')
}

/** The template file(s) given: loaded here (a bad one stops the exam) and handed to the lab. */
async function giveModel(lab: LabApi, path: string, deviceId: string): Promise<DeviceModel> {
  let docs
  try {
    docs = readTemplateFiles([path])
  } catch (e) {
    if (e instanceof PathError) throw new UsageError(`--model ${e.message}`)
    throw e
  }
  const loads = loadTemplates(docs)
  const loaded = loads.flatMap((t) => (t.load.ok ? [t.load.model] : []))
  if (loaded.length === 0) {
    const p = loads[0]?.report.problems[0]
    throw new UsageError(
      `--model ${path} does not load${p ? `: ${p.path || '(file)'}: ${p.message}` : ''} (lizard model check ${path})`,
    )
  }
  await lab.call('POST', '/models', { documents: docs })
  const named = (await lab.device(deviceId).catch(() => null))?.modelId ?? null
  return loaded.find((m) => m.id === named) ?? loaded[0]!
}

export interface ExamIo {
  out?: Writer
  err?: Writer
  /** Stops the exam as Ctrl+C does (tests); without it, SIGINT is listened for. */
  signal?: AbortSignal
}

/** `lizard exam …`: returns the exit code. */
export async function exam(args: string[], io: ExamIo = {}): Promise<number> {
  const out = io.out ?? process.stdout
  const err = io.err ?? process.stderr
  const say = (line: string) => err.write(`lizard exam: ${line}\n`)
  let o: Options
  try {
    o = parse(args)
  } catch (e) {
    err.write(`lizard: ${(e as Error).message}\n`)
    return 2
  }
  if (o.help) {
    out.write(examUsage + '\n')
    return 0
  }
  if (o.thresholds) {
    out.write(thresholdsText() + '\n')
    return 0
  }
  if (o.deviceId === null) {
    err.write('lizard: usage: lizard exam <deviceId> [options] (lizard exam --help)\n')
    return 2
  }
  const deviceId = o.deviceId
  const { events, keep } = selection(o.only, o.skip)

  const controller = new AbortController()
  if (io.signal) {
    if (io.signal.aborted) controller.abort('Ctrl+C')
    else io.signal.addEventListener('abort', () => controller.abort('Ctrl+C'), { once: true })
  }
  let presses = 0
  const onSigint = () => {
    presses++
    if (presses === 1) {
      say('stopping: restoring every hub and DPS, then the scorecard (Ctrl+C again to quit now)')
      controller.abort('Ctrl+C')
    } else {
      err.write('lizard: quit before the lab was restored: lizard hubs shows what is down\n')
      process.exit(130)
    }
  }
  if (!io.signal) process.on('SIGINT', onSigint)
  try {
    const url = await labUrl(o.url)
    const lab = new LabApi(url, 30_000)
    await lab.call('GET', '/health')
    const model = o.model ? await giveModel(lab, o.model, deviceId) : null
    if (events.length === 0) say('no event selected: only what it does on its own is judged')
    const { evidence, checks } = await runExam(
      {
        url,
        deviceId,
        events,
        model,
        dpsDetectSec: o.dpsDetectSec,
        eventTimeoutSec: o.eventTimeoutSec,
        timeBoundSec: o.timeoutSec,
        warmupSec: o.warmupSec,
        endWaitSec: o.endWaitSec,
        throttleSec: examDefaults.throttleSec,
        throttleRetryAfterSec: examDefaults.throttleRetryAfterSec,
      },
      { progress: say, signal: controller.signal },
    )
    const shown = checks.filter(keep)
    const r = result(deviceId, evidence.startedAt, evidence.endedAt, shown)
    const json = {
      ...r,
      lab: url,
      events,
      interrupted: evidence.interrupted,
    }
    out.write(
      (o.json
        ? JSON.stringify(json, null, 2)
        : table(r, (out as NodeJS.WriteStream).columns ?? 120)) + '\n',
    )
    let code = controller.signal.aborted ? 130 : r.counts.fail > 0 ? 1 : 0
    for (const [flag, path, text] of [
      ['junit', o.junit, () => junit(r)],
      ['html', o.html, () => htmlReport(r)],
    ] as const) {
      if (path === null) continue
      try {
        writeFileSync(path, text())
        say(`${flag === 'junit' ? 'JUnit XML' : 'HTML report'} written to ${path}`)
      } catch (e) {
        err.write(`lizard: could not write --${flag} ${path}: ${(e as Error).message}\n`)
        if (code === 0) code = 2
      }
    }
    return code
  } catch (e) {
    if (controller.signal.aborted) {
      err.write('lizard: stopped before the exam began; nothing was changed\n')
      return 130
    }
    const message =
      e instanceof LabCallError || e instanceof ExamRefused || e instanceof UsageError
        ? e.message
        : `the exam failed: ${(e as Error).message}`
    err.write(`lizard: ${message.split('\n')[0]}\n`)
    return 2
  } finally {
    if (!io.signal) process.off('SIGINT', onSigint)
  }
}
