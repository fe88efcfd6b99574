import { describe, expect, it } from 'vitest'
import {
  checkValue,
  describeSchema,
  exampleValue,
  primitiveSchemas,
  unitSymbol,
  type PrimitiveSchema,
  type Schema,
} from '../../../shared/dtdl'

// checkValue per schema kind, in IoT Central's JSON encoding: good values pass, bad ones get a
// reason that says where inside the value it went wrong.

const p = (kind: PrimitiveSchema): Schema => ({ kind })

const intEnum: Schema = {
  kind: 'enum',
  valueSchema: 'integer',
  values: [
    { name: 'off', displayName: 'Off', value: 0 },
    { name: 'low', displayName: 'Low', value: 1 },
    { name: 'high', displayName: 'High', value: 2 },
  ],
}
const stringEnum: Schema = {
  kind: 'enum',
  valueSchema: 'string',
  values: [
    { name: 'on', displayName: 'On', value: 'on' },
    { name: 'off', displayName: 'Off', value: 'off' },
  ],
}
const point3: Schema = {
  kind: 'object',
  fields: [
    { name: 'x', displayName: 'x', schema: p('double') },
    { name: 'label', displayName: 'label', schema: p('string') },
  ],
}
const nested: Schema = {
  kind: 'object',
  fields: [
    { name: 'name', displayName: 'name', schema: p('string') },
    { name: 'inner', displayName: 'inner', schema: point3 },
    { name: 'list', displayName: 'list', schema: { kind: 'array', element: point3 } },
    {
      name: 'byKey',
      displayName: 'byKey',
      schema: { kind: 'map', keyName: 'k', valueName: 'v', value: p('integer') },
    },
    { name: 'where', displayName: 'where', schema: { kind: 'geopoint' } },
    { name: 'mode', displayName: 'mode', schema: stringEnum },
  ],
}

