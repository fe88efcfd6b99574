import { describe, expect, it } from 'vitest'
import { LabState } from '../../../lab/state'

const newState = () => new LabState({ a: 'hub-a', b: 'hub-b' }, 5)

describe('home hubs', () => {
  it('split 10,000 devices named fleet-0…9999 evenly over the two hubs, within 3 %', () => {
    const state = newState()
    for (let i = 0; i < 10_000; i++) state.register(`fleet-${i}`)
    const { a, b } = state.homeSplit()
    expect(a + b).toBe(10_000)
    expect(Math.abs(a - 5000)).toBeLessThanOrEqual(150)
    state.dispose()
  })

  it('are the same for an id in every lab, and the split follows a re-homing', () => {
    const one = newState()
    const two = newState()
    const ids = Array.from({ length: 200 }, (_, i) => `sn-${i}`)
    expect(ids.map((id) => one.homeHubFor(id))).toEqual(ids.map((id) => two.homeHubFor(id)))
    for (const id of ids) one.register(id)
    const before = one.homeSplit()
    const onA = ids.find((id) => one.devices.get(id)!.homeHub === 'a')!
    one.rehome(onA, 'b')
    expect(one.homeSplit()).toEqual({ a: before.a - 1, b: before.b + 1 })
    one.dispose()
    two.dispose()
  })
})
