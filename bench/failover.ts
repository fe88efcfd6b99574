import { type MoveTimes, moveStats, nextMove } from './moves'
import { type Bench, control, dpsRegistrations, hubOf, mark, since, stats, until } from './setup'

/**
 * `manual-failover` then `manual-failback` (what `lizard failover`/`failback` and IoT Central's
 * API call), in turn, `runs` times each: control call → link lost → connected on the other hub
 * → first message acknowledged there.
 */
export async function benchFailover(bench: Bench) {
  const { lab, o } = bench
  const deviceId = 'bench-failover'
  const session = bench.session(deviceId)
  await session.connect()
  await until('first acknowledgement', () => session.snapshot().counters.telemetryAcked > 0)
  const moves: Record<'failover' | 'failback', MoveTimes[]> = { failover: [], failback: [] }
  for (let i = 0; i < o.runs * 2; i++) {
    const kind = i % 2 === 0 ? 'failover' : 'failback'
    const from = mark(session)
    const t0 = Date.now()
    await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-${kind}`)
    moves[kind].push(await nextMove(session, from, t0, 60_000))
  }
  await session.close()
  return { runs: o.runs, failover: moveStats(moves.failover), failback: moveStats(moves.failback) }
}

/**
 * The device's hub killed and brought straight back (a hub restart; DPS never notices): link
 * lost → connected again, with the cached-hub fast path and with every reconnect through DPS
 * (as the reference samples do), and the DPS registrations each made. A fresh device each run:
 * the engine remembers links that die young (backoff) and hubs that keep closing its link
 * (another client with its id?), and seven restarts in a row would be judged as such. Each link
 * lives until healthy (2 s here) before its hub is restarted.
 */
export async function benchHubRestart(bench: Bench, useCachedHub: boolean) {
  const { lab, o } = bench
  const healthyMs = 2000
  const samples: number[] = []
  let dpsCalls = 0
  for (let i = 0; i < o.runs; i++) {
    const deviceId = `bench-restart-${useCachedHub ? 'cached' : 'dps'}-${i + 1}`
    const session = bench.session(deviceId, { useCachedHub, healthyLinkMs: healthyMs })
    const connected = () => session.snapshot().state.kind === 'connected'
    await session.connect()
    await until('a healthy link', () => {
      const s = session.snapshot().state
      return s.kind === 'connected' && Date.now() - s.since > healthyMs + 200
    })
    const dpsBefore = await dpsRegistrations(lab, deviceId)
    const hub = hubOf(lab, session.snapshot().hub?.host)!
    const from = mark(session)
    await control(lab, 'POST', `/hubs/${hub}/kill`)
    await control(lab, 'POST', `/hubs/${hub}/restore`)
    const back = await until('reconnected', () => {
      const span = since(session, from)
      const lost = span.find((e) => e.state === 'lost')
      const again = span.find((e) => e.state === 'connected')
      return lost && again && connected() ? again.at - lost.at : null
    }).catch((e: Error) => {
      const story = since(session, from).map((t) => `${t.state}: ${t.reason}`)
      throw new Error(`${e.message}; the engine's timeline since the kill:\n${story.join('\n')}`)
    })
    samples.push(back)
    dpsCalls += (await dpsRegistrations(lab, deviceId)) - dpsBefore
    await session.close()
  }
  return { ...stats(samples), dpsCalls }
}
