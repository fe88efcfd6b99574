import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { table } from './cli-format'
import { defaultControlPort, pickLab } from './discovery'
import { registrationIdProblem } from './limits'
import { deriveDeviceKey } from './sas'
import { wsAddresses } from './websockets'

// `lizard connect-info`: what a device of your own (a reference sample, your firmware) needs to
// reach the running lab — the values README "Test your own device" tells you where to put.
// Everything comes from the lab's control API (GET /lab), except the group key: the API never
// serves it, so `--show-key` reads it from the lab's data folder (enrollment.json beside the CA,
// an owner-only file), which only the lab's owner can do.

/** The model of the reference samples (failover.json). */
export const sampleModelId = 'dtmi:Sample:Failover;1'
/** The registration id suggested when --device names none. */
export const suggestedRegistrationId = 'my-device'

export interface Writer {
  write(chunk: string): unknown
}

export const connectInfoUsage = `usage: lizard connect-info [--device ID] [--show-key] [--ca-pem] [--json] [--url URL]

  --device ID   the registration id (= device id) to fill in (default ${suggestedRegistrationId})
  --show-key    also print the group primary key and the device key derived from it (read from
                the lab's data folder: only the lab's owner can)
  --ca-pem      print the lab's CA certificate (PEM) instead of the table (with --json: as caPem)
  --json        one JSON object`

/** What GET /lab answers, as far as a device needs it. */
const factsSchema = z.object({
  idScope: z.string().min(1).max(100),
  dpsHost: z.string().regex(/^[^\s:]+:\d{1,5}$/),
  caPath: z.string().min(1).max(4096),
  hubs: z.object({
    a: z.object({ host: z.string().min(1).max(300) }),
    b: z.object({ host: z.string().min(1).max(300) }),
  }),
  webSockets: z.union([
    z.object({ enabled: z.literal(true) }),
    z.object({ enabled: z.literal(false), reason: z.string().max(500) }),
  ]),
})
type Facts = z.infer<typeof factsSchema>

const devicesSchema = z.array(
  z.object({ deviceId: z.string(), connectedTo: z.string().nullable().optional() }),
)

const enrollmentSchema = z.object({
  idScope: z.string(),
  groupPrimaryKey: z.string().min(1).max(1000),
  groupSecondaryKey: z.string().max(1000).optional(),
})

class UsageError extends Error {}
class LabError extends Error {}

interface Options {
  url?: string
  device?: string
  showKey: boolean
  caPem: boolean
  json: boolean
  help: boolean
}

function parseArgs(args: string[]): Options {
  const o: Options = { showKey: false, caPem: false, json: false, help: false }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '-h' || a === '--help') {
      o.help = true
      continue
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"\n${connectInfoUsage}`)
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
    if (name === 'url' || name === 'device') {
      let value = eq > 0 ? a.slice(eq + 1) : args[++i]
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
      value = value.trim()
      if (name === 'url') o.url = value
      else o.device = value
    } else if (eq > 0) {
      throw new UsageError(`--${name} takes no value`)
    } else if (name === 'show-key') o.showKey = true
    else if (name === 'ca-pem') o.caPem = true
    else if (name === 'json') o.json = true
    else throw new UsageError(`unknown option --${name}\n${connectInfoUsage}`)
  }
  return o
}

/** The lab to ask, found as every lizard command finds it. */
async function labUrl(given: string | undefined): Promise<string> {
  let url = given || process.env.LIZARD_URL
  if (!url) {
    const pick = await pickLab()
    if (pick.kind === 'several') {
      const list = pick.labs
        .map(
          (l) =>
            `  lizard connect-info --url ${l.controlUrl}    (pid ${l.pid}, started ${l.startedAt})`,
        )
        .join('\n')
      throw new UsageError(
        `${pick.labs.length} labs are running; say which one with --url:\n${list}`,
      )
    }
    url = pick.kind === 'one' ? pick.lab.controlUrl : `http://127.0.0.1:${defaultControlPort}`
  }
  if (!/^https?:\/\/[^/\s]+/.test(url))
    throw new UsageError(
      `${given ? '--url' : 'LIZARD_URL'} must be the lab's http:// address, e.g. http://127.0.0.1:${defaultControlPort}, not "${url}"`,
    )
  return url.replace(/\/+$/, '')
}

