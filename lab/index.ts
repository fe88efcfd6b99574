import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureCerts } from './certs'
import { ControlApi } from './control'
import {
  defaultControlPort,
  defaultDataDir,
  defaultPorts,
  removeDiscovery,
  writeDiscovery,
} from './discovery'
import { Dps } from './dps'
import { HubHealth } from './health'
import { Hub } from './hub'
import { HubControl } from './hub-control'
import type { ModelDocument } from '../shared/dtdl/types'
import { folderResolver, ModelFileError, readModelDocuments } from './model-files'
import { noQuotas, Quotas } from './quotas'
import { LabState } from './state'
import { TelemetryBudget } from './telemetry'
import type { TemplateRegistry } from './templates'
import type { HubName, LabHandle, LabOptions } from './types'
import { serveWebSockets, wsAddresses } from './websockets'
import { WireLog } from './wire-log'

export type { LabHandle, LabOptions, HubName } from './types'

/**
 * A lab that shares nothing with others on this machine: free ports, its own folder, no discovery
 * file; and no quotas, so tests and the bench that start many devices at once are not throttled
 * unless they ask (`quotas: { dpsRate: 200 }` — what such a call does not name is then IoT
 * Central's, since it replaces the whole `quotas`).
 */
export function privateLabOptions(dataDir: string): LabOptions {
  return {
    dataDir,
    dpsPort: 0,
    hubAPort: 0,
    hubBPort: 0,
    controlPort: 0,
    webSockets: false,
    writeDiscovery: false,
    quotas: { ...noQuotas },
  }
}
export { deriveDeviceKey } from './sas'
export { findLabs, pickLab } from './discovery'

/**
 * Default delays of DPS's view of hub health. Detection: about one missed health probe at the
 * 10 s interval Azure's fast probes use, so a device notices the loss (reset or keep-alive)
 * before DPS does, as it would in the field. Rebalance: a returning data center is trusted only
 * after three such probes, so a flapping hub does not bounce its devices back and forth.
 */
export const defaultDelays = { dpsDetectSec: 10, rebalanceSec: 30 }

interface Enrollment {
  idScope: string
  groupPrimaryKey: string
  groupSecondaryKey: string
}

/** The enrollment survives restarts so devices and saved settings keep working. */
function loadEnrollment(dataDir: string, options: LabOptions): Enrollment {
  const path = join(dataDir, 'enrollment.json')
  let saved: Partial<Enrollment> = {}
  if (existsSync(path)) {
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<Enrollment>
    } catch {
      saved = {}
    }
  }
  const e: Enrollment = {
    idScope:
      options.idScope ?? saved.idScope ?? '0ne' + randomBytes(4).toString('hex').toUpperCase(),
    groupPrimaryKey:
      options.groupPrimaryKey ?? saved.groupPrimaryKey ?? randomBytes(64).toString('base64'),
    groupSecondaryKey:
      options.groupSecondaryKey ?? saved.groupSecondaryKey ?? randomBytes(64).toString('base64'),
  }
  writeFileSync(path, JSON.stringify(e, null, 2) + '\n', { mode: 0o600 })
  return e
}

/**
 * Every template in a models folder, each resolving what it references in the folder; later, any
 * DTMI a device names is looked for there by the repository layout. A folder that is not there
 * stops the lab (a typo must not start a lab that checks nothing); a template that does not load
 * is logged, problem by problem, and the others are kept.
 */
