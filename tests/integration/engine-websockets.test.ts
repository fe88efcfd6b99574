import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wsAddresses } from '../../lab/websockets'
import { api, testLab, waitFor } from '../support/lab'
import { connectedTo, labTelemetry, newSession, untilState } from './fixtures/engine'

// The engine (not just the raw SDK) over MQTT over WebSockets, through a failover. The SDK's
// WebSocket transports always dial port 443, so the lab serves them there when it may.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab({ webSockets: true })
})
afterAll(async () => {
  await lab?.stop()
})

describe('MQTT over WebSockets', () => {
  it('provisions, connects, fails over and back over WebSockets, losing nothing', async (ctx) => {
    if (!lab.webSockets.enabled) {
      // Not root, or 443 taken (another lab in this run): the lab says which, and so do we.
      expect(lab.webSockets.reason).toMatch(/443/)
      return ctx.skip()
    }
    const id = 'eng-ws'
    const { session, dispose } = newSession(lab, id, {
      transport: 'mqttws',
      provisioningHost: wsAddresses.dps,
      hubLabels: { [wsAddresses.a]: 'A', [wsAddresses.b]: 'B' },
    })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const home = session.snapshot().hub!.host
      expect([wsAddresses.a, wsAddresses.b]).toContain(home)
      const away = home === wsAddresses.a ? wsAddresses.b : wsAddresses.a
      await waitFor('telemetry flowing', async () => (await labTelemetry(lab, id)).stats.count >= 3)

      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
      await connectedTo(session, away)
      expect(session.snapshot()).toMatchObject({
        hub: { isHome: false },
        counters: { failovers: 1 },
      })
      const awayName = away === wsAddresses.a ? 'a' : 'b'
      await waitFor('telemetry on the other hub', async () =>
        (await labTelemetry(lab, id)).messages.some((m) => m.hub === awayName),
      )
      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failback`)
      await connectedTo(session, home)
      await waitFor('failed back', () => session.snapshot().counters.failbacks === 1)

      const seq = session.snapshot().lastTelemetry!.seq
      await waitFor(
        'telemetry home again',
        async () => (await labTelemetry(lab, id)).stats.lastSeq! > seq,
      )
      await session.disconnect()
      const { stats, messages } = await labTelemetry(lab, id)
      expect(stats.missing).toEqual([])
      expect(new Set(messages.map((m) => m.hub))).toEqual(new Set(['a', 'b']))
    } finally {
      await dispose()
    }
  })
})