describe('checkValue: primitives', () => {
  type Row = [PrimitiveSchema, unknown[], [unknown, RegExp][]]
  const rows: Row[] = [
    [
      'boolean',
      [true, false],
      [
        ['true', /expected a boolean, got the string "true"/],
        [1, /expected a boolean, got number 1/],
        [null, /got null/],
      ],
    ],
    [
      'date',
      ['2026-12-06', '2024-02-29', '0001-01-01'],
      [
        ['2026-13-01', /expected a date \(yyyy-mm-dd\)/],
        ['2026-12-6', /expected a date/],
        ['2026-12-06T00:00:00Z', /expected a date/],
        ['2026-00-10', /expected a date/],
        ['2026-02-30', /expected a date/],
        ['2026-04-31', /expected a date/],
        [20261206, /expected a date/],
      ],
    ],
    [
      'dateTime',
      [
        '2026-12-06T18:00:00Z',
        '2026-12-06T18:00:00.123Z',
        '2026-12-06T18:00:00+02:00',
        '2026-12-06T18:00:00.123-05:30',
      ],
      [
        ['2026-12-06', /expected a date-time/],
        ['18:00:00', /expected a date-time/],
        ['yesterday', /expected a date-time/],
        ['2026-12-06T25:00:00Z', /expected a date-time/],
        ['2026-02-30T12:00:00Z', /expected a date-time/],
        [1765044000000, /expected a date-time/],
      ],
    ],
    [
      'double',
      [0, -1.5, 1e300, -1e-300],
      [
        ['1.5', /expected a number, got the string "1.5"/],
        [null, /expected a number, got null/],
        [true, /expected a number/],
        [[1], /expected a number, got an array/],
      ],
    ],
    [
      'float',
      [0, 3.4e38, -3.4e38, 1.25],
      [
        [1e39, /expected a float \(at most ±3.4e38\), got 1e\+39/],
        [-1e39, /expected a float/],
        ['1', /expected a number/],
      ],
    ],
    [
      'duration',
      ['PT5M', 'P1DT2H', 'P1Y2M3DT4H5M6S', 'PT0.5S', 'P2W', 'P1D'],
      [
        ['P', /expected an ISO 8601 duration/],
        ['PT', /expected an ISO 8601 duration/],
        ['P1H', /expected an ISO 8601 duration/],
        ['5 minutes', /expected an ISO 8601 duration/],
        [300, /expected an ISO 8601 duration/],
      ],
    ],
    [
      'string',
      ['', 'hello', 'ünïcödé'],
      [
        [1, /expected a string, got number 1/],
        [null, /expected a string, got null/],
        [{}, /expected a string, got an object/],
      ],
    ],
    [
      'time',
      // RFC 3339 full-time (DTDL's definition) has an offset; IoT Central sends hh:mm:ss or hh:mm.
      ['07:30:00', '23:59:59.5', '00:00', '07:30', '07:20:50.52Z', '07:30:00+02:00'],
      [
        ['24:00:00', /expected a time/],
        ['7:30', /expected a time/],
        ['07:60', /expected a time/],
        ['07:30:61', /expected a time/],
        ['noon', /expected a time/],
        [730, /expected a time/],
      ],
    ],
    [
      'decimal',
      [1.5, -2, '3.14159265358979323846', '-0.5', '1e10'],
      [
        ['1,5', /expected a decimal number/],
        ['abc', /expected a decimal number/],
        [null, /expected a decimal number/],
      ],
    ],
    [
      'uuid',
      ['00000000-0000-4000-8000-000000000000', '123E4567-E89B-12D3-A456-426614174000'],
      [
        ['123e4567e89b12d3a456426614174000', /expected a UUID/],
        ['not-a-uuid', /expected a UUID/],
        [1, /expected a UUID/],
      ],
    ],
    [
      'bytes',
      ['', 'AAEC', 'aGVsbG8=', 'aGk='],
      [
        ['aGVsbG8', /expected base64 bytes/],
        ['not base64!', /expected base64 bytes/],
        [[1, 2], /expected base64 bytes/],
      ],
    ],
  ]

  describe.each(rows)('%s', (kind, good, bad) => {
    it.each(good.map((v) => [JSON.stringify(v), v]))('accepts %s', (_, v) => {
      expect(checkValue(v, p(kind))).toBeNull()
    })
    it.each(bad.map(([v, re]) => [JSON.stringify(v), v, re]))('refuses %s', (_, v, re) => {
      expect(checkValue(v, p(kind))).toMatch(re as RegExp)
    })
  })
})

describe('checkValue: the range of every integer type', () => {
  const ranges: [PrimitiveSchema, number, number, RegExp][] = [
    ['byte', -128, 127, /a byte \(-128 to 127\)/],
    ['short', -32768, 32767, /a short \(-32,768 to 32,767\)/],
    ['integer', -2147483648, 2147483647, /a 32-bit integer/],
    ['long', -(2 ** 53 - 1), 2 ** 53 - 1, /an integer/],
    ['unsignedByte', 0, 255, /an unsigned byte \(0 to 255\)/],
    ['unsignedShort', 0, 65535, /an unsigned short \(0 to 65,535\)/],
    ['unsignedInteger', 0, 4294967295, /an unsigned integer \(0 to 4,294,967,295\)/],
    ['unsignedLong', 0, 2 ** 53 - 1, /an unsigned integer/],
  ]

  it('covers every integer type DTDL has', () => {
    const integers = primitiveSchemas.filter(
      (s) => /integer|long|byte$|short/i.test(s) && s !== 'bytes',
    )
    expect(ranges.map((r) => r[0]).sort()).toEqual([...integers].sort())
  })

  describe.each(ranges)('%s: %d to %d', (kind, min, max, reason) => {
    it.each([min, max, 0, Math.trunc((min + max) / 2)].map((v) => [v]))('accepts %d', (v) => {
      expect(checkValue(v, p(kind))).toBeNull()
    })
    it.each([min - 1, max + 1].filter(Number.isSafeInteger).map((v) => [v]))(
      'refuses %d, saying the range',
      (v) => {
        expect(checkValue(v, p(kind))).toMatch(reason)
      },
    )
    it.each([[1.5], ['1'], [null], [true], [2 ** 60]])('refuses %j', (v) => {
      expect(checkValue(v, p(kind))).toMatch(/^expected /)
    })
  })

  it('long and unsignedLong stop at what JSON carries exactly', () => {
    expect(checkValue(2 ** 53, p('long'))).toMatch(/integer/)
    expect(checkValue(-(2 ** 53), p('long'))).toMatch(/integer/)
    expect(checkValue(2 ** 53, p('unsignedLong'))).toMatch(/unsigned integer/)
    expect(checkValue(-1, p('unsignedLong'))).toMatch(/unsigned integer/)
  })
})

