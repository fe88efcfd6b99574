import type { HubName } from '../lab/types'
import { type MoveTimes, moveStats, nextMove } from './moves'
import { type Bench, control, hubOf, mark, until } from './setup'

type Mode = 'kill' | 'blackhole'

/**
 * The seed's outage: the device's home hub killed (connections reset, port closed) or
 * blackholed (TCP accepted, nothing answered, so only keep-alive can tell), and the lab's DPS
 * noticing after --dps-detect seconds and naming the other hub. Timed from the control call:
 * detect, connected on the other hub, first message acknowledged there. Then the hub restored:
 * after --rebalance seconds the lab drops the device and DPS names home (failback), timed from
 * the restore call, and by the engine from the loss.
 */
export async function benchOutage(bench: Bench) {
  const { lab, o } = bench
  const result: Record<Mode, { out: MoveTimes[]; back: MoveTimes[] }> = {
    kill: { out: [], back: [] },
    blackhole: { out: [], back: [] },
  }
  const deviceId = 'bench-outage'
  const session = bench.session(deviceId)
  await session.connect()
  await until('first acknowledgement', () => session.snapshot().counters.telemetryAcked > 0)
  const home = hubOf(lab, session.snapshot().hub?.host) as HubName
  // Each move's detection and DPS waits, plus a margin.
  const moveBound = (o.dpsDetect + o.rebalance + 6 * o.keepalive + 60) * 1000
  for (let i = 0; i < o.outageRuns; i++) {
    for (const mode of ['kill', 'blackhole'] as const) {
      bench.progress(`outage: home hub ${mode} (run ${i + 1}/${o.outageRuns})`)
      let from = mark(session)
      let t0 = Date.now()
      await control(lab, 'POST', `/hubs/${home}/${mode}`)
      result[mode].out.push(await nextMove(session, from, t0, moveBound))
      from = mark(session)
      t0 = Date.now()
      await control(lab, 'POST', `/hubs/${home}/restore`)
      result[mode].back.push(await nextMove(session, from, t0, moveBound))
    }
  }
  const counters = session.snapshot().counters
  await session.close()
  const t = await control<{ stats: { missing: number[]; duplicates: number } }>(
    lab,
    'GET',
    `/devices/${deviceId}/telemetry?limit=0`,
  )
  return {
    runs: o.outageRuns,
    dpsDetectSec: o.dpsDetect,
    rebalanceSec: o.rebalance,
    keepAliveSec: o.keepalive,
    kill: { failover: moveStats(result.kill.out), failback: moveStats(result.kill.back) },
    blackhole: {
      failover: moveStats(result.blackhole.out),
      failback: moveStats(result.blackhole.back),
    },
    missing: t.stats.missing.length,
    duplicates: t.stats.duplicates,
    dropped: counters.dropped,
  }
}