function loadModelFolder(templates: TemplateRegistry, dir: string, log: (s: string) => void) {
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch (e) {
    throw new Error(
      `--models ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}`,
    )
  }
  if (!isDir) throw new Error(`--models ${dir}: not a folder`)
  templates.addResolver(folderResolver(dir))
  let docs: ModelDocument[]
  try {
    docs = readModelDocuments([dir])
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw e
    // A whole models repository is more than one load takes: its templates are read as devices
    // name them (the repository layout finds each).
    log(`templates: ${e.message}; a template is read from ${dir} when a device names it`)
    return
  }
  const r = templates.add(docs, 'each')
  if (!r.ok && r.full) throw new Error(r.message)
  const loaded = r.reports.filter((x) => x.loaded)
  // A whole models repository would be a page of lines: past a few, a count says enough.
  if (loaded.length > 10) log(`templates: ${loaded.length} loaded from ${dir}`)
  for (const x of r.reports) {
    if (x.loaded) {
      if (loaded.length <= 10) log(`templates: ${x.modelId} from ${x.source}`)
      continue
    }
    log(`templates: ${x.source} does not load:`)
    for (const p of x.problems.slice(0, 5)) log(`  ${p.path || '(file)'}: ${p.message}`)
    if (x.problems.length > 5)
      log(`  … ${x.problems.length - 5} more: npx lizard model check ${x.source}`)
  }
  if (docs.length === 0) log(`templates: ${dir} holds no .json files`)
}