describe('checkValue: enums', () => {
  it.each([0, 1, 2])('an integer enum accepts %d', (v) => {
    expect(checkValue(v, intEnum)).toBeNull()
  })
  it.each([
    [3, 'expected one of 0, 1, 2, got number 3'],
    ['1', 'expected one of 0, 1, 2, got the string "1"'],
    ['low', 'expected one of 0, 1, 2, got the string "low"'],
  ])('an integer enum refuses %j', (v, reason) => {
    expect(checkValue(v, intEnum)).toBe(reason)
  })
  it('a string enum takes its values, not its names or display names', () => {
    expect(checkValue('on', stringEnum)).toBeNull()
    expect(checkValue('On', stringEnum)).toBe('expected one of "on", "off", got the string "On"')
    expect(checkValue(0, stringEnum)).toMatch(/expected one of/)
  })
  it('a long enum lists its first eight values', () => {
    const big: Schema = {
      kind: 'enum',
      valueSchema: 'integer',
      values: Array.from({ length: 12 }, (_, i) => ({
        name: `v${i}`,
        displayName: `v${i}`,
        value: i,
      })),
    }
    expect(checkValue(99, big)).toBe('expected one of 0, 1, 2, 3, 4, 5, 6, 7, …, got number 99')
  })
})

describe('checkValue: objects, maps and arrays, with the path to what is wrong', () => {
  const good = {
    name: 'n',
    inner: { x: 1, label: 'a' },
    list: [{ x: 1 }, { label: 'b' }],
    byKey: { a: 1, b: 2 },
    where: { lat: 1, lon: 2 },
    mode: 'on',
  }

  it('accepts a full value, a partial one, and fields set to null ("not set")', () => {
    expect(checkValue(good, nested)).toBeNull()
    expect(checkValue({}, nested)).toBeNull()
    expect(checkValue({ name: null, inner: { x: null } }, nested)).toBeNull()
    expect(checkValue({ byKey: { a: null } }, nested)).toBeNull()
  })

  it.each([
    ['a field of the wrong type', { name: 5 }, 'name: expected a string, got number 5'],
    [
      'a field of a nested object',
      { inner: { x: 'one' } },
      'inner.x: expected a number, got the string "one"',
    ],
    ['an unknown field', { colour: 'red' }, 'has no field "colour"'],
    ['an unknown field of a nested object', { inner: { y: 1 } }, 'inner: has no field "y"'],
    [
      'an element of an array',
      { list: [{ x: 1 }, { x: 'a' }] },
      'list[1].x: expected a number, got the string "a"',
    ],
    ['an array that is not one', { list: { x: 1 } }, 'list: expected an array, got an object'],
    [
      'an array element that is not an object',
      { list: [7] },
      'list[0]: expected an object, got number 7',
    ],
    [
      'a map value',
      { byKey: { a: 1, b: 'two' } },
      'byKey.b: expected an integer, got the string "two"',
    ],
    [
      'a map value out of range',
      { byKey: { big: 2 ** 31 } },
      'byKey.big: expected a 32-bit integer (±2,147,483,647), got 2147483648',
    ],
    ['a map that is not one', { byKey: [1] }, 'byKey: expected a map (an object), got an array'],
    [
      'a geopoint inside',
      { where: { lat: 95, lon: 0 } },
      'where: lat: expected a latitude (-90 to 90), got number 95',
    ],
    [
      'an enum inside',
      { mode: 'auto' },
      'mode: expected one of "on", "off", got the string "auto"',
    ],
  ])('%s', (_, value, reason) => {
    expect(checkValue(value, nested)).toBe(reason)
  })

  it.each([
    [null, 'expected an object, got null'],
    [[], 'expected an object, got an array'],
    ['x', 'expected an object, got the string "x"'],
  ])('an object refuses %j', (v, reason) => {
    expect(checkValue(v, nested)).toBe(reason)
  })

  it('a top-level array and map say the index or key', () => {
    const arr: Schema = { kind: 'array', element: p('double') }
    expect(checkValue([1, 2, 3], arr)).toBeNull()
    expect(checkValue([], arr)).toBeNull()
    expect(checkValue([1, 'x'], arr)).toBe('[1]: expected a number, got the string "x"')
    expect(checkValue({ 0: 1 }, arr)).toBe('expected an array, got an object')
    const map: Schema = { kind: 'map', keyName: 'k', valueName: 'v', value: p('boolean') }
    expect(checkValue({ a: true }, map)).toBeNull()
    expect(checkValue({ a: 1 }, map)).toBe('a: expected a boolean, got number 1')
    const arrOfArr: Schema = { kind: 'array', element: arr }
    expect(checkValue([[1], [2, 'x']], arrOfArr)).toBe(
      '[1][1]: expected a number, got the string "x"',
    )
  })
})

