import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FleetReport } from '../electron/fleet/report'
import type { Bench } from './setup'

// The fleet: a thousand devices through an outage and back with the lab's DPS at IoT Central's
// quota, against the floor that quota sets; then how many devices one process holds, and four
// shards together. Each run is the fleet runner itself (`fleet`, from source) in a process of
// its own with its own embedded lab, so its RSS and CPU are the fleet's alone.

const entry = join(import.meta.dirname, '../scripts/entries/fleet.ts')

function runFleet(bench: Bench, name: string, args: string[]): Promise<FleetReport> {
  const file = join(bench.dir, `fleet-${name}.json`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args, '--report', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let tail = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (s: string) => {
      tail = (tail + s).slice(-4000)
      const last = s.trimEnd().split('\n').at(-1)
      if (last?.startsWith('fleet ')) bench.progress(`fleet ${name}: ${last.slice(6, 150)}`)
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(readFileSync(file, 'utf8')) as FleetReport)
      } catch {
        reject(new Error(`fleet ${name} exited ${code} without a report: ${tail.slice(-600)}`))
      }
    })
  })
}

const r2 = (x: number) => Math.round(x * 100) / 100
const kb = (bytes: number) => Math.round(bytes / 1024)

/** The figures of a run: data, registrations, memory and CPU per device. */
function figures(r: FleetReport, baselineRss: number | null) {
  const p = r.processes
  const rss = p.reduce((n, x) => n + x.peakRssBytes, 0)
  const cpuMs = p.reduce((n, x) => n + x.cpuUserMs + x.cpuSystemMs, 0)
  return {
    devices: r.totals.devices,
    connectedAtEnd: r.totals.connectedAtEnd,
    notConnectedAtEnd: r.totals.notConnectedAtEnd,
    firstConnect100Ms: r.totals.firstConnectMs.p100,
    produced: r.totals.produced,
    acknowledged: r.totals.acknowledged,
    lost: r.totals.lost,
    duplicates: r.totals.duplicates,
    missing: r.totals.missing,
    peakRssMB: Math.round(rss / 2 ** 20),
    rssPerDeviceKB:
      baselineRss === null
        ? null
        : kb((rss - baselineRss * p.length) / Math.max(1, r.totals.devices - p.length)),
    /** Share of one core per device over the whole run (ramp and waves included). */
    cpuPercentOfCorePerDevice:
      r2((cpuMs / r.fleet.durationMs / r.totals.devices) * 100 * 100) / 100,
    eventLoopDelayMaxMs: Math.max(...p.map((x) => x.eventLoopDelayMs.max)),
  }
}

function wave(r: FleetReport, kind: 'failover' | 'failback', floorMs: number) {
  const w = r.waves.find((x) => x.kind === kind)
  if (!w) return null
  return {
    cause: w.cause,
    devices: w.devices,
    back: w.back,
    backMs: w.backMs,
    firstAckMs: w.ackMs,
    floorMs: Math.round(floorMs),
    p100OverFloor: w.backMs.p100 === null ? null : r2(w.backMs.p100 / floorMs),
    registrationsPerDevice: w.registrationsPerDevice,
    throttled: w.throttled,
  }
}

export async function benchFleet(bench: Bench) {
  const o = bench.o
  const n = o.fleetDevices
  const rate = o.fleetDpsRate
  const detect = o.dpsDetect
  const rebalance = o.rebalance
  const tel = o.fleetTelemetrySec
  const common = ['--telemetry', `${tel}s`, '--lab-dps-detect', String(detect)]
  // Long enough for every device to send and have acknowledged a few readings after the ramp.
  const settle = 3 * tel + 5

  bench.progress('fleet: one device, for the baseline RSS')
  const one = await runFleet(bench, 'one', [
    '--devices',
    '1',
    '--duration',
    `${settle}s`,
    ...common,
  ])
  const baseline = one.processes[0]!.peakRssBytes

  // The quota from just before the outage: the first connections of a thousand devices at
  // 200 a minute would take five minutes and are not what is measured.
  const waveSec = Math.ceil(n / 2 / (rate / 60))
  const outageSec = detect + Math.ceil(1.5 * waveSec) + 10
  const startSec = 5 + Math.ceil(n / 50)
  const scenario = `${startSec}s dps rate ${rate}/min; ${startSec + 2}s outage a ${outageSec}s`
  const durationSec = startSec + 2 + outageSec + rebalance + 3 * waveSec + 60
  bench.progress(`fleet: ${n} devices, ${scenario}`)
  const outage = await runFleet(bench, 'outage', [
    '--devices',
    String(n),
    '--duration',
    `${durationSec}s`,
    '--until-settled',
    '--lab-rebalance',
    String(rebalance),
    '--scenario',
    scenario,
    ...common,
  ])
  const failover = outage.waves.find((w) => w.kind === 'failover')
  const failback = outage.waves.find((w) => w.kind === 'failback')
  const perSec = rate / 60
  const result = {
    devices: n,
    dpsRatePerMin: rate,
    detectSec: detect,
    scenario,
    outage: {
      failover: wave(
        outage,
        'failover',
        detect * 1000 + ((failover?.devices ?? 0) / perSec) * 1000,
      ),
      failback: wave(outage, 'failback', ((failback?.devices ?? 0) / perSec) * 1000),
      registrationsPerMovedDevice: outage.totals.registrationsPerMovedDevice,
      registrationsPerMove: outage.totals.registrationsPerMove,
      throttled: outage.totals.throttled,
      ...figures(outage, baseline),
    },
    scale: null as unknown,
    shards: null as unknown,
  }

  const scale = o.fleetScale
  bench.progress(`fleet: ${scale} devices in one process`)
  // Until every device is connected with its readings acknowledged, bounded by 10 connects a
  // second: the machine, not the connect rate (100/s), sets the pace of TLS handshakes.
  const big = await runFleet(bench, 'scale', [
    '--devices',
    String(scale),
    '--duration',
    `${Math.ceil(scale / 10) + settle}s`,
    '--until-settled',
    ...common,
  ])
  result.scale = figures(big, baseline)

  const total = o.fleetShardsDevices
  bench.progress(`fleet: ${total} devices as 4 local shards`)
  const sharded = await runFleet(bench, 'shards', [
    '--devices',
    String(total),
    '--processes',
    '4',
    '--duration',
    // Shards cannot end when settled (each would on its own): a duration at 25 connects a second.
    `${Math.ceil(total / 25) + settle}s`,
    ...common,
  ])
  result.shards = { processes: 4, ...figures(sharded, baseline) }
  return result
}
