import { describe, expect, it } from 'vitest'
import { jsonDepth, parseJsonBounded, valueDepth } from '../../../lab/json'
import {
  deviceIdProblem,
  mergeTwin,
  registrationIdProblem,
  twinPatchProblem,
  twinSize,
} from '../../../lab/limits'

describe('bounded JSON', () => {
  it('measures depth from the text, ignoring brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0)
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3)
    expect(jsonDepth('{"a":"[[[[\\"{{{"}')).toBe(1)
    expect(jsonDepth('['.repeat(100_000), 10)).toBe(11)
  })

  it('refuses too deep before parsing, and never throws', () => {
    expect(parseJsonBounded('{"a":{"b":1}}', 2)).toEqual({ ok: true, value: { a: { b: 1 } } })
    expect(parseJsonBounded('{"a":{"b":1}}', 1)).toEqual({ ok: false, reason: 'depth' })
    expect(parseJsonBounded('{"a":', 5)).toEqual({ ok: false, reason: 'syntax' })
    expect(parseJsonBounded(Buffer.from([0xc3, 0x28]), 5)).toEqual({ ok: false, reason: 'syntax' })
    expect(valueDepth({ a: [1, { b: null }] })).toBe(3)
  })
})

describe('ids', () => {
  it('takes what DPS takes as a registration id', () => {
    for (const ok of ['failover_js', 'sdk-dev', 'a', 'A.b:c-d_e', 'x'.repeat(128)])
      expect(registrationIdProblem(ok)).toBeNull()
    for (const bad of ['', '+', '#', 'a/b', 'a b', '-a', 'a.', 'x'.repeat(129), 'ü'])
      expect({ bad, problem: registrationIdProblem(bad) }).toMatchObject({
        problem: expect.any(String),
      })
  })

  it("takes IoT Hub's device id characters except MQTT's wildcards", () => {
    expect(deviceIdProblem("dev-1:a.b%_*?!(),=@;$'")).toBeNull()
    for (const bad of ['+', 'a#', 'a/b', '', 'x'.repeat(129), 'a b'])
      expect(deviceIdProblem(bad)).not.toBeNull()
  })
})

describe('twin rules', () => {
  it('counts a section as IoT Hub does: keys and string values by characters, numbers 8, booleans 4', () => {
    expect(twinSize({ ab: 'xyz', n: 1, t: true, o: { k: null } })).toBe(
      2 + 3 + 1 + 8 + 1 + 4 + 1 + 1,
    )
    expect(twinSize({ s: 'a\u0001b' })).toBe(1 + 2)
  })

  it('refuses keys with . $ space or control characters, long keys and strings, and more than 10 levels', () => {
    expect(twinPatchProblem({ fanSpeed: { value: 3, ac: 200 } })).toBeNull()
    expect(twinPatchProblem([])).toMatch(/object/)
    for (const bad of [
      { 'a.b': 1 },
      { $v: 1 },
      { 'a b': 1 },
      { 'a\u0000': 1 },
      { k: [{ 'x.y': 1 }] },
    ])
      expect(twinPatchProblem(bad)).toMatch(/property name/)
    expect(twinPatchProblem({ ['k'.repeat(1025)]: 1 })).toMatch(/1024/)
    expect(twinPatchProblem({ s: 'v'.repeat(4097) })).toMatch(/4096/)
    expect(twinPatchProblem({ a: ['v'.repeat(4097)] })).toMatch(/4096/)
    const nest = (n: number): unknown => (n === 0 ? 1 : { a: nest(n - 1) })
    expect(twinPatchProblem(nest(10))).toBeNull()
    expect(twinPatchProblem(nest(11))).toMatch(/10 levels/)
    // A patch's own $version is ignored, not refused; a number JSON reads as Infinity is refused.
    expect(twinPatchProblem({ $version: 5, fanSpeed: 2 })).toBeNull()
    expect(twinPatchProblem({ a: { $version: 5 } })).toMatch(/property name/)
    expect(twinPatchProblem(JSON.parse('{"a":1e400}'))).toMatch(/"a" out of range/)
    expect(twinPatchProblem(JSON.parse('{"a":[-1e400]}'))).toMatch(/out of range/)
  })

  it('merges as IoT Hub does, on a copy, and refuses a result over 32 KB', () => {
    const section = { a: { x: 1, y: 2 }, b: 1, $version: 4 }
    const r = mergeTwin(section, { a: { y: null, z: 3 }, b: null, c: 'new' })
    expect(r).toEqual({ merged: { a: { x: 1, z: 3 }, c: 'new', $version: 4 } })
    expect(section).toEqual({ a: { x: 1, y: 2 }, b: 1, $version: 4 })
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(4000)]))
    expect(mergeTwin({ $version: 1 }, big)).toEqual({ problem: expect.stringMatching(/32 KB/) })
  })

  it('keeps __proto__ as a property, never as a prototype', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>
    const r = mergeTwin({ $version: 1 }, patch) as { merged: Record<string, unknown> }
    expect(Object.getPrototypeOf(r.merged)).toBe(Object.prototype)
    expect(Object.keys(r.merged)).toContain('__proto__')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
