import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TIMELINE_RETENTION } from '../../shared/domain'
import { testLab, waitFor } from '../support/lab'
import { newSession } from './fixtures/engine'

// The app on two machines with one device id: the hub keeps one connection per id, so each
// connect kicks the other copy off. The engine must see it, say so, and stop the storm.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

describe('two clients with one device id', () => {
  it('say in plain words that another client has their id, and back off to the cap instead of storming', async () => {
    const id = 'eng-twins'
    // Test timings: backoff capped at 1.5 s, so a capped wait is 0.75–1.5 s.
    const copies = [newSession(lab, id), newSession(lab, id)]
    try {
      await Promise.all(copies.map((c) => c.session.connect()))
      for (const { session } of copies)
        await waitFor(
          'the conflict recognised',
          () => session.snapshot().lastError?.code === 'id-conflict',
          20_000,
        )
      for (const { session } of copies) {
        const entry = session.timeline().find((e) => e.cause?.code === 'id-conflict')!
        expect(entry.cause).toMatchObject({ code: 'id-conflict', deviceId: id, kicks: 3 })
        expect(session.snapshot().lastError!.message).toMatch(
          /another client .* connected as eng-twins/,
        )
      }

      const before = copies.map((c) => c.session.snapshot().counters.reconnects)
      const entriesBefore = copies.map((c) => c.session.timeline().length)
      const started = Date.now()
      await new Promise((r) => setTimeout(r, 3000))
      const elapsed = Date.now() - started
      copies.forEach(({ session }, i) => {
        const reconnects = session.snapshot().counters.reconnects - before[i]!
        // Every reconnect after a kick waits at least half the cap (750 ms here).
        expect(reconnects).toBeLessThanOrEqual(Math.floor(elapsed / 750) + 1)
        // Each reconnect writes a handful of entries, not a flood.
        expect(session.timeline().length - entriesBefore[i]!).toBeLessThanOrEqual(
          5 * (reconnects + 1),
        )
        expect(session.timeline().length).toBeLessThan(TIMELINE_RETENTION)
      })
    } finally {
      for (const c of copies) await c.dispose()
    }
  })
})
