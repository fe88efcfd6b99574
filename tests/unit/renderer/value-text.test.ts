import { describe, expect, it } from 'vitest'
import { numberText, valueText } from '../../../renderer/src/value-text'

describe('values as the window shows them', () => {
  it('rounds readings to what is read at a glance', () => {
    expect([21.4567, 1013.25, 0.04213, 7, -3.14159, 150.55].map(numberText)).toEqual([
      '21.5',
      '1013',
      '0.0421',
      '7',
      '-3.14',
      '150.6',
    ])
  })

  it('reads each schema its own way', () => {
    expect(valueText(3.14159, { kind: 'double' })).toBe('3.14')
    expect(valueText(123456789, { kind: 'long' })).toBe('123456789')
    expect(valueText(false, { kind: 'boolean' })).toBe('false')
    expect(
      valueText(2, {
        kind: 'enum',
        valueSchema: 'integer',
        values: [{ name: 'two', displayName: 'Two', value: 2 }],
      }),
    ).toBe('Two')
    expect(valueText({ lat: 47.6397123, lon: -122.1282 }, { kind: 'geopoint' })).toBe(
      '47.63971, -122.1282',
    )
    expect(valueText({ type: 'Point', coordinates: [-122.1, 47.6] }, { kind: 'point' })).toBe(
      '47.6, -122.1',
    )
    expect(valueText({ x: 1, y: 0.5, z: -9.81 }, { kind: 'vector' })).toBe('1, 0.5, -9.81')
    expect(
      valueText(
        { a: 1 },
        { kind: 'map', keyName: 'k', valueName: 'v', value: { kind: 'integer' } },
      ),
    ).toBe('{"a":1}')
    expect(valueText('x'.repeat(60), { kind: 'string' }, 10)).toBe('xxxxxxxxx…')
    // A value of the wrong type shows as the JSON it is.
    expect(valueText('hot', { kind: 'double' })).toBe('"hot"')
    expect(valueText(undefined, { kind: 'double' })).toBe('—')
  })
})
