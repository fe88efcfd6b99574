import { describe, expect, it } from 'vitest'
import { Ring } from '../../../electron/device/logs'

describe('Ring', () => {
  it('keeps the newest `max` items, oldest out, in order', () => {
    const r = new Ring<{ id: number }>(3)
    for (let id = 1; id <= 10; id++) r.push({ id })
    expect(r.list().map((x) => x.id)).toEqual([8, 9, 10])
  })

  it('updates a kept item in place, and appends one it no longer keeps', () => {
    const r = new Ring<{ id: number; v: string }>(3)
    for (let id = 1; id <= 5; id++) r.push({ id, v: 'a' })
    r.upsert({ id: 4, v: 'b' })
    r.upsert({ id: 1, v: 'c' }) // dropped long ago: comes back as the newest
    expect(r.list()).toEqual([
      { id: 4, v: 'b' },
      { id: 5, v: 'a' },
      { id: 1, v: 'c' },
    ])
  })
})
