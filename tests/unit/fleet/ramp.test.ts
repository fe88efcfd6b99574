import { describe, expect, it } from 'vitest'
import { maxInFlight, runRamp } from '../../../electron/fleet/ramp'

describe('the ramp of first connects', () => {
  it('holds while too many connects are in flight, then goes on at its pace without a burst', async () => {
    const started: number[] = []
    let inFlight = 0
    const limit = 3
    // Each connect "completes" 40 ms after it starts; the slow machine allows 3 at once.
    const t0 = Date.now()
    await runRamp(
      12,
      1,
      (i) => {
        started.push(Date.now() - t0)
        inFlight++
        setTimeout(() => inFlight--, 40)
        expect(i).toBe(started.length - 1)
      },
      new AbortController().signal,
      Date.now,
      () => inFlight < limit,
    )
    expect(started).toHaveLength(12)
    // Never more than three started within one completion time: the hold held.
    for (let i = limit; i < started.length; i++)
      expect(started[i]! - started[i - limit]!).toBeGreaterThanOrEqual(35)
  })

  it('stops on abort while held', async () => {
    const ac = new AbortController()
    let n = 0
    const done = runRamp(
      5,
      1,
      () => n++,
      ac.signal,
      Date.now,
      () => n < 2,
    )
    setTimeout(() => ac.abort(), 30)
    await done
    expect(n).toBe(2)
  })

  it('allows four seconds of the connect rate in flight, at least 50', () => {
    expect(maxInFlight(100)).toBe(400)
    expect(maxInFlight(5)).toBe(50)
  })
})
