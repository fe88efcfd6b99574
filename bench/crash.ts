import { createInterface } from 'node:readline'
import type { LabFacts } from '../tests/integration/fixtures/engine'
import { type Bench, labTelemetry, until } from './setup'

type Mode = 'session' | 'group'

/** Runs the offline producer until it has reported `n` readings on disk, then SIGKILLs it. */
async function produceThenKill(bench: Bench, mode: Mode, deviceId: string, n: number) {
  const { idScope, groupPrimaryKey, dpsHost, ca, controlUrl, hubs } = bench.lab
  const lab: LabFacts = { idScope, groupPrimaryKey, dpsHost, ca, controlUrl, hubs }
  const job = { lab, deviceId, dataDir: bench.dataDirOf(deviceId), mode, stopAt: 2 * n }
  const child = bench.run('crash-producer.ts', 'BENCH_CRASH', job)
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  )
  let last = 0
  for await (const line of createInterface({ input: child.stdout })) {
    last = Math.max(last, Number(/^queued (\d+)$/.exec(line)?.[1] ?? 0))
    if (last >= n) {
      child.kill('SIGKILL')
      break
    }
  }
  const signal = await exited
  if (signal !== 'SIGKILL')
    throw new Error(`bench: the ${mode} producer ended on its own (${signal})`)
  return last
}

/**
 * Crash while offline: a device process journals readings it cannot send (DPS unreachable) and
 * is killed with SIGKILL mid-stream; a new session on the same data folder connects and sends
 * the backlog. Every reading the dead process reported as queued must arrive, once, in order.
 */
async function crashOnce(bench: Bench, mode: Mode, n: number) {
  const { lab } = bench
  const deviceId = `bench-crash-${mode}`
  const reported = await produceThenKill(bench, mode, deviceId, n)
  const session = bench.session(deviceId, {
    behaviours: { telemetry: false, reportedProperties: false },
    outboxLimit: 2 * n + 1000,
  })
  const onDisk = session.snapshot().counters.queued
  const t0 = Date.now()
  await session.connect()
  await until('connected', () => session.snapshot().state.kind === 'connected', 60_000)
  const connectMs = Date.now() - t0
  await until('the backlog drained', () => session.snapshot().counters.queued === 0, 300_000)
  const drainMs = Date.now() - t0
  await session.close()

  const { messages, stats } = await labTelemetry(lab, deviceId)
  const got = new Set<number>()
  let highest = 0
  let outOfOrder = 0
  for (const m of messages) {
    if (m.duplicate || m.seq === null) continue
    if (m.seq < highest) outOfOrder++
    highest = Math.max(highest, m.seq)
    got.add(m.seq)
  }
  let missingOfReported = 0
  for (let seq = 1; seq <= reported; seq++) if (!got.has(seq)) missingOfReported++
  return {
    queuedReported: reported,
    onDiskAtRestart: onDisk,
    delivered: stats.unique,
    missingOfReported,
    outOfOrder,
    duplicates: stats.duplicates,
    allArrivedInOrder: missingOfReported === 0 && outOfOrder === 0,
    connectMs,
    drainMs,
    drainPerSecond: Math.round((onDisk / Math.max(1, drainMs - connectMs)) * 1000),
  }
}

export async function benchCrash(bench: Bench) {
  const { o } = bench
  bench.progress(`crash: the app killed offline after ${o.crashMessages} readings`)
  const session = await crashOnce(bench, 'session', o.crashMessages)
  bench.progress(`crash: group commit killed offline after ${o.crashBurst} readings`)
  const groupCommit = await crashOnce(bench, 'group', o.crashBurst)
  return { session, groupCommit }
}
