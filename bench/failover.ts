import type { TimelineEntry } from '../shared/domain'
import { type Bench, control, dpsRegistrations, stats, until } from './setup'

/**
 * Failover time (the call `lizard failover` makes → first telemetry acknowledged on the other
 * hub, the session's own measurement), alternating failover and failback; then reconnect time
 * after a hub restart (killed and brought straight back) with the cached-hub fast path and
 * without it (every reconnect through DPS, as the reference samples do).
 */
export async function benchFailover(bench: Bench, runs: number) {
  const { lab } = bench
  const deviceId = 'bench-failover'
  const session = bench.session(deviceId)
  const marked: TimelineEntry[] = []
  // The move's second figure: hub lost → first message acknowledged on the new hub.
  session.on('timeline', (e) => e.cause?.code === 'move-acked' && marked.push(e))
  const connected = () => session.snapshot().state.kind === 'connected'
  await session.connect()
  await until('first connection', connected)

  const failoverMs: number[] = []
  const connectMs: number[] = []
  for (let i = 0; i < runs; i++) {
    const before = marked.length
    const from = (session.timeline().at(-1)?.id ?? 0) + 1
    await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-${i % 2 === 0 ? 'failover' : 'failback'}`)
    const done = await until('hub move completed', () => marked.length > before && marked.at(-1))
    failoverMs.push(done.durationMs!)
    connectMs.push(lostToConnected(session.timeline().filter((e) => e.id >= from)))
  }
  await session.close()
  return {
    failoverMs: stats(failoverMs),
    failoverConnectMs: stats(connectMs),
  }
}

function lostToConnected(entries: TimelineEntry[]): number {
  return entries.find((e) => e.state === 'connected')!.at - entries.find((e) => e.state === 'lost')!.at
}

export async function benchHubRestart(bench: Bench, runs: number, useCachedHub: boolean) {
  const { lab } = bench
  const deviceId = useCachedHub ? 'bench-restart-cached' : 'bench-restart-dps'
  const session = bench.session(deviceId, { useCachedHub })
  const connected = () => session.snapshot().state.kind === 'connected'
  await session.connect()
  await until('first connection', connected)
  const dpsBefore = await dpsRegistrations(lab, deviceId)
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const hub = session.snapshot().hub!.host === lab.hubs.a.host ? 'a' : 'b'
    const from = (session.timeline().at(-1)?.id ?? 0) + 1
    await control(lab, 'POST', `/hubs/${hub}/kill`)
    await control(lab, 'POST', `/hubs/${hub}/restore`)
    await until('reconnected', () => connected() && session.timeline().some((e) => e.id >= from && e.state === 'connected'))
    samples.push(lostToConnected(session.timeline().filter((e) => e.id >= from)))
  }
  const dpsCalls = (await dpsRegistrations(lab, deviceId)) - dpsBefore
  await session.close()
  return { ...stats(samples), dpsCalls }
}
