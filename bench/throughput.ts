import type { LabFacts } from '../tests/integration/fixtures/engine'
import { type Bench, labTelemetry, median } from './setup'
import type { WorkerJob, WorkerMode, WorkerResult } from './throughput-worker'

const contenders: { mode: WorkerMode; name: string }[] = [
  { mode: 'raw', name: 'rawMqttJs' },
  { mode: 'drain', name: 'engineDrain' },
  { mode: 'burst-group', name: 'engineBurstGroupCommit' },
  { mode: 'burst-single', name: 'engineBurstOneByOne' },
]

function runWorker(bench: Bench, job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = bench.run('throughput-worker.ts', 'BENCH_WORKER', job)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as WorkerResult)
        : reject(new Error(`bench: throughput worker ${job.mode} exited with ${code}`)),
    )
  })
}

/**
 * Telemetry throughput on one lab hub, each contender in a fresh process of its own (the lab
 * stays in this one), --throughput-runs times in turn, medians reported:
 *   rawMqttJs               the SDK's own mqtt.js 4.x, n QoS 1 publishes at once, same topic,
 *                           properties and payload as the engine's
 *   engineDrain             the engine (DeviceSession) sending a backlog of n journaled readings
 *   engineBurstGroupCommit  the engine's parts given n readings at once: journaled with one
 *                           fsync (GroupCommit), then sent
 *   engineBurstOneByOne     the same, each reading journaled with its own fsync (what the
 *                           session does for the one reading each telemetry tick makes)
 * Each run: ms from the first message handed over to the last PUBACK; CPU time of the
 * contender's process over that span; its resident memory at the end and at its peak.
 */
export async function benchThroughput(bench: Bench) {
  const { lab, o } = bench
  const n = o.messages
  const { idScope, groupPrimaryKey, dpsHost, ca, controlUrl, hubs } = lab
  const facts: LabFacts = { idScope, groupPrimaryKey, dpsHost, ca, controlUrl, hubs }
  const results = new Map<WorkerMode, (WorkerResult & { received: number })[]>()
  const measure = async (mode: WorkerMode, deviceId: string, messages: number) => {
    lab.state.register(deviceId)
    const host = lab.hubs[lab.state.devices.get(deviceId)!.homeHub].host
    const job = {
      mode,
      lab: facts,
      deviceId,
      host,
      dataDir: bench.dataDirOf(deviceId),
      n: messages,
    }
    const r = await runWorker(bench, job)
    return { ...r, received: (await labTelemetry(lab, deviceId, 0)).stats.unique }
  }
  // Untimed: the lab's own code paths warm up here, not in the first contender's run.
  bench.progress(`throughput: warming the lab up`)
  await measure('raw', 'bench-tp-warm-up', Math.ceil(n / 4))
  for (let run = 1; run <= o.throughputRuns; run++) {
    for (const { mode } of contenders) {
      bench.progress(`throughput: ${mode}, ${n} messages (run ${run}/${o.throughputRuns})`)
      const r = await measure(mode, `bench-tp-${mode}-${run}`, n)
      results.set(mode, [...(results.get(mode) ?? []), r])
    }
  }
  const figures = (mode: WorkerMode) => {
    const rs = results.get(mode)!
    const ms = median(rs.map((r) => r.ms))!
    return {
      perSecond: Math.round((n / ms) * 1000),
      ms,
      cpuMsPer1000: median(rs.map((r) => Math.round((r.cpuMs / n) * 1000 * 10) / 10)),
      peakRssMB: median(rs.map((r) => r.peakRssMB)),
      endRssMB: median(rs.map((r) => r.rssMB)),
      rssGrowthMB: median(rs.map((r) => r.rssMB - r.rssBeforeMB)),
      receivedUnique: Math.min(...rs.map((r) => r.received)),
      runsMs: rs.map((r) => r.ms),
    }
  }
  const out = Object.fromEntries(contenders.map((c) => [c.name, figures(c.mode)])) as Record<
    string,
    ReturnType<typeof figures>
  >
  // Each round's contenders ran one after the other: a ratio within a round is not moved by
  // what the machine does between rounds. The median of the rounds' ratios is given.
  const raws = results.get('raw')!
  const ratioToRaw = (mode: WorkerMode) =>
    median(results.get(mode)!.map((r, i) => Math.round((raws[i]!.ms / r.ms) * 100)))! / 100
  return {
    messages: n,
    runs: o.throughputRuns,
    mqttJs: '4.x (the copy azure-iot-mqtt-base ships)',
    ...out,
    ratioToRaw: Object.fromEntries(
      contenders.filter((c) => c.mode !== 'raw').map((c) => [c.name, ratioToRaw(c.mode)]),
    ),
  }
}
