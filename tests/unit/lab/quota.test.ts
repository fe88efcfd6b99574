import { describe, expect, it } from 'vitest'
import { retryAfterSec, TokenBucket, WindowedCounter } from '../../../lab/quota'
import { QuotaCounter } from '../../../lab/quota-counter'
import { defaultBurst, noQuotas, Quotas } from '../../../lab/quotas'

/** A clock that moves only when told. */
function fakeClock(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe('a token bucket', () => {
  it('lets its capacity through at once, then the rate, and says when the next token is there', () => {
    const clock = fakeClock()
    const b = new TokenBucket(200 / 60, 17, clock.now)
    for (let i = 0; i < 17; i++) expect(b.take().ok).toBe(true)
    const refused = b.take()
    expect(refused).toEqual({ ok: false, retryAfterMs: expect.closeTo(300, 6) })
    clock.advance(299)
    expect(b.take().ok).toBe(false)
    clock.advance(1)
    expect(b.take().ok).toBe(true)
    expect(b.take().ok).toBe(false)
  })

  it('refills to its capacity, no further, and a refusal takes nothing', () => {
    const clock = fakeClock()
    const b = new TokenBucket(10, 5, clock.now)
    for (let i = 0; i < 5; i++) b.take()
    for (let i = 0; i < 100; i++) expect(b.take().ok).toBe(false)
    clock.advance(100)
    expect(b.take().ok).toBe(true)
    clock.advance(60_000)
    expect(b.available()).toBe(5)
  })

  it('takes a new rate and capacity, and what was spent stays spent', () => {
    const clock = fakeClock()
    const b = new TokenBucket(1, 10, clock.now)
    b.reconfigure(1, 3)
    expect(b.available()).toBe(3)
    b.take()
    b.take()
    b.reconfigure(1, 10)
    expect(b.available()).toBe(8)
    b.reconfigure(100, 3)
    expect(b.available()).toBe(1)
    b.take()
    expect(b.take().ok).toBe(false)
    clock.advance(10)
    expect(b.available()).toBe(1)
  })

  it('does not refill when the clock steps back, and is not stuck after it', () => {
    const clock = fakeClock()
    const b = new TokenBucket(1, 1, clock.now)
    b.take()
    clock.advance(-10_000)
    expect(b.take().ok).toBe(false)
    clock.advance(1000)
    expect(b.take().ok).toBe(true)
  })
})

describe('a windowed counter per key', () => {
  it('allows the limit per key within any window, and says when the oldest hit leaves it', () => {
    const clock = fakeClock()
    const c = new WindowedCounter(5, 10_000, 100, clock.now)
    for (let i = 0; i < 5; i++) {
      expect(c.hit('dev-1').ok).toBe(true)
      clock.advance(1000)
    }
    // dev-1 hit at 0, 1, 2, 3, 4 s; it is 5 s now: one more fits at 10 s.
    expect(c.hit('dev-1')).toEqual({ ok: false, retryAfterMs: 5000 })
    expect(c.hit('dev-2').ok).toBe(true)
    clock.advance(5000)
    expect(c.hit('dev-1').ok).toBe(true)
    expect(c.hit('dev-1')).toEqual({ ok: false, retryAfterMs: 1000 })
  })

  it('forgets keys whose window has passed, and past its bound the quietest key', () => {
    const clock = fakeClock()
    const c = new WindowedCounter(1, 10_000, 3, clock.now)
    for (const k of ['a', 'b', 'c']) c.hit(k)
    expect(c.size).toBe(3)
    c.hit('d')
    expect(c.size).toBe(3)
    // 'a' was the quietest: forgotten, it starts afresh.
    expect(c.hit('a').ok).toBe(true)
    expect(c.hit('d').ok).toBe(false)
    clock.advance(10_000)
    c.hit('e')
    expect(c.size).toBe(1)
  })

  it('stays bounded by the keys of one window however many devices poll', () => {
    const clock = fakeClock()
    const c = new WindowedCounter(5, 10_000, 100_000, clock.now)
    for (let i = 0; i < 50_000; i++) {
      c.hit(`fleet-${i}`)
      clock.advance(1)
    }
    // 50 s of polls, one key per millisecond: only the last 10 s are remembered.
    expect(c.size).toBe(10_000)
  })
})

describe('retry-after', () => {
  it('is whole seconds, rounded up, at least 1', () => {
    expect([0, 1, 999, 1000, 1001, 4000.0000001, 59_500].map(retryAfterSec)).toEqual([
      1, 1, 1, 1, 2, 4, 60,
    ])
  })
})

describe('a quota counter', () => {
  it('counts totals and per minute, for the last 60 minutes at most', () => {
    const clock = fakeClock()
    const c = new QuotaCounter(clock.now)
    c.accept()
    c.accept()
    c.throttle()
    clock.advance(60_000)
    c.throttle()
    let v = c.view()
    expect(v).toMatchObject({ accepted: 2, throttled: 2 })
    expect(v.perMinute).toEqual([
      { minute: '2025-01-01T12:00:00.000Z', accepted: 2, throttled: 1 },
      { minute: '2025-01-01T12:01:00.000Z', accepted: 0, throttled: 1 },
    ])
    clock.advance(3 * 60_000)
    expect(c.view().perMinute.map((m) => m.accepted)).toEqual([2, 0, 0, 0, 0])
    clock.advance(120 * 60_000)
    c.accept()
    v = c.view()
    expect(v.perMinute).toHaveLength(60)
    expect(v.perMinute.slice(0, -1).every((m) => m.accepted === 0 && m.throttled === 0)).toBe(true)
    expect(v.perMinute.at(-1)).toMatchObject({ minute: '2025-01-01T14:04:00.000Z', accepted: 1 })
    expect(v).toMatchObject({ accepted: 3, throttled: 2 })
  })
})

describe("the lab's quotas", () => {
  it("are IoT Central's unless told otherwise, the burst 5 s of the rate", () => {
    const q = new Quotas()
    expect(q.view()).toMatchObject({
      dpsRate: 200,
      dpsBurst: null,
      dpsBurstInForce: 17,
      pollLimit: 5,
      pollWindowSec: 10,
      hubConnectRate: 100,
      hubConnectBurst: 100,
    })
    expect([defaultBurst(1000), defaultBurst(1), defaultBurst(12)]).toEqual([84, 1, 1])
  })

  it('throttle registrations past the burst with a retry-after, and count both', () => {
    const clock = fakeClock()
    const q = new Quotas({ dpsRate: 60, dpsBurst: 2 }, clock.now)
    expect(q.admitRegistration().ok).toBe(true)
    expect(q.admitRegistration().ok).toBe(true)
    expect(q.admitRegistration()).toEqual({
      ok: false,
      retryAfterSec: 1,
      why: 'at most 60 registrations per minute for this id scope',
    })
    clock.advance(1000)
    expect(q.admitRegistration().ok).toBe(true)
    expect(q.stats().dpsRegistrations).toMatchObject({ accepted: 3, throttled: 1 })
  })

  it('throttle polls per device, and new connections per hub', () => {
    const clock = fakeClock()
    const q = new Quotas({ pollLimit: 2, hubConnectRate: 1 }, clock.now)
    expect([1, 2, 3].map(() => q.admitPoll('d1').ok)).toEqual([true, true, false])
    expect(q.admitPoll('d2').ok).toBe(true)
    expect(q.admitConnect('a')).toBe(true)
    expect(q.admitConnect('a')).toBe(false)
    expect(q.admitConnect('b')).toBe(true)
    const s = q.stats()
    expect(s.dpsPolls).toMatchObject({ accepted: 3, throttled: 1 })
    expect(s.hubConnects.a).toMatchObject({ accepted: 0, throttled: 1 })
  })

  it('change at run time; 0 turns one off, and a burst of null follows the rate again', () => {
    const q = new Quotas({ dpsRate: 1, dpsBurst: 1, pollLimit: 1, hubConnectRate: 1 })
    q.admitRegistration()
    expect(q.admitRegistration().ok).toBe(false)
    q.set({ ...noQuotas })
    for (let i = 0; i < 1000; i++) {
      expect(q.admitRegistration().ok).toBe(true)
      expect(q.admitPoll('d').ok).toBe(true)
      expect(q.admitConnect('a')).toBe(true)
    }
    expect(q.set({ dpsRate: 1200 }).dpsBurstInForce).toBe(100)
    expect(q.set({ dpsBurst: 3 }).dpsBurstInForce).toBe(3)
    expect(q.set({ dpsBurst: null }).dpsBurstInForce).toBe(100)
  })

  it('refuse settings that are not whole numbers in range, saying which', () => {
    expect(() => new Quotas({ dpsRate: -1 })).toThrow(/quotas: dpsRate/)
    expect(() => new Quotas({ dpsBurst: 0 })).toThrow(/dpsBurst/)
    const q = new Quotas()
    expect(() => q.set({ pollLimit: 1.5 } as never)).toThrow(/pollLimit/)
    expect(() => q.set({ bogus: 1 } as never)).toThrow(/quotas/)
    expect(q.view().pollLimit).toBe(5)
  })
})
