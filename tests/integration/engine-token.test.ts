import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testLab, waitFor } from '../support/lab'
import { labTelemetry, newSession, untilState } from './fixtures/engine'

// A long-lived connection outlives its SAS token: IoT Hub drops a connection whose token has
// expired, so the device must renew (a new CONNECT under a fresh token) before it does.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  // Hubs that refuse tokens living longer than 10 s and drop connections whose token expired.
  lab = await testLab({ maxTokenLifetimeSec: 10 })
})
afterAll(async () => {
  await lab?.stop()
})

describe('SAS token renewal', () => {
  it('renews its hub token before it expires, over and over, without losing the link or a message', async () => {
    const id = 'eng-token'
    const { session, dispose } = newSession(lab, id, {
      tokenValiditySec: 4,
      tokenRenewalMarginSec: 2,
    })
    try {
      await session.connect()
      await untilState(session, 'connected')
      const renewals = () => session.timeline().filter((e) => e.cause?.code === 'token-renewed')
      // Three renewals 2 s apart outlast the first 4 s token by far: without them the hub drops us.
      await waitFor('three renewals', () => renewals().length >= 3, 20_000)
      expect(renewals()[0]!.cause).toMatchObject({ code: 'token-renewed', validSec: 4 })
      expect(session.timeline().filter((e) => e.state === 'lost')).toEqual([])
      expect(session.snapshot().state.kind).toBe('connected')

      const seq = session.snapshot().lastTelemetry!.seq
      await waitFor(
        'telemetry still acknowledged',
        async () => (await labTelemetry(lab, id)).stats.lastSeq! > seq,
      )
      await session.disconnect()
      const { stats } = await labTelemetry(lab, id)
      expect(stats.missing).toEqual([])
      expect(session.snapshot().counters.reconnects).toBe(0)
    } finally {
      await dispose()
    }
  })
})
