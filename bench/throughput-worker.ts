import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { HubLink, type LinkHandlers } from '../electron/device/hub-link'
import { DeviceSession } from '../electron/device/index'
import { Outbox, type NewItem } from '../electron/device/outbox'
import { GroupCommit } from '../electron/device/group-commit'
import { Sender } from '../electron/device/sender'
import { deriveDeviceKey, makeSasToken } from '../lab/sas'
import { type LabFacts, model, sessionOptions } from '../tests/integration/fixtures/engine'

// One throughput contender in a process of its own, so its CPU time and memory are its own and
// not the lab's (which runs in the parent). Prints one JSON line (WorkerResult).
// The parent hands in BENCH_WORKER = { mode, lab, deviceId, host, dataDir, n }.
//   raw          the SDK's own mqtt.js 4.x: n QoS 1 publishes of the engine's payload and topic
//   drain        the engine (DeviceSession) sending a backlog of n journaled messages
//   burst-single the engine's parts producing n messages at once, one journal write + fsync each
//   burst-group  the same, the n messages committed together (Outbox.addBatch)

export type WorkerMode = 'raw' | 'drain' | 'burst-single' | 'burst-group'

export interface WorkerJob {
  mode: WorkerMode
  lab: LabFacts
  deviceId: string
  /** The hub the device is assigned to (raw and burst connect there directly). */
  host: string
  dataDir: string
  n: number
}

export interface WorkerResult {
  ms: number
  cpuMs: number
  /** Resident memory when the timed part began (connected, backlog loaded), and at its end. */
  rssBeforeMB: number
  rssMB: number
  peakRssMB: number
  acked: number
}

const job = JSON.parse(process.env['BENCH_WORKER'] ?? '{}') as WorkerJob

/** The body the engine sends (the model's telemetry), the same for every contender. */
export const benchBody = { temp: 21.53, humidity: 40.25 }

/** What the SDK puts on the wire for one of our telemetry messages (see Mqtt._getEventTopicFromMessage). */
export function telemetryTopic(deviceId: string, seq: number): string {
  const mid = encodeURIComponent(`${deviceId}-${seq}`)
  return `devices/${deviceId}/messages/events/%24.mid=${mid}&%24.ct=application%2Fjson&%24.ce=utf-8&seq=${seq}`
}

interface Mqtt4Client {
  on(event: 'connect', cb: () => void): void
  on(event: 'error', cb: (e: Error) => void): void
  publish(topic: string, payload: string, opts: { qos: 1 }, cb: (err?: Error) => void): void
  end(force: boolean, cb: () => void): void
}

/** mqtt.js as the SDK ships it (4.x), not the repo's own newer copy: like with like. */
function sdkMqtt(): { connect(url: string, o: Record<string, unknown>): Mqtt4Client } {
  const local = createRequire(import.meta.url)
  return createRequire(local.resolve('azure-iot-mqtt-base'))('mqtt') as ReturnType<typeof sdkMqtt>
}

async function raw(): Promise<() => Promise<number>> {
  const { lab, deviceId, host } = job
  const key = deriveDeviceKey(lab.groupPrimaryKey, deviceId)
  const sr = encodeURIComponent(`${host}/devices/${deviceId}`)
  const client = sdkMqtt().connect(`mqtts://${host}`, {
    clientId: deviceId,
    username: `${host}/${deviceId}/?api-version=2021-04-12`,
    password: makeSasToken(key, sr, Math.floor(Date.now() / 1000) + 3600),
    ca: lab.ca,
    clean: false,
    reconnectPeriod: 0,
    keepalive: 180,
  })
  await new Promise<void>((resolve, reject) => {
    client.on('connect', resolve)
    client.on('error', reject)
  })
  const payload = JSON.stringify(benchBody)
  return async () => {
    let acked = 0
    await new Promise<void>((resolve, reject) => {
      for (let seq = 1; seq <= job.n; seq++)
        client.publish(telemetryTopic(deviceId, seq), payload, { qos: 1 }, (err) => {
          if (err) return reject(err)
          if (++acked === job.n) resolve()
        })
    })
    await new Promise<void>((resolve) => client.end(false, resolve))
    return acked
  }
}

