import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../../electron/device/backoff'

const policy = { initialMs: 200, maxMs: 5000 }

describe('backoffDelay', () => {
  it('doubles per attempt between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(100)
    expect(backoffDelay(1, policy, () => 1)).toBe(200)
    expect(backoffDelay(2, policy, () => 0)).toBe(200)
    expect(backoffDelay(3, policy, () => 1)).toBe(800)
  })

  it('is capped, however many attempts', () => {
    expect(backoffDelay(50, policy, () => 1)).toBe(5000)
    expect(backoffDelay(10_000, policy, () => 0)).toBe(2500)
  })

  it('spreads retries (jitter)', () => {
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(4, policy)))
    expect(seen.size).toBeGreaterThan(1)
  })
})
