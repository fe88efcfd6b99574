import type { ModelReport } from '../shared/dtdl/types'
import {
  conformanceText,
  devicesTable,
  dpsWords,
  hubsTable,
  labStatsText,
  planText,
  quotasText,
  type DeviceRow,
  type LabStatsRow,
  type QuotaViewRow,
} from './cli-format'
import { checkTemplateFiles, PathError, readTemplateFiles, reportsText } from './cli-model'
import type { ConformanceView } from './conformance-log'
import { connectInfo } from './cli-connect-info'
import { exam } from './cli-exam'
import { defaultControlPort, pickLab } from './discovery'
import type { HubView } from './hub-control'
import type { TelemetryStats } from './telemetry'

// `lizard`: the giant lizard you can aim at a data center. A thin client of the lab's control API.

const usage = `lizard — fail IoT Central lab devices over and back, and break things on purpose

Usage: lizard <command> [args] [--json] [--url URL]

Watch a data center die and come back (the seed's story, in one command):
  outage <a|b> [--for SEC]            kill the hub now; DPS routes its devices to the other hub
                                      once it notices; after --for (default 60 s) the hub
                                      returns and, after the rebalance delay, its devices fail
                                      back [--blackhole] [--dps-detect SEC] [--rebalance SEC]

Devices:
  failover <deviceId> [--ttl MIN]     move the device to its other hub (ttl 1-30, default 5)
  failback <deviceId>                 move it back to its home hub now
  rehome <deviceId> <a|b>             make another hub the device's home for good
  devices                             hubs as DPS sees them, and every device: home, assigned,
                                      connected, where DPS would send it now
  stats [deviceId]                    the lab: each quota's accepted and throttled requests, in
                                      all and per minute, and how many devices call each hub home;
                                      a device: telemetry received, missing seqs, duplicates
  invoke <deviceId> <method> [json]   call a direct method [--timeout 5-300 SEC]; a component's
                                      command is component*command, e.g. thermostat1*reboot
  command <deviceId> <name> [json]    send a durable model command the IoT Central way (C2D with
                                      method-name=<name>), e.g. setAlarm '{"time":"07:30:00"}'
  c2d <deviceId> <body> [--prop k=v]  send a raw cloud-to-device message (repeat --prop)
  desired <deviceId> <json>           patch desired properties, e.g. '{"fanSpeed":3}'

Your own device (README: Test your own device):
  connect-info [--device ID] [--show-key] [--ca-pem]
                                      what a device needs to reach this lab: DPS host and port,
                                      id scope, CA file, hubs, model id, a line per sample; the
                                      group key only with --show-key (read as the lab's owner)
  exam <deviceId> [--only a,b] [--skip a,b] [--model FILE] [--json] [--junit FILE] [--html FILE]
                                      is it ready for the lizard? fails it over and back, kills,
                                      blackholes and restarts its hub, throttles DPS, and scores
                                      what the lab saw: pass/warn/fail with a figure and a why
                                      per check; exit 1 when one fails (lizard exam --help)

Device templates:
  model check [--models DIR] <file|folder>…
                                      no lab needed: does each template load, what a device
                                      emulates of it, what is left to the cloud or not emulated,
                                      every problem with its place (exit 0: all load, 1: one does
                                      not). A folder: every .json in it. References resolve from
                                      the files given, then DIR and the folders (models repository
                                      layout: dtmi/com/example/thermostat-1.json)
  model add <file|folder>…            give the lab templates: a device whose hub connection names
                                      one (model-id) has its traffic checked against it
  model list                          the templates the lab knows
  conformance <deviceId>              the device's telemetry and reported properties against its
                                      template: counts by kind and the latest findings

Chaos, one switch at a time:
  hubs                                each hub's state and what DPS does about it
  hub <a|b> kill|blackhole            kill: power off · blackhole: accept TCP, never answer
                                      [--dps-detect SEC] [--dps-unaware]
  hub <a|b> restore [--rebalance SEC] bring it back
  dps throttle|stop|restore           throttle: 429 [--retry-after SEC] · stop: never answer
  dps drop-after-connack [--count N]  close the next N registrations after CONNACK

Quotas (IoT Central's by default; 0 turns one off):
  quotas                              the limits in force
  quotas [--dps-rate N] [--dps-burst N|auto] [--poll-limit N] [--hub-connect-rate N]
                                      change them now: DPS registrations per minute (and how
                                      many at once; auto: 5 s worth), polls per device per 10 s,
                                      new connections per second per hub

The lab is found through --url, LIZARD_URL, the discovery entry of the one running lab, or
http://127.0.0.1:${defaultControlPort}. With several labs running, add --url to pick one.`

