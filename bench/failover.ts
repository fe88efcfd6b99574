import { columns, nextMove } from './moves'
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
  const moves = {
    failover: [] as Awaited<ReturnType<typeof nextMove>>[],
    failback: [] as Awaited<ReturnType<typeof nextMove>>[],
  }
  for (let i = 0; i < o.runs * 2; i++) {
    const kind = i % 2 === 0 ? 'failover' : 'failback'
    const from = mark(session)
    const t0 = Date.now()
    await control(lab, 'POST', `/system/iothub/devices/${deviceId}/manual-${kind}`)
    moves[kind].push(await nextMove(session, from, t0, 60_000))
  }
  await session.close()
  const figures = (m: typeof moves.failover) => {
    const c = columns(m)
    return {
      connectedMs: stats(c.connectedMs),
      firstAckMs: stats(c.firstAckMs),
      engineConnectedMs: stats(c.engineConnectedMs),
      engineFirstAckMs: stats(c.engineFirstAckMs),
    }
  }
  return { runs: o.runs, failover: figures(moves.failover), failback: figures(moves.failback) }
}

/**
 * The device's hub killed and brought straight back (a hub restart; DPS never notices): link
 * lost → connected again, with the cached-hub fast path and with every reconnect through DPS
 * (as the reference samples do), and the DPS registrations each made.
 */
export async function benchHubRestart(bench: Bench, useCachedHub: boolean) {
  const { lab, o } = bench
  const deviceId = useCachedHub ? 'bench-restart-cached' : 'bench-restart-dps'
  const session = bench.session(deviceId, { useCachedHub })
  const connected = () => session.snapshot().state.kind === 'connected'
  await session.connect()
  await until('first connection', connected)
  const dpsBefore = await dpsRegistrations(lab, deviceId)
  const samples: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const hub = hubOf(lab, session.snapshot().hub?.host)!
    const from = mark(session)
    await control(lab, 'POST', `/hubs/${hub}/kill`)
    await control(lab, 'POST', `/hubs/${hub}/restore`)
    const back = await until('reconnected', () => {
      const span = since(session, from)
      const lost = span.find((e) => e.state === 'lost')
      const again = span.find((e) => e.state === 'connected')
      return lost && again && connected() ? again.at - lost.at : null
    })
    samples.push(back)
  }
  const dpsCalls = (await dpsRegistrations(lab, deviceId)) - dpsBefore
  await session.close()
  return { ...stats(samples), dpsCalls }
}