describe('checkValue: geopoint, vector, point', () => {
  const geo: Schema = { kind: 'geopoint' }
  it.each([
    [{ lat: 47.64, lon: -122.13 }],
    [{ lat: 47.64, lon: -122.13, alt: 40 }],
    [{ lat: -90, lon: 180 }],
    [{ lat: 90, lon: -180, alt: -10.5 }],
  ])('a geopoint accepts %j', (v) => {
    expect(checkValue(v, geo)).toBeNull()
  })
  it.each([
    [{ lat: 91, lon: 0 }, /^lat: expected a latitude/],
    [{ lat: 0, lon: -181 }, /^lon: expected a longitude/],
    [{ lat: 0 }, /^lon: expected a longitude .*got nothing/],
    [{ lat: '47', lon: 0 }, /^lat: /],
    [{ lat: 0, lon: 0, alt: 'high' }, /^alt: expected a number/],
    [{ lat: 0, lon: 0, speed: 3 }, /a geopoint has lat, lon and alt, not "speed"/],
    [[47, -122], /expected a geopoint \{ lat, lon \}, got an array/],
    [{ type: 'Point', coordinates: [-122, 47] }, /^lat: /],
  ])('a geopoint refuses %j', (v, re) => {
    expect(checkValue(v, geo)).toMatch(re)
  })

  const vec: Schema = { kind: 'vector' }
  it('a vector is x, y and z numbers', () => {
    expect(checkValue({ x: 0, y: -1.5, z: 9.81 }, vec)).toBeNull()
    expect(checkValue({ x: 0, y: 0 }, vec)).toBe('z: expected a number, got nothing')
    expect(checkValue({ x: '1', y: 0, z: 0 }, vec)).toBe('x: expected a number, got the string "1"')
    expect(checkValue([0, 0, 0], vec)).toMatch(/expected a vector/)
  })

  const pt: Schema = { kind: 'point' }
  it('a point is GeoJSON: { type: "Point", coordinates: [lon, lat(, alt)] }', () => {
    expect(checkValue({ type: 'Point', coordinates: [-122.13, 47.64] }, pt)).toBeNull()
    expect(checkValue({ type: 'Point', coordinates: [-122.13, 47.64, 40] }, pt)).toBeNull()
    expect(checkValue({ type: 'point', coordinates: [0, 0] }, pt)).toMatch(
      /expected a GeoJSON point/,
    )
    expect(checkValue({ type: 'Point' }, pt)).toMatch(/expected a GeoJSON point/)
    expect(checkValue({ type: 'Point', coordinates: [0] }, pt)).toMatch(/^coordinates: /)
    expect(checkValue({ type: 'Point', coordinates: [0, 0, 0, 0] }, pt)).toMatch(/^coordinates: /)
    expect(checkValue({ type: 'Point', coordinates: [0, '0'] }, pt)).toMatch(/^coordinates: /)
    expect(checkValue({ lat: 0, lon: 0 }, pt)).toMatch(/expected a GeoJSON point/)
  })
})

