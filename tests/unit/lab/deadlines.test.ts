import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Deadlines } from '../../../lab/deadlines'

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('deadlines on one timer', () => {
  it('fires each key at its time, in order, with one timer pending however many keys', () => {
    const fired: string[] = []
    const d = new Deadlines<string>(
      () => {},
      'test',
      (k) => fired.push(k),
    )
    const t0 = Date.now()
    for (let i = 0; i < 10_000; i++) d.set(`dev-${i}`, t0 + 1000 + (i % 100) * 10)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(fired).toHaveLength(100)
    vi.advanceTimersByTime(990)
    expect(fired).toHaveLength(10_000)
    expect(d.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('replaces a deadline set again, skips a deleted one, and keeps its heap from growing', () => {
    const fired: string[] = []
    const d = new Deadlines<string>(
      () => {},
      'test',
      (k) => fired.push(k),
    )
    const t0 = Date.now()
    d.set('a', t0 + 100)
    d.set('b', t0 + 200)
    d.set('a', t0 + 300)
    d.delete('b')
    vi.advanceTimersByTime(250)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(50)
    expect(fired).toEqual(['a'])
    // A token renewed every few seconds for a long run: entries replaced, never piled up.
    for (let i = 0; i < 100_000; i++) d.set('renewing', Date.now() + 3_600_000 + i)
    expect((d as unknown as { heap: unknown[] }).heap.length).toBeLessThan(200)
  })

  it('waits past the longest timer a platform allows, and a fault in one key spares the rest', () => {
    const log: string[] = []
    const fired: string[] = []
    const d = new Deadlines<string>(
      (l) => log.push(l),
      'expiry',
      (k) => {
        if (k === 'bad') throw new Error('boom')
        fired.push(k)
      },
    )
    const day = 86_400_000
    d.set('late', Date.now() + 40 * day)
    d.set('bad', Date.now() + 10)
    d.set('good', Date.now() + 10)
    vi.advanceTimersByTime(10)
    expect(fired).toEqual(['good'])
    expect(log[0]).toMatch(/^expiry: fault contained \(Error: boom\)/)
    vi.advanceTimersByTime(30 * day)
    expect(fired).toEqual(['good'])
    vi.advanceTimersByTime(10 * day)
    expect(fired).toEqual(['good', 'late'])
  })

  it('fires nothing once disposed', () => {
    const fired: string[] = []
    const d = new Deadlines<string>(
      () => {},
      'test',
      (k) => fired.push(k),
    )
    d.set('a', Date.now() + 10)
    d.dispose()
    vi.advanceTimersByTime(100)
    expect(fired).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
