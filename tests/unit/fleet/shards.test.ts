import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../electron/fleet/errors'
import { rampPlan } from '../../../electron/fleet/ramp'
import { checkShards, parseStartAt, shardRange, shareOf } from '../../../electron/fleet/shards'

const cover = (n: number, k: number) => Array.from({ length: k }, (_, i) => shardRange(n, k, i))

describe('shard ranges', () => {
  it.each([
    [10, 1],
    [10, 3],
    [7, 7],
    [1000, 6],
    [100_001, 20],
    [1_000_000, 9_999],
  ])('%i devices over %i shards: disjoint, in order, every index exactly once', (n, k) => {
    const ranges = cover(n, k)
    expect(ranges[0]!.from).toBe(0)
    expect(ranges[k - 1]!.to).toBe(n)
    for (let i = 1; i < k; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.to)
    const sizes = ranges.map((r) => r.to - r.from)
    expect(Math.min(...sizes)).toBeGreaterThan(0)
    // Uneven N: sizes differ by at most one.
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n)
  })

  it('is the same range every time, on any runner', () => {
    expect(cover(1000, 7)).toEqual(cover(1000, 7))
    expect(shardRange(10, 3, 0)).toEqual({ from: 0, to: 3 })
    expect(shardRange(10, 3, 1)).toEqual({ from: 3, to: 6 })
    expect(shardRange(10, 3, 2)).toEqual({ from: 6, to: 10 })
  })

  it('refuses shards it cannot make, saying what is allowed', () => {
    expect(() => checkShards(10, 11, 0)).toThrow(/more than --devices 10/)
    expect(() => checkShards(10, 3, 3)).toThrow(/0 to 2/)
    expect(() => checkShards(10, 0, 0)).toThrow(UsageError)
  })

  it('gives each shard 1/K of the budgets, so K together keep to the whole', () => {
    const k = 4
    const per = shareOf(100, k)
    expect(per * k).toBe(100)
    // Each shard's ramp takes as long as the whole fleet's would at the whole rate.
    const whole = rampPlan(1000, { rampMs: 0, connectRate: 100, dpsRate: null })
    const shard = rampPlan(250, { rampMs: 0, connectRate: per, dpsRate: null })
    expect(shard.intervalMs).toBe(whole.intervalMs * k)
    expect(Math.abs(shard.totalMs - whole.totalMs)).toBeLessThanOrEqual(whole.intervalMs * k)
    // The DPS budget, per minute, paces too when it is the tighter one.
    expect(
      rampPlan(200, { rampMs: 0, connectRate: 100, dpsRate: shareOf(200, 2) }).intervalMs,
    ).toBe(600)
    // A ramp asked for spreads connects further than the budgets need.
    expect(rampPlan(100, { rampMs: 60_000, connectRate: 100, dpsRate: null }).intervalMs).toBe(600)
  })
})

describe('--start-at', () => {
  const now = Date.parse('2026-05-01T11:59:00Z')
  it('reads an ISO time with its zone', () => {
    expect(parseStartAt('2026-05-01T12:00:00Z', now)).toBe(now + 60_000)
    expect(parseStartAt('2026-05-01T14:00:00+02:00', now)).toBe(now + 60_000)
  })
  it('refuses a time without a zone, a non-time, or one more than a day ahead', () => {
    expect(() => parseStartAt('2026-05-01T12:00:00', now)).toThrow(/with its zone/)
    expect(() => parseStartAt('noon', now)).toThrow(UsageError)
    expect(() => parseStartAt('2026-05-03T12:00:00Z', now)).toThrow(/24 h/)
  })
})