/** One schema of every kind, nested ones too: what a template can hold. */
const everySchema: [string, Schema][] = [
  ...primitiveSchemas.map((k): [string, Schema] => [k, p(k)]),
  ['enum (integer)', intEnum],
  ['enum (string)', stringEnum],
  ['object', point3],
  ['object (empty)', { kind: 'object', fields: [] }],
  ['object (nested, every kind)', nested],
  ['map', { kind: 'map', keyName: 'sensor', valueName: 'reading', value: p('double') }],
  ['map of objects', { kind: 'map', keyName: 'k', valueName: 'v', value: point3 }],
  ['array', { kind: 'array', element: p('integer') }],
  ['array of enums', { kind: 'array', element: intEnum }],
  ['array of arrays', { kind: 'array', element: { kind: 'array', element: p('string') } }],
  ['geopoint', { kind: 'geopoint' }],
  ['vector', { kind: 'vector' }],
  ['point', { kind: 'point' }],
]

function deepObject(levels: number): Schema {
  return levels === 0
    ? p('double')
    : {
        kind: 'object',
        fields: [{ name: `l${levels}`, displayName: '', schema: deepObject(levels - 1) }],
      }
}

describe('exampleValue', () => {
  it.each(everySchema)('%s: the example passes checkValue', (_, schema) => {
    expect(checkValue(exampleValue(schema), schema)).toBeNull()
  })

  it.each([5, 8, 12])('an object %i levels deep: the example passes checkValue', (levels) => {
    const s = deepObject(levels)
    expect(checkValue(exampleValue(s), s)).toBeNull()
  })

  it('is plausible: the first enum value, one map entry, one array element', () => {
    expect(exampleValue(intEnum)).toBe(0)
    expect(
      exampleValue({ kind: 'map', keyName: 'sensor', valueName: 'v', value: p('boolean') }),
    ).toEqual({ sensor1: true })
    expect(exampleValue({ kind: 'array', element: p('string') })).toEqual(['text'])
    expect(exampleValue(point3)).toEqual({ x: 1.5, label: 'text' })
  })
})

describe('describeSchema', () => {
  it.each([
    [p('double'), 'double'],
    [p('dateTime'), 'dateTime'],
    [intEnum, 'enum (3 integers)'],
    [stringEnum, 'enum (2 strings)'],
    [point3, 'object (2 fields)'],
    [
      { kind: 'object', fields: [{ name: 'a', displayName: 'a', schema: p('double') }] } as Schema,
      'object (1 field)',
    ],
    [{ kind: 'map', keyName: 'k', valueName: 'v', value: p('double') } as Schema, 'map of double'],
    [{ kind: 'array', element: stringEnum } as Schema, 'array of enum (2 strings)'],
    [{ kind: 'geopoint' } as Schema, 'geopoint (lat, lon)'],
    [{ kind: 'vector' } as Schema, 'vector (x, y, z)'],
    [{ kind: 'point' } as Schema, 'GeoJSON point'],
  ])('%j → %s', (s, words) => {
    expect(describeSchema(s)).toBe(words)
  })
})

describe('unitSymbol', () => {
  it.each([
    ['degreeCelsius', '°C'],
    ['degreeFahrenheit', '°F'],
    ['kelvin', 'K'],
    ['percent', '%'],
    ['hectopascal', 'hPa'],
    ['metrePerSecondSquared', 'm/s²'],
    ['kibibyte', 'KiB'],
    ['unity', ''],
    [undefined, ''],
    ['', ''],
    ['kibibit', 'kibibit'],
    ['furlongPerFortnight', 'furlongPerFortnight'],
  ])('%s → %j', (unit, symbol) => {
    expect(unitSymbol(unit)).toBe(symbol)
  })
})
