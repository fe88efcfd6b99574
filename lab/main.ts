import { defaultControlPort, defaultDataDir, defaultPorts } from './discovery'
import { defaultDelays, startLab } from './index'
import { defaultBurst, realQuotas, type QuotaSettings } from './quotas'

// `npm run lab`: the lab as a foreground process, printing what a device needs to connect.

const help = `npm run lab -- [options]

  --data-dir DIR       CA, certificates, enrollment and discovery entries (default ${defaultDataDir()})
  --dps-port N         DPS MQTT/TLS port (default ${defaultPorts.dps})
  --hub-a-port N       hub A port (default ${defaultPorts.a})
  --hub-b-port N       hub B port (default ${defaultPorts.b})
  --control-port N     control API port (default ${defaultControlPort})
  --id-scope S         id scope (default: generated once, then kept)
  --group-key K        group primary key (base64; default: generated once, then kept)
  --retry-after N      seconds DPS asks devices to wait before polling (default 1)
  --ttl N              default failover ttl in minutes (default 5)
  --dps-detect N       seconds until DPS notices a killed or blackholed hub and assigns its
                       devices the other hub (default ${defaultDelays.dpsDetectSec})
  --rebalance N        seconds after a hub returns until DPS names it again and its devices
                       fail back (default ${defaultDelays.rebalanceSec})
  --dps-unaware        DPS is never told of a hub outage: it keeps naming the dead hub
  --max-token-lifetime N
                       hubs refuse SAS tokens that expire more than N seconds ahead
                       (default: any lifetime; expired tokens are always dropped)
  --models DIR         device templates (*.json in DIR, walked; repeat for more folders): a
                       device whose hub connection names one (model-id) has its telemetry and
                       reported properties checked against it (npx lizard conformance <id>)
  --dps-rate N         DPS registrations per minute for the id scope, past which DPS answers
                       429 (default ${realQuotas.dpsRate}, IoT Central's; a standalone DPS: 1000; 0: no limit)
  --dps-burst N        registrations DPS takes at once before the rate applies
                       (default 5 s worth of the rate: ${defaultBurst(realQuotas.dpsRate)} at ${realQuotas.dpsRate}/min)
  --poll-limit N       operation-status polls per device per 10 s (default ${realQuotas.pollLimit}; 0: no limit)
  --hub-connect-rate N new connections per second per hub, past which CONNACK 3
                       (default ${realQuotas.hubConnectRate}, an S1 hub's floor; 0: no limit)
                       Quotas change at run time too: npx lizard quotas --dps-rate N …
  --no-websockets      do not serve MQTT over WebSockets on 443`

const known = new Set(['help', ...[...help.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!)])
const switches = new Set(['help', 'no-websockets', 'dps-unaware'])

function args(argv: string[]): { a: Record<string, string | true>; models: string[] } {
  const out: Record<string, string | true> = {}
  const models: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`)
    const name = a.slice(2)
    if (!known.has(name)) throw new Error(`unknown option --${name}`)
    if (switches.has(name)) out[name] = true
    else if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`)
    else if (name === 'models') models.push(argv[++i]!)
    else out[name] = argv[++i]!
  }
  return { a: out, models }
}

/** A number option: a typo must stop the lab, not start one that quietly misbehaves. */
function number(
  v: string | true | undefined,
  name: string,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v === true || v.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new Error(`--${name} takes ${what}, not "${String(v)}"`)
  return n
}

