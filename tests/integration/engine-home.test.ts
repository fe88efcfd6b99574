import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import { connectedTo, hubName, newSession, otherHost, untilState } from './fixtures/engine'

// Which hub is home is what DPS says (the registration substatus), not the first hub ever seen.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

describe('the home hub', () => {
  it('a device IoT Central re-homes to the other hub shows that hub as home, not FAILED OVER', async () => {
    const id = 'eng-rehome'
    const { session, dispose } = newSession(lab, id)
    try {
      await session.connect()
      await untilState(session, 'connected')
      const first = session.snapshot().hub!.host
      expect(session.snapshot()).toMatchObject({ homeHub: first, hub: { isHome: true } })
      const next = otherHost(lab, first)

      const r = await api(lab, 'POST', `/devices/${id}/rehome`, { hub: hubName(lab, next) })
      expect(r.status).toBe(200)
      await connectedTo(session, next)
      const assigned = session.timeline().findLast((e) => e.cause?.code === 'dps-assigned')!
      expect(assigned.cause).toMatchObject({ hub: next, substatus: 'deviceDataReset' })
      expect(session.snapshot()).toMatchObject({
        homeHub: next,
        hub: { host: next, isHome: true },
        counters: { failovers: 0, failbacks: 0 },
      })
      // Not a move: the timeline marks no failover or failback.
      expect(session.timeline().some((e) => e.mark)).toBe(false)

      // And a failover from the new home is a failover, back to it a failback.
      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failover`, {})
      await connectedTo(session, first)
      expect(session.snapshot()).toMatchObject({
        hub: { isHome: false },
        counters: { failovers: 1 },
      })
      await api(lab, 'POST', `/system/iothub/devices/${id}/manual-failback`)
      await connectedTo(session, next)
      await waitFor('failed back', () => session.snapshot().counters.failbacks === 1)
      expect(session.snapshot().hub).toMatchObject({ host: next, isHome: true })
    } finally {
      await dispose()
    }
  })
})
