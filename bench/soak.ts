import type { TelemetryView } from '../tests/integration/fixtures/engine'
import { type Bench, control, until } from './setup'

/**
 * A chaos soak: telemetry every `periodMs` while the lab fails the device over and back, kills
 * and restores its hub, and blackholes it, in turn; then a clean disconnect. Loss and
 * duplicates are counted by the lab from `seq` and message id.
 */
export async function benchSoak(bench: Bench, durationMs: number, periodMs: number) {
  const { lab } = bench
  const deviceId = 'bench-soak'
  const session = bench.session(deviceId, { periods: { telemetryMs: periodMs, reportedMs: 500 } })
  await session.connect()
  await until('first connection', () => session.snapshot().state.kind === 'connected')
  const events: string[] = []
  const end = Date.now() + durationMs
  const hubOf = () => (session.snapshot().hub?.host === lab.hubs.b.host ? 'b' : 'a')
  const actions: (() => Promise<void>)[] = [
    async () => void (await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-failover`)),
    async () => void (await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-failback`)),
    async () => {
      const hub = hubOf()
      await control(lab, 'POST', `/hubs/${hub}/kill`)
      await new Promise((r) => setTimeout(r, 700))
      await control(lab, 'POST', `/hubs/${hub}/restore`)
    },
    async () => {
      // A silent hub that is also failed over: keep-alive must notice, DPS names the other hub.
      const hub = hubOf()
      await control(lab, 'POST', `/hubs/${hub}/blackhole`)
      await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-${hub === lab.state.devices.get(deviceId)?.homeHub ? 'failover' : 'failback'}`)
      await until('moved off the blackholed hub', () => session.snapshot().state.kind === 'connected' && hubOf() !== hub, 20_000)
      await control(lab, 'POST', `/hubs/${hub}/restore`)
    },
  ]
  const names = ['failover', 'failback', 'hub restart', 'blackhole + move']
  for (let i = 0; Date.now() < end; i++) {
    await actions[i % actions.length]!()
    events.push(names[i % actions.length]!)
    await until('connected again', () => session.snapshot().state.kind === 'connected', 20_000)
    await new Promise((r) => setTimeout(r, 800))
  }
  await session.disconnect()
  const counters = session.snapshot().counters
  const t = (await control<TelemetryView>(lab, 'GET', `/devices/${deviceId}/telemetry`)).stats
  return {
    durationMs,
    periodMs,
    chaosEvents: events.length,
    produced: t.lastSeq ?? 0,
    received: t.count,
    missing: t.missing.length,
    duplicates: t.duplicates,
    engineDuplicatesRisk: counters.duplicatesRisk,
    dropped: counters.dropped,
    queuedAtEnd: counters.queued,
  }
}
