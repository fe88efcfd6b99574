import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HubHealth } from '../../../lab/health'

describe("DPS's view of hub health", () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  const health = () => {
    const h = new HubHealth(() => {})
    const changes: string[] = []
    h.on('changed', (hub, available) => changes.push(`${hub}:${available ? 'up' : 'down'}`))
    return { h, changes }
  }

  it('notices a dead hub after the detection delay, and trusts it again after the rebalance delay', () => {
    const { h, changes } = health()
    h.down('a', { detectSec: 10, explicit: false, unaware: false })
    expect(h.view('a')).toMatchObject({ state: 'detecting', available: true })
    vi.advanceTimersByTime(9_999)
    expect(h.available('a')).toBe(true)
    vi.advanceTimersByTime(1)
    expect(h.view('a')).toMatchObject({ state: 'unavailable', available: false, detectAt: null })
    h.up('a', { rebalanceSec: 30, explicit: false })
    expect(h.view('a')).toMatchObject({ state: 'rebalancing', available: false })
    vi.advanceTimersByTime(30_000)
    expect(h.view('a')).toMatchObject({ state: 'available', available: true })
    expect(changes).toEqual(['a:down', 'a:up'])
  })

  it('never notices a hub back before detection, nor one DPS is not told about', () => {
    const { h, changes } = health()
    h.down('a', { detectSec: 10, explicit: false, unaware: false })
    vi.advanceTimersByTime(5_000)
    h.up('a', { rebalanceSec: 30, explicit: false })
    h.down('b', { detectSec: 10, explicit: false, unaware: true })
    vi.advanceTimersByTime(60_000)
    expect([h.view('a').state, h.view('b')]).toEqual([
      'available',
      expect.objectContaining({ state: 'available', unaware: true }),
    ])
    expect(changes).toEqual([])
  })

  it('keeps a pending detection unless a delay is given, and keeps a hub down that fails again while rebalancing', () => {
    const { h } = health()
    h.down('a', { detectSec: 10, explicit: false, unaware: false })
    vi.advanceTimersByTime(4_000)
    h.down('a', { detectSec: 10, explicit: false, unaware: false })
    vi.advanceTimersByTime(6_000)
    expect(h.available('a')).toBe(false)
    h.up('a', { rebalanceSec: 30, explicit: false })
    vi.advanceTimersByTime(10_000)
    h.down('a', { detectSec: 10, explicit: false, unaware: false })
    vi.advanceTimersByTime(60_000)
    expect(h.view('a').state).toBe('unavailable')
    h.down('b', { detectSec: 100, explicit: false, unaware: false })
    h.down('b', { detectSec: 0, explicit: true, unaware: false })
    expect(h.available('b')).toBe(false)
  })
})