function port(v: string | true | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${String(v)}`)
  return n
}

async function main(): Promise<void> {
  let a: Record<string, string | true>
  let models: string[]
  let retryAfter: number | undefined
  let ttl: number | undefined
  let dpsDetect: number | undefined
  let rebalance: number | undefined
  let maxTokenLifetime: number | undefined
  const quotas: Partial<QuotaSettings> = {}
  try {
    ;({ a, models } = args(process.argv.slice(2)))
    if (a.help) {
      console.log(help)
      return
    }
    retryAfter = number(a['retry-after'], 'retry-after', (n) => n >= 0, 'seconds, 0 or more')
    ttl = number(a.ttl, 'ttl', (n) => n > 0, 'minutes, more than 0')
    dpsDetect = number(
      a['dps-detect'],
      'dps-detect',
      (n) => n >= 0 && n <= 3600,
      'seconds, 0 to 3600',
    )
    rebalance = number(a.rebalance, 'rebalance', (n) => n >= 0 && n <= 3600, 'seconds, 0 to 3600')
    maxTokenLifetime = number(
      a['max-token-lifetime'],
      'max-token-lifetime',
      (n) => n > 0,
      'seconds, more than 0',
    )
    const whole = (name: string, least: number, most: number) =>
      number(
        a[name],
        name,
        (n) => Number.isInteger(n) && n >= least && n <= most,
        `a whole number, ${least} to ${most}`,
      )
    const quotaFlags = {
      dpsRate: whole('dps-rate', 0, 1_000_000),
      dpsBurst: whole('dps-burst', 1, 1_000_000),
      pollLimit: whole('poll-limit', 0, 10_000),
      hubConnectRate: whole('hub-connect-rate', 0, 1_000_000),
    }
    for (const [k, v] of Object.entries(quotaFlags))
      if (v !== undefined) (quotas as Record<string, number>)[k] = v
  } catch (e) {
    console.error(`lab: ${(e as Error).message}\n\n${help}`)
    process.exitCode = 2
    return
  }
  const stamp = () => new Date().toISOString().slice(11, 23)
  const lab = await startLab({
    dataDir: typeof a['data-dir'] === 'string' ? a['data-dir'] : undefined,
    dpsPort: port(a['dps-port']),
    hubAPort: port(a['hub-a-port']),
    hubBPort: port(a['hub-b-port']),
    controlPort: port(a['control-port']),
    idScope: typeof a['id-scope'] === 'string' ? a['id-scope'] : undefined,
    groupPrimaryKey: typeof a['group-key'] === 'string' ? a['group-key'] : undefined,
    dpsRetryAfterSec: retryAfter,
    defaultTtlMinutes: ttl,
    dpsDetectSec: dpsDetect,
    rebalanceSec: rebalance,
    dpsUnaware: a['dps-unaware'] === true,
    maxTokenLifetimeSec: maxTokenLifetime,
    quotas,
    webSockets: !a['no-websockets'],
    models,
    log: (line) => console.log(`${stamp()}  ${line}`),
  })
  console.log(`IoT Central HA lab is running
  DPS (provisioning host)  ${lab.dpsHost}
  hub A                    ${lab.hubs.a.host}
  hub B                    ${lab.hubs.b.host}
  id scope                 ${lab.idScope}
  group primary key        ${lab.groupPrimaryKey}
  group secondary key      ${lab.groupSecondaryKey}
  CA certificate           ${lab.caPath}
  control API              ${lab.controlUrl}
  MQTT over WebSockets     ${lab.webSockets.enabled ? 'on 443 (DPS 127.0.0.1, hub A 127.0.0.2, hub B 127.0.0.3)' : `off: ${lab.webSockets.reason}`}
  device templates         ${models.length ? `${lab.state.templates.list().length} from ${models.join(', ')}` : 'none yet (--models DIR, or npx lizard model add FILE)'}
  quotas                   ${quotaLine({ ...realQuotas, ...quotas })}
  DPS and hub health       ${a['dps-unaware'] ? 'DPS is never told of an outage' : `DPS notices a dead hub after ${dpsDetect ?? defaultDelays.dpsDetectSec} s, trusts a returned one after ${rebalance ?? defaultDelays.rebalanceSec} s`}

Try: npx lizard devices · npx lizard failover <deviceId> · npx lizard outage a · Ctrl+C to stop`)
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    console.log('stopping the lab…')
    await lab.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

function quotaLine(q: QuotaSettings): string {
  const dps =
    q.dpsRate === 0
      ? 'DPS registrations unlimited'
      : `DPS ${q.dpsRate} registrations/min (burst ${q.dpsBurst ?? defaultBurst(q.dpsRate)})`
  const polls = q.pollLimit === 0 ? 'polls unlimited' : `${q.pollLimit} polls/10 s per device`
  const hubs =
    q.hubConnectRate === 0 ? 'hub connects unlimited' : `${q.hubConnectRate} connects/s per hub`
  return `${dps} · ${polls} · ${hubs}`
}

main().catch((e: unknown) => {
  console.error(`lab: ${(e as Error).message}`)
  process.exit(1)
})