/** Binds `wanted`, or an ephemeral port when it is taken (saying so). */
async function listenOr(
  wanted: number,
  what: string,
  listen: (port: number) => Promise<number>,
  log: (s: string) => void,
): Promise<number> {
  try {
    return await listen(wanted)
  } catch (e) {
    if (wanted === 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
    const port = await listen(0)
    log(`${what}: port ${wanted} is taken; using ${port} instead`)
    return port
  }
}

export async function startLab(options: LabOptions = {}): Promise<LabHandle> {
  const log = options.log ?? (() => {})
  const dataDir = options.dataDir ?? defaultDataDir()
  mkdirSync(dataDir, { recursive: true })
  const certs = ensureCerts(dataDir)
  const enrollment = loadEnrollment(dataDir, options)
  const tls = { key: certs.key, cert: certs.cert }
  const groupKeys = () => [enrollment.groupPrimaryKey, enrollment.groupSecondaryKey]

  const hubHosts: Record<HubName, string> = { a: '', b: '' }
  const health = new HubHealth(log)
  const quotas = new Quotas(options.quotas)
  const budget = options.telemetryBudget ?? {}
  const state = new LabState(
    hubHosts,
    options.defaultTtlMinutes ?? 5,
    (hub) => health.available(hub),
    log,
    new TelemetryBudget(budget.messages, budget.bytes, budget.ids),
  )
  health.on('changed', () => state.placeAll())
  // What the devices being examined do on the wire (`lizard exam`); nothing for the others.
  const wire = new WireLog()
  const hubs: Record<HubName, Hub> = {
    a: new Hub('a', state, groupKeys, tls, log, quotas, options.maxTokenLifetimeSec, wire),
    b: new Hub('b', state, groupKeys, tls, log, quotas, options.maxTokenLifetimeSec, wire),
  }
  const delays = {
    dpsDetectSec: options.dpsDetectSec ?? defaultDelays.dpsDetectSec,
    rebalanceSec: options.rebalanceSec ?? defaultDelays.rebalanceSec,
    dpsUnaware: options.dpsUnaware ?? false,
  }
  const controlled = (name: HubName) => ({
    name,
    get host() {
      return hubs[name].host
    },
    endpoint: hubs[name].endpoint,
    connectedCount: () => hubs[name].connectedCount,
  })
  const hubControl = new HubControl({ a: controlled('a'), b: controlled('b') }, health, delays, log)
  const instance = randomBytes(8).toString('hex')
  let wsEnabled = false
  const dps = new Dps(
    state,
    {
      idScope: enrollment.idScope,
      groupKeys,
      retryAfterSec: () => options.dpsRetryAfterSec ?? 1,
      hubHost: (hub, via) => (via === 'ws' && wsEnabled ? wsAddresses[hub] : hubs[hub].host),
      quotas,
      wire,
    },
    tls,
    log,
  )
  const stoppers: (() => Promise<void>)[] = []
  try {
    for (const dir of options.models ?? []) loadModelFolder(state.templates, dir, log)
    const dpsPort = await listenOr(
      options.dpsPort ?? defaultPorts.dps,
      'DPS',
      (p) => dps.start(p),
      log,
    )
    stoppers.push(() => dps.stop())
    for (const name of ['a', 'b'] as const) {
      const wanted = (name === 'a' ? options.hubAPort : options.hubBPort) ?? defaultPorts[name]
      await listenOr(wanted, `hub ${name.toUpperCase()}`, (p) => hubs[name].start(p), log)
      hubHosts[name] = hubs[name].host
      stoppers.push(() => hubs[name].stop())
    }

    let webSockets: LabHandle['webSockets'] = { enabled: false, reason: 'turned off' }
    if (options.webSockets !== false) {
      try {
        const ws = await serveWebSockets(tls, [
          { address: wsAddresses.dps, endpoint: dps.endpoint },
          { address: wsAddresses.a, endpoint: hubs.a.endpoint },
          { address: wsAddresses.b, endpoint: hubs.b.endpoint },
        ])
        stoppers.push(() => ws.stop())
        hubs.a.hostNames.push(wsAddresses.a)
        hubs.b.hostNames.push(wsAddresses.b)
        wsEnabled = true
        webSockets = { enabled: true }
      } catch (e) {
        const err = e as NodeJS.ErrnoException
        const why =
          err.code === 'EACCES'
            ? 'binding port 443 needs root (or CAP_NET_BIND_SERVICE)'
            : err.code === 'EADDRINUSE'
              ? 'port 443 is already in use'
              : err.code === 'EADDRNOTAVAIL'
                ? 'this system has no 127.0.0.2/127.0.0.3 loopback addresses'
                : err.message
        webSockets = { enabled: false, reason: why }
        log(`MQTT over WebSockets is off: ${why}`)
      }
    }

    const facts = () => ({
      idScope: enrollment.idScope,
      dpsHost: `127.0.0.1:${dpsPort}`,
      hubs: { a: hubControl.view('a'), b: hubControl.view('b') },
      caPath: certs.caPath,
      webSockets,
      dps: { mode: dps.mode, dropAfterConnack: dps.dropAfterConnack },
      hubModes: { a: hubs.a.endpoint.mode, b: hubs.b.endpoint.mode },
      delays,
      maxTokenLifetimeSec: options.maxTokenLifetimeSec ?? null,
      quotas: quotas.view(),
    })
    const control = new ControlApi({
      state,
      dps,
      hubs,
      hubControl,
      quotas,
      facts,
      instance,
      wire,
      log,
    })
    const controlPort = await listenOr(
      options.controlPort ?? defaultControlPort,
      'control API',
      (p) => control.listen(p),
      log,
    )
    stoppers.push(() => control.close())
    const controlUrl = `http://127.0.0.1:${controlPort}`

    if (options.writeDiscovery !== false) {
      const entry = writeDiscovery(dataDir, {
        controlUrl,
        dpsHost: `127.0.0.1:${dpsPort}`,
        idScope: enrollment.idScope,
        caPath: certs.caPath,
        hubs: { a: hubs.a.host, b: hubs.b.host },
        pid: process.pid,
        startedAt: new Date().toISOString(),
        instance,
      })
      stoppers.push(async () => removeDiscovery(entry))
    }

    let stopped: Promise<void> | null = null
    return {
      ...enrollment,
      dpsHost: `127.0.0.1:${dpsPort}`,
      hubs: {
        a: { host: hubs.a.host, port: hubs.a.endpoint.port },
        b: { host: hubs.b.host, port: hubs.b.endpoint.port },
      },
      controlUrl,
      ca: certs.ca,
      caPath: certs.caPath,
      webSockets,
      state,
      stop: () => (stopped ??= stopAll()),
    }
  } catch (e) {
    await stopAll()
    throw e
  }

  async function stopAll(): Promise<void> {
    state.dispose()
    health.dispose()
    hubControl.dispose()
    for (const s of stoppers.reverse()) await s().catch(() => {})
    stoppers.length = 0
  }
}
