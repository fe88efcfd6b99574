import { type Bench, control, hubOf, labTelemetry, quick, until } from './setup'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A chaos soak: telemetry every --soak-period-ms while the lab, in turn, fails the device over,
 * fails it back, restarts its hub, blackholes it (and moves the device off it), throttles DPS
 * during a failover, and stops DPS during a hub restart (the cached hub must carry it); then a
 * clean disconnect. The lab counts loss and duplicates by seq and message id; out-of-order
 * arrivals and end-to-end latency (produced → arrived at the hub) come from the same record.
 * The pauses are the chaos schedule itself (how long a fault lasts), not waits for a condition.
 */
export async function benchSoak(bench: Bench) {
  const { lab, o } = bench
  const deviceId = 'bench-soak'
  const session = bench.session(deviceId, {
    ...quick,
    periods: { telemetryMs: o.soakPeriodMs, reportedMs: 500 },
  })
  const producedAt = new Map<number, number>()
  let lastSeq = 0
  session.on('telemetry', (t) => {
    producedAt.set(t.seq, t.at)
    lastSeq = t.seq
  })
  const connected = () => session.snapshot().state.kind === 'connected'
  await session.connect()
  await until('first connection', connected)
  const here = () => hubOf(lab, session.snapshot().hub?.host) ?? 'a'
  const isHome = () => session.snapshot().hub?.isHome === true
  const move = async () =>
    void (await control(
      lab,
      'POST',
      `/system/iothub/devices/${deviceId}/manual-${isHome() ? 'failover' : 'failback'}`,
    ))
  const schedule: [string, () => Promise<void>][] = [
    ['failover', move],
    ['failback', move],
    [
      'hub restart',
      async () => {
        const hub = here()
        await control(lab, 'POST', `/hubs/${hub}/kill`)
        await pause(700)
        await control(lab, 'POST', `/hubs/${hub}/restore`)
      },
    ],
    [
      'blackhole + move',
      async () => {
        // Keep-alive must notice the silent hub; DPS then names the other one.
        const hub = here()
        await control(lab, 'POST', `/hubs/${hub}/blackhole`)
        await move()
        await until('moved off the blackholed hub', () => connected() && here() !== hub, 30_000)
        await control(lab, 'POST', `/hubs/${hub}/restore`)
      },
    ],
    [
      'DPS throttled + move',
      async () => {
        await control(lab, 'POST', '/dps/throttle', { retryAfter: 1 })
        await move()
        await pause(1500)
        await control(lab, 'POST', '/dps/restore')
      },
    ],
    [
      'DPS stopped + hub restart',
      async () => {
        const hub = here()
        await control(lab, 'POST', '/dps/stop')
        await control(lab, 'POST', `/hubs/${hub}/kill`)
        await pause(700)
        await control(lab, 'POST', `/hubs/${hub}/restore`)
        await until('back on the cached hub without DPS', connected, 30_000)
        await control(lab, 'POST', '/dps/restore')
      },
    ],
  ]
  const events: string[] = []
  const end = Date.now() + o.soakSeconds * 1000
  for (let i = 0; Date.now() < end; i++) {
    const [name, act] = schedule[i % schedule.length]!
    await act()
    events.push(name)
    await until(`connected again after ${name}`, connected, 60_000)
    await pause(800)
  }
  await session.disconnect()
  const counters = session.snapshot().counters
  const { messages, stats } = await labTelemetry(lab, deviceId)
  let highest = 0
  let outOfOrder = 0
  let maxLatencyMs = 0
  const latencies: number[] = []
  for (const m of messages) {
    if (m.duplicate || m.seq === null) continue
    if (m.seq < highest) outOfOrder++
    highest = Math.max(highest, m.seq)
    const at = producedAt.get(m.seq)
    if (at === undefined) continue
    const ms = Date.parse(m.arrivedAt) - at
    latencies.push(ms)
    maxLatencyMs = Math.max(maxLatencyMs, ms)
  }
  latencies.sort((a, b) => a - b)
  return {
    durationSec: o.soakSeconds,
    periodMs: o.soakPeriodMs,
    chaosEvents: events.length,
    schedule: schedule.map(([name]) => name),
    produced: lastSeq,
    received: stats.count,
    missing: stats.missing.length,
    duplicates: stats.duplicates,
    outOfOrder,
    maxLatencyMs,
    p99LatencyMs: latencies[Math.floor(latencies.length * 0.99)] ?? null,
    medianLatencyMs: latencies[Math.floor(latencies.length / 2)] ?? null,
    engineDuplicatesRisk: counters.duplicatesRisk,
    dropped: counters.dropped,
    queuedAtEnd: counters.queued,
  }
}
