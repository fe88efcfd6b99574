import { describe, expect, it } from 'vitest'
import { buildDesiredAcks, type DesiredAck } from '../../../electron/device/behaviour/desired'
import { checkValue } from '../../../shared/dtdl'
import { sampleModel } from './model'

const ackOf = (doc: Record<string, unknown>, name = 'fanSpeed') =>
  buildDesiredAcks(doc, sampleModel).patch[name] as DesiredAck

describe('buildDesiredAcks', () => {
  it('acknowledges a valid writable property with 200 and the desired version', () => {
    expect(buildDesiredAcks({ fanSpeed: 3, $version: 7 }, sampleModel).patch).toEqual({
      fanSpeed: { value: 3, ac: 200, av: 7, ad: 'completed' },
    })
  })

  it('acknowledges every key of a patch, refusing what the model does not allow with 400', () => {
    const acks = buildDesiredAcks(
      { fanSpeed: 'fast', battery: 50, colour: 'red', $version: 4, $metadata: {} },
      sampleModel,
    ).patch as Record<string, DesiredAck>
    expect(Object.keys(acks).sort()).toEqual(['battery', 'colour', 'fanSpeed'])
    expect(acks.fanSpeed).toMatchObject({ value: 'fast', ac: 400, av: 4 })
    expect(acks.fanSpeed!.ad).toMatch(/integer/)
    expect(acks.battery).toMatchObject({ ac: 400, ad: 'battery is read-only' })
    expect(acks.colour).toMatchObject({ ac: 400 })
    expect(acks.colour!.ad).toMatch(/no property "colour"/)
  })

  it('refuses odd values without throwing', () => {
    const acks = buildDesiredAcks(
      { fanSpeed: 2.5, $version: 'x' } as Record<string, unknown>,
      sampleModel,
    ).patch as Record<string, DesiredAck>
    expect(acks.fanSpeed).toMatchObject({ ac: 400, av: 0 })
    expect(ackOf({ fanSpeed: { nested: [1] }, $version: 1 }).ac).toBe(400)
    expect(ackOf({ fanSpeed: null, $version: 2 })).toMatchObject({
      value: null,
      ac: 200,
      ad: 'cleared',
    })
  })

  it("holds numbers to DTDL's sizes: integer is 32-bit, long what JSON keeps exact", () => {
    const ack = (v: number) => ackOf({ fanSpeed: v, $version: 3 })
    expect(ack(2_147_483_647).ac).toBe(200)
    expect(ack(-2_147_483_648).ac).toBe(200)
    expect(ack(99_999_999_999)).toMatchObject({ ac: 400, ad: expect.stringMatching(/32-bit/) })
    expect(checkValue(2 ** 53 - 1, { kind: 'long' })).toBeNull()
    expect(checkValue(2 ** 60, { kind: 'long' })).toMatch(/integer/)
    expect(checkValue(3.4e38, { kind: 'float' })).toBeNull()
    expect(checkValue(1e39, { kind: 'float' })).toMatch(/float/)
    expect(checkValue(1e300, { kind: 'double' })).toBeNull()
  })
})