class UsageError extends Error {}

interface Parsed {
  args: string[]
  flags: Map<string, string[]>
}

const valueFlags = new Set([
  'ttl',
  'url',
  'timeout',
  'prop',
  'retry-after',
  'for',
  'dps-detect',
  'rebalance',
  'count',
  'models',
  'dps-rate',
  'dps-burst',
  'poll-limit',
  'hub-connect-rate',
])
const switches = new Set(['json', 'help', 'blackhole', 'dps-unaware'])

function parse(argv: string[]): Parsed {
  const args: string[] = []
  const flags = new Map<string, string[]>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-h') {
      flags.set('help', [''])
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
      let value = eq > 0 ? a.slice(eq + 1) : ''
      if (valueFlags.has(name) && eq < 0) {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`)
        value = argv[++i]!
      } else if (!valueFlags.has(name) && !switches.has(name)) {
        throw new UsageError(`unknown option --${name}`)
      }
      flags.set(name, [...(flags.get(name) ?? []), value])
    } else args.push(a)
  }
  return { args, flags }
}

async function baseUrl(flags: Parsed['flags']): Promise<string> {
  const given = flags.get('url')?.[0] || process.env.LIZARD_URL
  let url = given
  if (!url) {
    const pick = await pickLab()
    if (pick.kind === 'several') {
      const list = pick.labs
        .map((l) => `  lizard … --url ${l.controlUrl}    (pid ${l.pid}, started ${l.startedAt})`)
        .join('\n')
      throw new UsageError(
        `${pick.labs.length} labs are running; say which one with --url:\n${list}`,
      )
    }
    url = pick.kind === 'one' ? pick.lab.controlUrl : `http://127.0.0.1:${defaultControlPort}`
  }
  if (!/^https?:\/\/[^/\s]+/.test(url))
    throw new UsageError(
      `${flags.get('url')?.[0] ? '--url' : 'LIZARD_URL'} must be the lab's http:// address, e.g. http://127.0.0.1:${defaultControlPort}, not "${url}"`,
    )
  return url.replace(/\/+$/, '')
}

function intFlag(
  flags: Parsed['flags'],
  name: string,
  range?: [number, number],
): number | undefined {
  const v = flags.get(name)?.[0]
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not "${v}"`)
  const n = Number(v)
  if (range && (n < range[0] || n > range[1]))
    throw new UsageError(`--${name} takes ${range[0]} to ${range[1]}, not ${n}`)
  return n
}

function jsonArg(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${what} is not valid JSON: ${text}`)
  }
}

/** From `least` to `most` arguments: a stray one is a mistake to point out, not to ignore. */
function need(args: string[], least: number, shape: string, most = least): void {
  if (args.length < least || args.length > most) throw new UsageError(`usage: lizard ${shape}`)
}

function hubArg(s: string, shape: string): 'a' | 'b' {
  const h = s.toLowerCase()
  if (h !== 'a' && h !== 'b')
    throw new UsageError(`usage: lizard ${shape} (the hub is a or b, not "${s}")`)
  return h
}

class ApiError extends Error {
  constructor(
    message: string,
    /** The lab's error object, when it sent one. */
    readonly error: Record<string, unknown> | null = null,
  ) {
    super(message)
  }
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(330_000),
    })
  } catch {
    throw new ApiError(
      `no lab answers at ${url} — start one with \`npm run lab\` or the app, or set LIZARD_URL`,
    )
  }
  const text = await res.text()
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new ApiError(`${url} answered ${res.status} with something that is not the lab's JSON`)
  }
  if (!res.ok) {
    const err = (data as { error?: { message?: string } } | null)?.error
    throw new ApiError(
      err?.message ?? `the lab answered ${res.status}`,
      err && typeof err === 'object' ? (err as Record<string, unknown>) : null,
    )
  }
  return data
}

/** What a command prints, and its exit code when that is not 0. */
type Out = { json: unknown; text: string; code?: number }

const hubLine = (v: HubView) => `hub ${v.hub.toUpperCase()} is ${v.mode}; DPS ${dpsWords(v)}`