async function getJson(url: string, path: string): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) })
  } catch {
    throw new LabError(
      `no lab answers at ${url} — start one with \`npm run lab\` or the app, or set LIZARD_URL`,
    )
  }
  const text = await res.text()
  try {
    const data = JSON.parse(text) as unknown
    if (res.ok) return data
    const message = (data as { error?: { message?: unknown } } | null)?.error?.message
    throw new LabError(typeof message === 'string' ? message : `the lab answered ${res.status}`)
  } catch (e) {
    if (e instanceof LabError) throw e
    throw new LabError(`${url} answered ${res.status} with something that is not the lab's JSON`)
  }
}

function splitHost(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':')
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) }
}

/** The lab's enrollment, from its data folder (the CA's folder): the key the API never serves. */
function readGroupKey(facts: Facts): { key: string; path: string } {
  const path = join(dirname(facts.caPath), 'enrollment.json')
  let text: string
  try {
    if (statSync(path).size > 64 * 1024) throw new LabError(`${path} is not the lab's enrollment`)
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if (e instanceof LabError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw new LabError(
      code === 'EACCES' || code === 'EPERM'
        ? `only the lab's owner can read the group key (${path} is theirs): run this as that user`
        : `the group key is kept in the lab's data folder, and ${path} cannot be read here (${code ?? (e as Error).message}); is the lab on this machine?`,
    )
  }
  let parsed: z.infer<typeof enrollmentSchema>
  try {
    parsed = enrollmentSchema.parse(JSON.parse(text))
  } catch {
    throw new LabError(`${path} is not the lab's enrollment`)
  }
  if (parsed.idScope !== facts.idScope)
    throw new LabError(
      `${path} belongs to id scope ${parsed.idScope}, not to this lab's ${facts.idScope}: not printing it`,
    )
  return { key: parsed.groupPrimaryKey, path }
}

/** A value as a POSIX shell word: quoted when it holds anything a shell would read (`;` in DTMIs). */
function sh(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`
}

const envLine = (pairs: [string, string | undefined][]) =>
  pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${sh(v)}`)
    .join(' ')

export interface ConnectInfo {
  controlUrl: string
  /** What Node's provisioning host string takes: host:port. */
  provisioningHost: string
  /** DPS over MQTT/TLS; `webSocketHost`: where it listens on 443 (null when WebSockets are off). */
  dps: { host: string; port: number; webSocketHost: string | null }
  idScope: string
  registrationId: string
  modelId: string
  caPath: string
  caPem?: string
  /** Each hub as DPS names it over MQTT/TLS, and the address DPS names over WebSockets (443). */
  hubs: Record<'a' | 'b', { host: string; port: number; webSocketHost: string | null }>
  webSockets: { enabled: true } | { enabled: false; reason: string }
  /** Only with --show-key. */
  groupPrimaryKey?: string
  /** Only with --show-key: base64(HMAC-SHA256(base64decode(group key), registration id)). */
  deviceKey?: string
  /** Per reference sample: the values as environment variables (README "Test your own device"). */
  env: Record<'node' | 'python' | 'csharp' | 'java' | 'c', string>
  notes: string[]
}

function build(
  url: string,
  facts: Facts,
  registrationId: string,
  chosen: boolean,
  connectedTo: string | null,
  key: string | undefined,
): ConnectInfo {
  const dps = {
    ...splitHost(facts.dpsHost),
    webSocketHost: facts.webSockets.enabled ? wsAddresses.dps : null,
  }
  const hubs = {
    a: {
      ...splitHost(facts.hubs.a.host),
      webSocketHost: facts.webSockets.enabled ? wsAddresses.a : null,
    },
    b: {
      ...splitHost(facts.hubs.b.host),
      webSocketHost: facts.webSockets.enabled ? wsAddresses.b : null,
    },
  }
  const common: [string, string | undefined][] = [
    ['SCOPE_ID', facts.idScope],
    ['DEVICE_ID', registrationId],
    ['MODEL_ID', sampleModelId],
    ['CA_FILE', facts.caPath],
  ]
  const hubVars: [string, string][] = [
    ['HUB_A', facts.hubs.a.host],
    ['HUB_B', facts.hubs.b.host],
  ]
  const secret: [string, string | undefined][] = [['GROUP_SYMMETRIC_KEY', key]]
  const env = {
    // The TypeScript sample's .env names; NODE_EXTRA_CA_CERTS is read only when node starts.
    node: envLine([
      ['NODE_EXTRA_CA_CERTS', facts.caPath],
      ['provisioningHost', facts.dpsHost],
      ['scopeId', facts.idScope],
      ['deviceId', registrationId],
      ['modelId', sampleModelId],
      ['groupSymmetricKey', key],
    ]),
    // Python, Java and C dial DPS on 8883 (their SDKs take no port); C# takes one.
    python: envLine([['PROVISIONING_HOST', dps.host], ...common, ...hubVars, ...secret]),
    csharp: envLine([
      ['PROVISIONING_HOST', dps.host],
      ['PROVISIONING_PORT', String(dps.port)],
      ...common,
      ...hubVars,
      ...secret,
    ]),
    java: envLine([['PROVISIONING_HOST', dps.host], ...common, ...hubVars, ...secret]),
    c: envLine([['PROVISIONING_HOST', dps.host], ...common, ...secret]),
  }
  const notes: string[] = []
  if (dps.port !== 8883)
    notes.push(
      `DPS is on port ${dps.port}: the Python, Java and C SDKs dial 8883 only (Node and C# take a port). Start the lab with --dps-port 8883 or free that port.`,
    )
  if (!facts.webSockets.enabled)
    notes.push(
      `MQTT over WebSockets is off (${facts.webSockets.reason}): C# and Java reach a hub only that way, and C does most simply; Node and Python (with its forwarders) do not need it.`,
    )
  if (connectedTo)
    notes.push(
      `${registrationId} is connected to hub ${connectedTo.toUpperCase()} now: a second client with that id takes its place (--device picks another).`,
    )
  if (!chosen)
    notes.push(
      `${registrationId} is a suggestion: any id of letters, digits and - . _ : will do (--device ID); keep one per running device.`,
    )
  notes.push(
    'The lab listens on 127.0.0.1 only: a device on another machine reaches it through a tunnel (README "Test your own device").',
  )
  return {
    controlUrl: url,
    provisioningHost: facts.dpsHost,
    dps,
    idScope: facts.idScope,
    registrationId,
    modelId: sampleModelId,
    caPath: facts.caPath,
    hubs,
    webSockets: facts.webSockets,
    ...(key !== undefined
      ? { groupPrimaryKey: key, deviceKey: deriveDeviceKey(key, registrationId) }
      : {}),
    env,
    notes,
  }
}

/**
 * Label, value, remark: aligned like lizard's other tables, except that a value too long to align
 * (a key, a long path) does not push every remark off the screen.
 */
function rowsText(rows: [label: string, value: string, remark: string][]): string {
  const w1 = Math.max(...rows.map((r) => r[0].length))
  const w2 = Math.max(...rows.map((r) => (r[1].length <= 40 ? r[1].length : 0)))
  return rows
    .map(([l, v, r]) => `${l.padEnd(w1)}  ${r ? `${v.padEnd(w2)}  ${r}` : v}`.trimEnd())
    .join('\n')
}

function text(info: ConnectInfo, keyPath: string | null): string {
  const hubRow = (name: 'a' | 'b'): [string, string, string] => {
    const h = info.hubs[name]
    return [
      `hub ${name.toUpperCase()}`,
      `${h.host}:${h.port}`,
      h.webSocketHost
        ? `as DPS names it; over WebSockets ${h.webSocketHost}:443`
        : 'as DPS names it',
    ]
  }
  const ws = info.webSockets
  const rows: [string, string, string][] = [
    [
      'provisioning host',
      info.provisioningHost,
      `DPS over MQTT/TLS: host ${info.dps.host}, port ${info.dps.port}`,
    ],
    ['id scope', info.idScope, ''],
    [
      'group key',
      info.groupPrimaryKey ?? 'hidden',
      info.groupPrimaryKey ? `from ${keyPath}` : 'add --show-key (as the lab owner)',
    ],
    ...(info.deviceKey
      ? [
          ['device key', info.deviceKey, `derived for ${info.registrationId}`] as [
            string,
            string,
            string,
          ],
        ]
      : []),
    ['registration id', info.registrationId, 'the device id too'],
    ['model id', info.modelId, "the reference samples' model (failover.json)"],
    ['CA file', info.caPath, 'trust it (--ca-pem prints it); never turn verification off'],
    hubRow('a'),
    hubRow('b'),
    [
      'WebSockets (443)',
      ws.enabled ? 'on' : 'off',
      ws.enabled
        ? `DPS ${wsAddresses.dps}, hub A ${wsAddresses.a}, hub B ${wsAddresses.b}`
        : ws.reason,
    ],
  ]
  return [
    `The lab at ${info.controlUrl}, as a device reaches it (README: Test your own device)`,
    '',
    rowsText(rows),
    '',
    info.groupPrimaryKey
      ? 'Per sample, as environment variables:'
      : 'Per sample, as environment variables (the group key only with --show-key):',
    table(Object.entries(info.env)),
    '',
    ...info.notes.map((n) => `- ${n}`),
  ].join('\n')
}

/**
 * `lizard connect-info [--device ID] [--show-key] [--ca-pem] [--json] [--url URL]`: prints what a
 * device needs to reach the running lab. Returns the exit code (0, 1 on a lab error, 2 on usage).
 */
export async function connectInfo(
  args: string[],
  out: Writer = process.stdout,
  err: Writer = process.stderr,
): Promise<number> {
  try {
    const o = parseArgs(args)
    if (o.help) {
      out.write(connectInfoUsage + '\n')
      return 0
    }
    const registrationId = o.device ?? suggestedRegistrationId
    const problem = registrationIdProblem(registrationId)
    if (problem)
      throw new UsageError(`--device: a registration id ${problem}, not "${registrationId}"`)
    const url = await labUrl(o.url)
    const parsed = factsSchema.safeParse(await getJson(url, '/lab'))
    if (!parsed.success) throw new LabError(`${url}/lab does not answer as the lab does`)
    const facts = parsed.data

    let caPem: string | undefined
    if (o.caPem) {
      try {
        caPem = readFileSync(facts.caPath, 'utf8')
      } catch (e) {
        throw new LabError(`cannot read the lab's CA ${facts.caPath}: ${(e as Error).message}`)
      }
      if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
        throw new LabError(`${facts.caPath} holds no PEM certificate`)
      if (!o.json) {
        out.write(caPem.endsWith('\n') ? caPem : caPem + '\n')
        return 0
      }
    }

    const key = o.showKey ? readGroupKey(facts) : undefined
    // Whether that id is online now is worth a line; a lab that cannot say is no error.
    let connectedTo: string | null = null
    try {
      const devices = devicesSchema.safeParse(await getJson(url, '/devices'))
      if (devices.success)
        connectedTo = devices.data.find((d) => d.deviceId === registrationId)?.connectedTo ?? null
    } catch {
      connectedTo = null
    }
    const info = build(url, facts, registrationId, o.device !== undefined, connectedTo, key?.key)
    if (caPem !== undefined) info.caPem = caPem
    out.write((o.json ? JSON.stringify(info, null, 2) : text(info, key?.path ?? null)) + '\n')
    return 0
  } catch (e) {
    err.write(`lizard: ${(e as Error).message}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}