async function drain(): Promise<() => Promise<number>> {
  const { lab, deviceId, dataDir, n } = job
  // Journaled as an offline device would have left it; the filling is not timed.
  const outbox = new Outbox(dataDir, n + 10)
  for (let i = 0; i < n; i += 1000)
    outbox.addBatch(
      Array.from({ length: Math.min(1000, n - i) }, () => ({
        kind: 'telemetry' as const,
        at: Date.now(),
        body: benchBody,
      })),
    )
  outbox.close()
  const session = new DeviceSession(
    sessionOptions(lab, deviceId, dataDir, {
      behaviours: { telemetry: false, reportedProperties: false },
      outboxLimit: n + 10,
    }),
  )
  await session.connect()
  await poll(() => session.snapshot().state.kind === 'connected')
  // Timed from here: the link is up and the backlog is going out.
  return async () => {
    await poll(() => session.snapshot().counters.acknowledged >= n)
    const acked = session.snapshot().counters.acknowledged
    await session.close()
    return acked
  }
}

/**
 * Checks a condition every 2 ms. Not an event listener: a snapshot taken on every 'changed' event
 * (two per message) would cost the engine more than the app's own throttled listeners do.
 */
async function poll(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 2))
}

const noHandlers: LinkHandlers = {
  method: () => {},
  c2d: () => {},
  desired: () => {},
  dropped: () => {},
}

async function burst(group: boolean): Promise<() => Promise<number>> {
  const { lab, deviceId, host, dataDir, n } = job
  const link = await HubLink.open(
    {
      host,
      deviceId,
      deviceKey: deriveDeviceKey(lab.groupPrimaryKey, deviceId),
      modelId: model.id,
      transport: 'mqtt',
      ca: lab.ca,
      keepAliveSec: 60,
      connectTimeoutMs: 10_000,
      twinTimeoutMs: 10_000,
      c2d: false,
      tokenValiditySec: 3600,
      tokenRenewalMarginSec: 900,
    },
    noHandlers,
    new AbortController().signal,
  )
  const outbox = new Outbox(dataDir, n + 10)
  let acked = 0
  let drained: () => void = () => {}
  const isDrained = new Promise<void>((resolve) => (drained = resolve))
  const sender = new Sender(outbox, {
    sent: () => {},
    acked: () => ++acked === n && drained(),
    refused: () => {},
  })
  sender.attach(link)
  const input = (): NewItem => ({ kind: 'telemetry', at: Date.now(), body: benchBody })
  return async () => {
    if (group) {
      const commit = new GroupCommit(outbox, sender, {
        dropped: () => {},
        failed: (e) => {
          throw e
        },
      })
      for (let i = 0; i < n; i++) commit.add(input())
    } else {
      // What the session does with each reading: journal it (durably), then hand it on.
      for (let i = 0; i < n; i++) sender.push(outbox.add(input()).item)
    }
    await isDrained
    await link.close(2000)
    outbox.close()
    return acked
  }
}

/** A CPU profile of the timed part only (BENCH_PROFILE=file), for finding where the time goes. */
async function profile(file: string): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises')
  const { writeFileSync } = await import('node:fs')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

async function main(): Promise<void> {
  mkdirSync(job.dataDir, { recursive: true })
  const prepare = {
    raw,
    drain,
    'burst-single': () => burst(false),
    'burst-group': () => burst(true),
  }[job.mode]
  const run = await prepare()
  const stopProfile = process.env['BENCH_PROFILE']
    ? await profile(`${process.env['BENCH_PROFILE']}-${job.mode}.cpuprofile`)
    : null
  const rssBefore = process.memoryUsage().rss
  // Sampled: getrusage's peak survives exec on Linux, so a child would report its parent's.
  let peakRss = rssBefore
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const acked = await run()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
  await stopProfile?.()
  const result: WorkerResult = {
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssBeforeMB: Math.round(rssBefore / 2 ** 20),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    peakRssMB: Math.round(peakRss / 2 ** 20),
    acked,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`throughput worker: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