function modelCheck(p: Parsed, files: string[]): Out {
  if (files.length === 0)
    throw new UsageError('usage: lizard model check [--models DIR] <file|folder>…')
  let reports: ModelReport[]
  try {
    reports = checkTemplateFiles(files, p.flags.get('models') ?? [])
  } catch (e) {
    if (e instanceof PathError) throw new UsageError(e.message)
    throw e
  }
  return {
    json: reports,
    text: reportsText(reports),
    code: reports.every((r) => r.loaded) ? 0 : 1,
  }
}

async function run(p: Parsed): Promise<Out> {
  const [cmd, ...rest] = p.args
  // Checking a template is this machine's business: no lab is looked for.
  if (cmd === 'model' && rest[0] === 'check') return modelCheck(p, rest.slice(1))
  if (cmd === 'model' && !['add', 'list'].includes(rest[0] ?? ''))
    throw new UsageError(
      'usage: lizard model check [--models DIR] <file|folder>… | model add <file|folder>… | model list',
    )
  const url = await baseUrl(p.flags)
  const enc = encodeURIComponent
  switch (cmd) {
    case 'model': {
      if (rest[0] === 'list') {
        need(rest, 1, 'model list')
        const r = (await call(url, 'GET', '/models')) as {
          models: { modelId: string; displayName: string; source: string }[]
        }
        return {
          json: r.models,
          text:
            r.models.length === 0
              ? 'The lab knows no templates yet: lizard model add FILE, or npm run lab -- --models DIR'
              : r.models.map((m) => `${m.modelId}  ${m.displayName}  (${m.source})`).join('\n'),
        }
      }
      if (rest.length < 2) throw new UsageError('usage: lizard model add <file|folder>…')
      let documents
      try {
        documents = readTemplateFiles(rest.slice(1))
      } catch (e) {
        if (e instanceof PathError) throw new UsageError(e.message)
        throw e
      }
      try {
        const reports = (await call(url, 'POST', '/models', { documents })) as ModelReport[]
        return { json: reports, text: reportsText(reports) }
      } catch (e) {
        const reports = e instanceof ApiError ? e.error?.['reports'] : undefined
        if (!Array.isArray(reports)) throw e
        return {
          json: reports,
          text: `${reportsText(reports as ModelReport[])}\nThe lab kept none of them.`,
          code: 1,
        }
      }
    }
    case 'conformance': {
      need(rest, 1, 'conformance <deviceId>')
      const c = (await call(url, 'GET', `/devices/${enc(rest[0]!)}/conformance`)) as ConformanceView
      return { json: c, text: conformanceText(rest[0]!, c) }
    }
    case 'failover': {
      need(rest, 1, 'failover <deviceId> [--ttl MIN]')
      const ttl = intFlag(p.flags, 'ttl', [1, 30])
      const r = (await call(
        url,
        'POST',
        `/system/iothub/devices/${enc(rest[0]!)}/manual-failover`,
        ttl === undefined ? {} : { ttl },
      )) as { hubIdentifier: string; message: string }
      return { json: r, text: `${r.message}\nhub identifier: ${r.hubIdentifier}` }
    }
    case 'failback': {
      need(rest, 1, 'failback <deviceId>')
      const r = (await call(
        url,
        'POST',
        `/system/iothub/devices/${enc(rest[0]!)}/manual-failback`,
      )) as { hubIdentifier: string; message: string }
      return { json: r, text: `${r.message}\nhub identifier: ${r.hubIdentifier}` }
    }
    case 'rehome': {
      need(rest, 2, 'rehome <deviceId> <a|b>')
      const r = (await call(url, 'POST', `/devices/${enc(rest[0]!)}/rehome`, {
        hub: hubArg(rest[1]!, 'rehome <deviceId> <a|b>'),
      })) as { message: string }
      return { json: r, text: r.message }
    }
    case 'devices': {
      need(rest, 0, 'devices')
      const [hubs, list] = (await Promise.all([
        call(url, 'GET', '/hubs'),
        call(url, 'GET', '/devices'),
      ])) as [Record<'a' | 'b', HubView>, DeviceRow[]]
      return { json: list, text: `${hubsTable(hubs)}\n\n${devicesTable(list)}` }
    }
    case 'hubs': {
      need(rest, 0, 'hubs')
      const hubs = (await call(url, 'GET', '/hubs')) as Record<'a' | 'b', HubView>
      return { json: hubs, text: hubsTable(hubs) }
    }
    case 'stats': {
      need(rest, 0, 'stats [deviceId]', 1)
      if (rest.length === 0) {
        const s = (await call(url, 'GET', '/stats')) as LabStatsRow
        return { json: s, text: labStatsText(s) }
      }
      const r = (await call(url, 'GET', `/devices/${enc(rest[0]!)}/telemetry?limit=0`)) as {
        stats: TelemetryStats
      }
      const s = r.stats
      const missing =
        s.missing.length === 0
          ? 'none'
          : s.missing.slice(0, 20).join(', ') +
            (s.missing.length > 20 ? ` … (${s.missing.length})` : '')
      return {
        json: s,
        text: `received ${s.count} (unique ${s.unique}, duplicates ${s.duplicates})\nseq ${s.firstSeq ?? '-'} … ${s.lastSeq ?? '-'}, missing: ${missing}`,
      }
    }
    case 'quotas': {
      need(
        rest,
        0,
        'quotas [--dps-rate N] [--dps-burst N|auto] [--poll-limit N] [--hub-connect-rate N]',
      )
      const burst = p.flags.get('dps-burst')?.[0]
      const patch = definedOnly({
        dpsRate: intFlag(p.flags, 'dps-rate', [0, 1_000_000]),
        dpsBurst: burst === 'auto' ? null : intFlag(p.flags, 'dps-burst', [1, 1_000_000]),
        pollLimit: intFlag(p.flags, 'poll-limit', [0, 10_000]),
        hubConnectRate: intFlag(p.flags, 'hub-connect-rate', [0, 1_000_000]),
      })
      const q = (await (Object.keys(patch).length === 0
        ? call(url, 'GET', '/quotas')
        : call(url, 'PUT', '/quotas', patch))) as QuotaViewRow
      return { json: q, text: quotasText(q) }
    }
    case 'invoke': {
      need(rest, 2, 'invoke <deviceId> <method> [json] [--timeout SEC]', 3)
      const payload = jsonArg(rest[2], 'the method payload')
      // IoT Hub's bounds for a direct method's response timeout.
      const timeout = intFlag(p.flags, 'timeout', [5, 300])
      const r = (await call(url, 'POST', `/devices/${enc(rest[0]!)}/methods`, {
        methodName: rest[1],
        ...(payload !== undefined ? { payload } : {}),
        ...(timeout ? { responseTimeoutInSeconds: timeout } : {}),
      })) as { status: number; payload: unknown }
      // The device's own answer, whatever its status, is a result; the hub answering for a device
      // that is offline or silent (IoT Hub's 404103 and 504101) means the call never happened.
      const hubError = r.payload as { errorCode?: unknown; message?: unknown } | null
      if (typeof hubError?.errorCode === 'number' && [404103, 504101].includes(hubError.errorCode))
        throw new ApiError(`${rest[0]!}: ${String(hubError.message)}`)
      return { json: r, text: `status ${r.status}\n${JSON.stringify(r.payload, null, 2)}` }
    }
    case 'command': {
      need(rest, 2, 'command <deviceId> <name> [json]', 3)
      const payload = jsonArg(rest[2], 'the command payload')
      // IoT Central sends a durable command as C2D: the JSON request as the body, the command
      // name in the method-name property.
      const body = payload === undefined ? '' : JSON.stringify(payload)
      const r = (await call(url, 'POST', `/devices/${enc(rest[0]!)}/c2d`, {
        body,
        properties: { 'method-name': rest[1]! },
      })) as { messageId: string; state: string }
      return {
        json: r,
        text: `command ${rest[1]!} sent as message ${r.messageId} (${r.state}); the device settles it when it arrives`,
      }
    }
    case 'c2d': {
      need(rest, 2, 'c2d <deviceId> <body> [--prop k=v]')
      const properties: Record<string, string> = {}
      for (const kv of p.flags.get('prop') ?? []) {
        const i = kv.indexOf('=')
        if (i <= 0) throw new UsageError(`--prop takes key=value, not "${kv}"`)
        properties[kv.slice(0, i)] = kv.slice(i + 1)
      }
      const r = (await call(url, 'POST', `/devices/${enc(rest[0]!)}/c2d`, {
        body: rest[1],
        properties,
      })) as { messageId: string; state: string }
      return { json: r, text: `message ${r.messageId} ${r.state}` }
    }
    case 'desired': {
      need(rest, 2, 'desired <deviceId> <json>')
      const patch = jsonArg(rest[1], 'the desired patch')
      if (!patch || typeof patch !== 'object' || Array.isArray(patch))
        throw new UsageError('the desired patch must be a JSON object, e.g. \'{"fanSpeed":3}\'')
      const r = (await call(url, 'PATCH', `/devices/${enc(rest[0]!)}/twin/desired`, patch)) as {
        desired: Record<string, unknown>
      }
      return { json: r, text: `desired is now ${JSON.stringify(r.desired)}` }
    }
    case 'hub': {
      const shape =
        'hub <a|b> kill|blackhole [--dps-detect SEC] [--dps-unaware] | restore [--rebalance SEC]'
      need(rest, 2, shape)
      const [hub, action] = [hubArg(rest[0]!, shape), rest[1]!]
      if (!['kill', 'blackhole', 'restore'].includes(action))
        throw new UsageError(`usage: lizard ${shape}`)
      const body =
        action === 'restore'
          ? definedOnly({ rebalance: intFlag(p.flags, 'rebalance', [0, 3600]) })
          : definedOnly({
              dpsDetect: intFlag(p.flags, 'dps-detect', [0, 3600]),
              dpsUnaware: p.flags.has('dps-unaware') || undefined,
            })
      const r = (await call(url, 'POST', `/hubs/${hub}/${action}`, body)) as HubView
      return { json: r, text: hubLine(r) }
    }
    case 'outage': {
      need(rest, 1, 'outage <a|b> [--for SEC] [--blackhole] [--dps-detect SEC] [--rebalance SEC]')
      const hub = hubArg(rest[0]!, 'outage <a|b> [--for SEC]')
      const body = definedOnly({
        for: intFlag(p.flags, 'for', [1, 86_400]),
        mode: p.flags.has('blackhole') ? 'blackhole' : 'kill',
        dpsDetect: intFlag(p.flags, 'dps-detect', [0, 3600]),
        rebalance: intFlag(p.flags, 'rebalance', [0, 3600]),
      })
      const r = (await call(url, 'POST', `/hubs/${hub}/outage`, body)) as HubView
      return { json: r, text: planText(hub, r.outage?.plan ?? []) }
    }
    case 'dps': {
      need(rest, 1, 'dps throttle|stop|restore|drop-after-connack')
      const action = rest[0]!
      if (action === 'drop-after-connack') {
        const count = intFlag(p.flags, 'count', [0, 1000])
        const r = (await call(url, 'POST', '/dps/drop-after-connack', definedOnly({ count }))) as {
          dropAfterConnack: number
        }
        return {
          json: r,
          text: `DPS closes the next ${r.dropAfterConnack} registration connection(s) right after CONNACK`,
        }
      }
      if (!['throttle', 'stop', 'restore'].includes(action))
        throw new UsageError('usage: lizard dps throttle|stop|restore|drop-after-connack')
      const retryAfter = intFlag(p.flags, 'retry-after', [0, 3600])
      const r = (await call(
        url,
        'POST',
        `/dps/${action}`,
        retryAfter === undefined ? {} : { retryAfter },
      )) as { mode: string; retryAfter?: number }
      return {
        json: r,
        text:
          `DPS is ${r.mode}` +
          (r.retryAfter !== undefined ? ` (retry-after ${r.retryAfter} s)` : ''),
      }
    }
    default:
      throw new UsageError(cmd ? `unknown command "${cmd}"\n\n${usage}` : usage)
  }
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

export async function main(argv: string[]): Promise<number> {
  // connect-info has flags of its own (--show-key, --ca-pem, --device) and finds the lab as run() does.
  if (argv[0] === 'connect-info') return connectInfo(argv.slice(1), process.stdout, process.stderr)
  // exam has flags of its own, and Ctrl+C restores the lab before it exits (130).
  if (argv[0] === 'exam') return exam(argv.slice(1))
  let p: Parsed
  try {
    p = parse(argv)
  } catch (e) {
    process.stderr.write(`lizard: ${(e as Error).message}\n`)
    return 2
  }
  if (p.flags.has('help') || p.args.length === 0) {
    process.stdout.write(usage + '\n')
    return p.args.length === 0 && !p.flags.has('help') ? 2 : 0
  }
  try {
    const out = await run(p)
    process.stdout.write(
      (p.flags.has('json') ? JSON.stringify(out.json, null, 2) : out.text) + '\n',
    )
    return out.code ?? 0
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`lizard: ${e.message}\n`)
      return 2
    }
    process.stderr.write(`lizard: ${(e as Error).message}\n`)
    return 1
  }
}
