import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { answerMethod, findCommand, settleC2d } from '../../../electron/device/behaviour/commands'
import { buildDesiredAcks, type DesiredAck } from '../../../electron/device/behaviour/desired'
import { sourceFor, type Hints, type Random } from '../../../electron/device/behaviour/generate'
import { ReportedSimulator, TelemetrySimulator } from '../../../electron/device/behaviour/simulate'
import { mergePatch } from '../../../electron/device/behaviour/twin-merge'
import {
  checkValue,
  dtmiPath,
  loadModel,
  parseModel,
  primitiveSchemas,
  type DeviceModel,
  type PrimitiveSchema,
  type Schema,
} from '../../../shared/dtdl'

// What the model makes the device do, against the temperature controller of the models
// repository (three components) and small models of our own. Randomness is seeded.

/** mulberry32: a small seeded generator, values in [0, 1). */
function seeded(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const repoDir = join(import.meta.dirname, '../../fixtures/models/repo')
function fromRepo(file: string): DeviceModel {
  const r = loadModel([{ name: file, text: readFileSync(join(repoDir, file), 'utf8') }], {
    resolve: (id) => {
      const full = join(repoDir, dtmiPath(id))
      return existsSync(full) ? { name: dtmiPath(id), text: readFileSync(full, 'utf8') } : null
    },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.model
}
const tc = fromRepo('dtmi/com/example/temperaturecontroller-2.json')

const json = (v: unknown) => Buffer.from(JSON.stringify(v))
const p = (kind: PrimitiveSchema): Schema => ({ kind })
const byWire = (m: DeviceModel, wire: string) => {
  const c = m.commands.find((x) => (x.component ? `${x.component}*${x.name}` : x.name) === wire)
  if (!c) throw new Error(`no command ${wire}`)
  return c
}

const intEnum: Schema = {
  kind: 'enum',
  valueSchema: 'integer',
  values: [
    { name: 'off', displayName: 'Off', value: 0 },
    { name: 'low', displayName: 'Low', value: 1 },
    { name: 'high', displayName: 'High', value: 7 },
  ],
}
const stringEnum: Schema = {
  kind: 'enum',
  valueSchema: 'string',
  values: [
    { name: 'idle', displayName: 'Idle', value: 'idle' },
    { name: 'brewing', displayName: 'Brewing', value: 'brewing' },
    { name: 'cleaning', displayName: 'Cleaning', value: 'cleaning' },
    { name: 'fault', displayName: 'Fault', value: 'fault' },
  ],
}
const reading: Schema = {
  kind: 'object',
  fields: [
    { name: 'temperature', displayName: '', schema: p('double') },
    { name: 'count', displayName: '', schema: p('unsignedShort') },
    { name: 'state', displayName: '', schema: stringEnum },
    { name: 'at', displayName: '', schema: p('dateTime') },
    { name: 'where', displayName: '', schema: { kind: 'geopoint' } },
  ],
}
const everySchema: [string, Schema][] = [
  ...primitiveSchemas.map((k): [string, Schema] => [k, p(k)]),
  ['enum (integer)', intEnum],
  ['enum (string)', stringEnum],
  ['object', reading],
  ['object (empty)', { kind: 'object', fields: [] }],
  ['map', { kind: 'map', keyName: 'sensor', valueName: 'reading', value: p('double') }],
  ['map of objects', { kind: 'map', keyName: 'k', valueName: 'v', value: reading }],
  ['array', { kind: 'array', element: p('byte') }],
  ['array of objects', { kind: 'array', element: reading }],
  ['array of arrays', { kind: 'array', element: { kind: 'array', element: intEnum } }],
  ['geopoint', { kind: 'geopoint' }],
  ['vector', { kind: 'vector' }],
  ['point', { kind: 'point' }],
]
const hintSets: Hints[] = [
  { name: 'value' },
  { name: 'temperature', semanticType: 'Temperature', unit: 'degreeCelsius' },
  { name: 'humidity', unit: 'percent' },
  { name: 'pressure', semanticType: 'Pressure', unit: 'hectopascal' },
  { name: 'power', semanticType: 'Power' },
  { name: 'memoryFree' },
  { name: 'angle', semanticType: 'Angle' },
  { name: 'rpm', unit: 'revolutionPerMinute' },
  { name: 'kelvinTemp', unit: 'kelvin' },
  { name: 'manufacturer' },
  { name: 'serialNumber' },
  { name: 'status' },
]

function draws(schema: Schema, hints: Hints, n: number, seed = 1): unknown[] {
  const s = sourceFor(schema, hints, seeded(seed))
  return Array.from({ length: n }, () => s.next())
}

describe('generators: every draw passes checkValue', () => {
  it.each(everySchema)('%s, under every hint, 300 draws', (_, schema) => {
    for (const [i, hints] of hintSets.entries()) {
      for (const v of draws(schema, hints, 300, i + 1)) {
        const problem = checkValue(v, schema)
        if (problem) throw new Error(`${hints.name}: ${JSON.stringify(v)}: ${problem}`)
      }
    }
  })

  it('numbers keep to an integer type even when the hint wants more (Pressure as an unsignedByte)', () => {
    const ints: PrimitiveSchema[] = [
      'byte',
      'short',
      'integer',
      'long',
      'unsignedByte',
      'unsignedShort',
      'unsignedInteger',
      'unsignedLong',
    ]
    const semantics = [
      'Temperature',
      'Pressure',
      'Power',
      'DataSize',
      'TimeSpan',
      'Angle',
      'Frequency',
      'Acceleration',
      'Voltage',
    ]
    for (const kind of ints)
      for (const semanticType of semantics)
        for (const v of draws(p(kind), { name: 'x', semanticType }, 200)) {
          const problem = checkValue(v, p(kind))
          if (problem) throw new Error(`${kind} ${semanticType}: ${String(v)}: ${problem}`)
        }
  })

  it('a schema nested past eight levels still gives a valid value', () => {
    let s: Schema = p('double')
    for (let i = 0; i < 12; i++)
      s = {
        kind: 'object',
        fields: [{ name: `l${i}`, displayName: '', schema: { kind: 'array', element: s } }],
      }
    for (const v of draws(s, { name: 'deep' }, 5)) expect(checkValue(v, s)).toBeNull()
  })

  it('is deterministic for a given random function', () => {
    expect(draws(reading, { name: 'r' }, 20, 42).map((v) => ({ ...(v as object), at: 0 }))).toEqual(
      draws(reading, { name: 'r' }, 20, 42).map((v) => ({ ...(v as object), at: 0 })),
    )
  })
})

describe('generators: plausible values', () => {
  const numeric = (schema: Schema, hints: Hints, n = 2000, seed = 7) =>
    draws(schema, hints, n, seed) as number[]

  it.each([
    ['Temperature (semantic type)', { name: 'x', semanticType: 'Temperature' }, -10, 45],
    ['degreeCelsius (unit)', { name: 'x', unit: 'degreeCelsius' }, -10, 45],
    ['a name with temp in it', { name: 'waterTemp' }, -10, 45],
    ['percent (unit)', { name: 'x', unit: 'percent' }, 0, 100],
    ['Humidity', { name: 'x', semanticType: 'Humidity', unit: 'percent' }, 0, 100],
    ['a battery level', { name: 'batteryLevel' }, 5, 100],
    ['kelvin', { name: 'x', unit: 'kelvin' }, 263, 318],
    ['degreeFahrenheit', { name: 'x', unit: 'degreeFahrenheit' }, 14, 113],
    ['Pressure', { name: 'x', semanticType: 'Pressure' }, 950, 1050],
    ['nothing known', { name: 'x' }, 0, 100],
  ] as [string, Hints, number, number][])(
    '%s stays within %d..%d, walking (no jumps)',
    (_, hints, min, max) => {
      for (const kind of ['double', 'float', 'integer'] as const) {
        const vs = numeric(p(kind), hints)
        expect(Math.min(...vs)).toBeGreaterThanOrEqual(min)
        expect(Math.max(...vs)).toBeLessThanOrEqual(max)
        const biggestStep = Math.max(...vs.slice(1).map((v, i) => Math.abs(v - vs[i]!)))
        expect(biggestStep).toBeLessThanOrEqual(
          kind === 'integer' ? Math.max(2, (max - min) / 20) : (max - min) / 20,
        )
        expect(new Set(vs).size).toBeGreaterThan(kind === 'integer' ? 5 : 50)
      }
    },
  )

  it.each(['batteryLevel', 'battery', 'stateOfCharge'])(
    'a %s drains reading by reading, then charges back up without a jump',
    (name) => {
      for (const kind of ['double', 'integer'] as const) {
        const vs = numeric(p(kind), { name }, 2000)
        const drain = vs.slice(0, 40)
        drain.slice(1).forEach((v, i) => expect(v).toBeLessThan(drain[i]!))
        const low = vs.indexOf(Math.min(...vs))
        expect(vs[low]).toBeGreaterThanOrEqual(5)
        expect(Math.max(...vs.slice(low))).toBeGreaterThan(vs[low]! + 10)
        const biggestStep = Math.max(...vs.slice(1).map((v, i) => Math.abs(v - vs[i]!)))
        expect(biggestStep).toBeLessThanOrEqual(5)
      }
    },
  )

  it('the semantic type wins over the unit and the name', () => {
    const vs = numeric(p('double'), {
      name: 'temperature',
      semanticType: 'Pressure',
      unit: 'percent',
    })
    expect(Math.min(...vs)).toBeGreaterThanOrEqual(950)
  })

  it('temperatures start near room temperature', () => {
    const first = numeric(p('double'), { name: 't', semanticType: 'Temperature' }, 1)[0]!
    expect(Math.abs(first - 22)).toBeLessThan(1)
  })

  it('decimal is a decimal string in range', () => {
    const vs = draws(p('decimal'), { name: 'x', unit: 'percent' }, 200) as string[]
    for (const v of vs) {
      expect(typeof v).toBe('string')
      expect(Number(v)).toBeGreaterThanOrEqual(0)
      expect(Number(v)).toBeLessThanOrEqual(100)
    }
  })

  it.each([
    ['an integer enum', intEnum],
    ['a string enum', stringEnum],
  ])('%s cycles through all its values, in order', (_, schema) => {
    const values = (schema as Extract<Schema, { kind: 'enum' }>).values.map((v) => v.value)
    expect(draws(schema, { name: 'mode' }, values.length * 3)).toEqual([
      ...values,
      ...values,
      ...values,
    ])
  })

  it('a geopoint moves: every reading differs from the one before, by a plausible step, near one place', () => {
    const vs = draws({ kind: 'geopoint' }, { name: 'location' }, 300) as {
      lat: number
      lon: number
      alt?: number
    }[]
    for (let i = 1; i < vs.length; i++) {
      const a = vs[i - 1]!
      const b = vs[i]!
      expect(a.lat !== b.lat || a.lon !== b.lon).toBe(true)
      expect(Math.abs(a.lat - b.lat)).toBeLessThan(0.001)
      expect(Math.abs(a.lon - b.lon)).toBeLessThan(0.001)
    }
    const lats = vs.map((v) => v.lat)
    const lons = vs.map((v) => v.lon)
    expect(Math.max(...lats) - Math.min(...lats)).toBeGreaterThan(0.005)
    expect(Math.max(...lats) - Math.min(...lats)).toBeLessThan(0.1)
    expect(Math.max(...lons) - Math.min(...lons)).toBeLessThan(0.1)
  })

  it('a GeoJSON point moves the same way, [lon, lat]', () => {
    const vs = draws({ kind: 'point' }, { name: 'where' }, 3) as {
      type: string
      coordinates: number[]
    }[]
    expect(vs[0]!.type).toBe('Point')
    expect(vs[0]!.coordinates).not.toEqual(vs[1]!.coordinates)
    expect(Math.abs(vs[0]!.coordinates[1]! - 47.64)).toBeLessThan(0.1)
  })

  it('an object fills every field, each by its own name', () => {
    const v = draws(reading, { name: 'r' }, 1)[0] as Record<string, unknown>
    expect(Object.keys(v)).toEqual(['temperature', 'count', 'state', 'at', 'where'])
    expect(v['temperature']).toBeGreaterThanOrEqual(-10)
    expect(v['temperature']).toBeLessThanOrEqual(45)
    expect(v['state']).toBe('idle')
  })

  it('a map gets entries named after its key', () => {
    const v = draws(
      { kind: 'map', keyName: 'sensor', valueName: 'temperature', value: p('double') },
      { name: 'm' },
      1,
    )[0] as Record<string, number>
    expect(Object.keys(v)).toEqual(['sensor1', 'sensor2'])
    for (const x of Object.values(v)) expect(Math.abs(x - 22)).toBeLessThan(1)
  })

  it.each([
    ['manufacturer', /^Contoso$/],
    ['model', /Lizard/],
    ['swVersion', /^\d+\.\d+\.\d+$/],
    ['firmwareVersion', /^\d+\.\d+\.\d+$/],
    ['serialNumber', /^SN-/],
    ['macAddress', /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/],
    ['ipAddress', /^\d+\.\d+\.\d+\.\d+$/],
    ['message', /^reading \d+$/],
    ['label', /^label-\d+$/],
  ])('a string named %s looks like one', (name, re) => {
    for (const v of draws(p('string'), { name }, 5)) expect(v).toMatch(re)
  })

  it.each(['description', 'zipCode', 'recipient', 'shippingNote'])(
    'a string named %s does not look like an IP address',
    (name) => {
      for (const v of draws(p('string'), { name }, 3)) expect(v).not.toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    },
  )

  it('uuids differ, booleans change, durations cycle', () => {
    const ids = draws(p('uuid'), { name: 'id' }, 50)
    expect(new Set(ids).size).toBe(50)
    expect(new Set(draws(p('boolean'), { name: 'on' }, 20)).size).toBe(2)
    expect(draws(p('duration'), { name: 'd' }, 4)).toEqual(['PT5M', 'PT15M', 'PT1H', 'PT5M'])
  })
})

describe('TelemetrySimulator (the temperature controller)', () => {
  it('one reading per component that has telemetry, component names right, values by schema', () => {
    const sim = new TelemetrySimulator(tc, seeded(3))
    expect(sim.empty).toBe(false)
    for (let i = 0; i < 200; i++) {
      const readings = sim.next()
      expect(readings.map((r) => r.component)).toEqual([null, 'thermostat1', 'thermostat2'])
      expect(readings.map((r) => Object.keys(r.values))).toEqual([
        ['workingSet'],
        ['temperature'],
        ['temperature'],
      ])
      for (const r of readings)
        for (const [name, value] of Object.entries(r.values)) {
          const def = tc.telemetry.find((t) => t.component === r.component && t.name === name)!
          expect(checkValue(value, def.schema)).toBeNull()
        }
      for (const r of readings.slice(1)) {
        expect(r.values['temperature']).toBeGreaterThanOrEqual(-10)
        expect(r.values['temperature']).toBeLessThanOrEqual(45)
      }
    }
  })

  it('each thermostat walks on its own', () => {
    const sim = new TelemetrySimulator(tc, seeded(5))
    const pairs = Array.from({ length: 50 }, () =>
      sim
        .next()
        .slice(1)
        .map((r) => r.values['temperature']),
    )
    expect(pairs.some(([a, b]) => a !== b)).toBe(true)
  })

  it('the same seed gives the same readings', () => {
    const a = new TelemetrySimulator(tc, seeded(9))
    const b = new TelemetrySimulator(tc, seeded(9))
    for (let i = 0; i < 10; i++) expect(a.next()).toEqual(b.next())
  })

  it('a model without telemetry is empty', () => {
    const m = fromRepo('dtmi/azure/devicemanagement/deviceinformation-1.json')
    const sim = new TelemetrySimulator(m, seeded(1))
    expect(sim.empty).toBe(true)
    expect(sim.next()).toEqual([])
  })
})

describe('ReportedSimulator (the temperature controller)', () => {
  it('reports the read-only properties, components wrapped as { "__t": "c", … }', () => {
    const sim = new ReportedSimulator(tc, seeded(2))
    expect(sim.empty).toBe(false)
    const patch = sim.next() as Record<string, Record<string, unknown>>
    expect(Object.keys(patch)).toEqual([
      'serialNumber',
      'thermostat1',
      'thermostat2',
      'deviceInformation',
    ])
    expect(Object.keys(patch['thermostat1']!)).toEqual(['__t', 'maxTempSinceLastReboot'])
    expect(patch['thermostat1']!['__t']).toBe('c')
    expect(patch['thermostat2']!['__t']).toBe('c')
    expect(patch['deviceInformation']).toMatchObject({
      __t: 'c',
      manufacturer: 'Contoso',
      processorManufacturer: 'Contoso',
      swVersion: '1.4.2',
    })
    expect(Object.keys(patch['deviceInformation']!)).toEqual([
      '__t',
      'manufacturer',
      'model',
      'swVersion',
      'osName',
      'processorArchitecture',
      'processorManufacturer',
      'totalStorage',
      'totalMemory',
    ])
  })

  it('never reports a writable property, and every value passes its schema', () => {
    const sim = new ReportedSimulator(tc, seeded(4))
    for (let i = 0; i < 50; i++) {
      const patch = sim.next()
      expect(JSON.stringify(patch)).not.toContain('targetTemperature')
      for (const prop of tc.properties.filter((x) => !x.writable)) {
        const v =
          prop.component === null
            ? patch[prop.name]
            : (patch[prop.component] as Record<string, unknown>)[prop.name]
        expect(checkValue(v, prop.schema)).toBeNull()
      }
    }
  })

  it('a model with only writable properties reports nothing', () => {
    const m = parseModel({
      '@context': 'dtmi:dtdl:context;2',
      '@id': 'dtmi:test:W;1',
      '@type': 'Interface',
      contents: [{ '@type': 'Property', name: 'w', schema: 'double', writable: true }],
    })
    expect(new ReportedSimulator(m, seeded(1)).empty).toBe(true)
  })
})

describe('buildDesiredAcks (the temperature controller)', () => {
  const acks = (doc: Record<string, unknown>) => buildDesiredAcks(doc, tc)

  it('a component property: acknowledged inside the component, __t kept, value/ac/av/ad in that order', () => {
    const r = acks({ thermostat1: { __t: 'c', targetTemperature: 21.5 }, $version: 5 })
    expect(r.patch).toEqual({
      thermostat1: {
        __t: 'c',
        targetTemperature: { value: 21.5, ac: 200, av: 5, ad: 'completed' },
      },
    })
    expect(
      Object.keys((r.patch['thermostat1'] as Record<string, DesiredAck>)['targetTemperature']!),
    ).toEqual(['value', 'ac', 'av', 'ad'])
    expect(r.entries).toEqual([
      {
        key: 'thermostat1/targetTemperature',
        component: 'thermostat1',
        name: 'targetTemperature',
        ack: { value: 21.5, ac: 200, av: 5, ad: 'completed' },
      },
    ])
  })

  it('without __t in the desired patch, the ack still carries it', () => {
    expect(acks({ thermostat2: { targetTemperature: 19 }, $version: 2 }).patch).toEqual({
      thermostat2: { __t: 'c', targetTemperature: { value: 19, ac: 200, av: 2, ad: 'completed' } },
    })
  })

  it('every key of every component, each judged on its own', () => {
    const r = acks({
      thermostat1: { __t: 'c', targetTemperature: 'warm', fanSpeed: 3 },
      thermostat2: { __t: 'c', targetTemperature: 22, maxTempSinceLastReboot: 40 },
      $version: 9,
      $metadata: {},
    })
    const by = Object.fromEntries(r.entries.map((e) => [e.key, e.ack]))
    expect(Object.keys(by)).toEqual([
      'thermostat1/targetTemperature',
      'thermostat1/fanSpeed',
      'thermostat2/targetTemperature',
      'thermostat2/maxTempSinceLastReboot',
    ])
    expect(by['thermostat1/targetTemperature']).toEqual({
      value: 'warm',
      ac: 400,
      av: 9,
      ad: 'expected a number, got the string "warm"',
    })
    expect(by['thermostat1/fanSpeed']).toEqual({
      value: 3,
      ac: 400,
      av: 9,
      ad: 'component thermostat1 has no property "fanSpeed"',
    })
    expect(by['thermostat2/targetTemperature']).toMatchObject({ ac: 200, ad: 'completed' })
    expect(by['thermostat2/maxTempSinceLastReboot']).toEqual({
      value: 40,
      ac: 400,
      av: 9,
      ad: 'thermostat2/maxTempSinceLastReboot is read-only',
    })
    expect(Object.keys(r.patch)).toEqual(['thermostat1', 'thermostat2'])
    expect((r.patch['thermostat1'] as Record<string, unknown>)['__t']).toBe('c')
  })

  it('null clears a writable property (200), and is still refused for a read-only one', () => {
    expect(acks({ thermostat1: { targetTemperature: null }, $version: 3 }).patch).toEqual({
      thermostat1: { __t: 'c', targetTemperature: { value: null, ac: 200, av: 3, ad: 'cleared' } },
    })
    expect(
      acks({ thermostat1: { maxTempSinceLastReboot: null }, $version: 3 }).entries[0]!.ack.ac,
    ).toBe(400)
  })

  it('root properties: read-only, unknown, and a component name given a bare value', () => {
    const r = acks({ serialNumber: 'SN-1', colour: 'red', thermostat1: 21, $version: 4 })
    expect(r.patch).toEqual({
      serialNumber: { value: 'SN-1', ac: 400, av: 4, ad: 'serialNumber is read-only' },
      colour: {
        value: 'red',
        ac: 400,
        av: 4,
        ad: 'dtmi:com:example:TemperatureController;2 has no property "colour"',
      },
      thermostat1: {
        value: 21,
        ac: 400,
        av: 4,
        ad: expect.stringMatching(
          /thermostat1 is a component: its properties come as \{ "__t": "c"/,
        ),
      },
    })
    expect(r.entries.map((e) => [e.key, e.component])).toEqual([
      ['serialNumber', null],
      ['colour', null],
      ['thermostat1', null],
    ])
  })

  it("a component property given at the root is not taken for the component's", () => {
    expect(acks({ targetTemperature: 21, $version: 1 }).patch).toEqual({
      targetTemperature: {
        value: 21,
        ac: 400,
        av: 1,
        ad: expect.stringMatching(/has no property "targetTemperature"/),
      },
    })
  })

  it('a component patch with only __t and $-keys acknowledges nothing; no $version is av 0', () => {
    expect(acks({ thermostat1: { __t: 'c', $version: 3 }, $version: 3 })).toEqual({
      entries: [],
      patch: {},
    })
    expect(acks({ thermostat1: { targetTemperature: 20 } }).entries[0]!.ack.av).toBe(0)
  })

  it('a writable property with an object schema (real models) takes a partial object and refuses an unknown field', () => {
    let checked = 0
    for (const file of [
      'dtmi/azure/iot/deviceupdate-1.json',
      'dtmi/seeedkk/wioterminal/wioterminal_digital_signage-2.json',
      'dtmi/tartabit/generic-1.json',
    ]) {
      const m = fromRepo(file)
      for (const prop of m.properties.filter((x) => x.writable && x.schema.kind === 'object')) {
        const field = (prop.schema as Extract<Schema, { kind: 'object' }>).fields[0]!
        const wrap = (v: unknown) =>
          prop.component ? { [prop.component]: { __t: 'c', [prop.name]: v } } : { [prop.name]: v }
        const partial = { [field.name]: sourceFor(field.schema, field, seeded(1)).next() }
        expect(
          buildDesiredAcks({ ...wrap(partial), $version: 1 }, m).entries[0]!.ack,
        ).toMatchObject({ ac: 200, value: partial })
        expect(
          buildDesiredAcks({ ...wrap({ nope: 1 }), $version: 1 }, m).entries[0]!.ack,
        ).toMatchObject({ ac: 400, ad: 'has no field "nope"' })
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})

describe('answerMethod (the temperature controller)', () => {
  const report = byWire(tc, 'thermostat1*getMaxMinReport')

  it('thermostat1*getMaxMinReport answers 200 with a value generated from its response schema', () => {
    for (let i = 0; i < 100; i++) {
      const a = answerMethod('thermostat1*getMaxMinReport', json('2026-01-01T00:00:00Z'), tc)
      expect(a.status).toBe(200)
      expect(a.payload).toBe('2026-01-01T00:00:00Z')
      expect(checkValue(a.body, report.response!.schema)).toBeNull()
      const body = a.body as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['maxTemp', 'minTemp', 'avgTemp', 'startTime', 'endTime'])
      for (const k of ['maxTemp', 'minTemp', 'avgTemp']) {
        expect(body[k]).toBeGreaterThanOrEqual(-10)
        expect(body[k]).toBeLessThanOrEqual(45)
      }
    }
  })

  it('takes the request bare (as IoT Central sends it) or wrapped in its name', () => {
    expect(
      answerMethod('thermostat2*getMaxMinReport', json({ since: '2026-01-01T00:00:00Z' }), tc)
        .status,
    ).toBe(200)
  })

  it('every generated response of every corpus command passes checkValue against its schema', () => {
    const models = [
      tc,
      fromRepo('dtmi/rigado/rs40occupancysensor-2.json'),
      fromRepo('dtmi/impinj/r700-134.json'),
      fromRepo('dtmi/com/microchip/sam_iot_wx_v2-2.json'),
      fromRepo('dtmi/realtek/rtk_wireless-1.json'),
      fromRepo('dtmi/azsphere/spherettt/rgbled-1.json'),
    ]
    let checked = 0
    for (const m of models)
      for (const c of m.commands.filter((x) => !x.durable && x.response)) {
        const wire = c.component ? `${c.component}*${c.name}` : c.name
        const arg = c.request ? sourceFor(c.request.schema, c.request, seeded(1)).next() : null
        for (let i = 0; i < 10; i++) {
          const a = answerMethod(wire, json(arg), m)
          expect(a.status, `${m.id} ${wire}: ${JSON.stringify(a.body)}`).toBe(200)
          expect(checkValue(a.body, c.response!.schema), `${m.id} ${wire}`).toBeNull()
          checked++
        }
      }
    expect(checked).toBeGreaterThan(100)
  })

  it('a user-set response overrides the generated one, for that command only', () => {
    const mine = {
      maxTemp: 99,
      minTemp: 1,
      avgTemp: 50,
      startTime: '2026-01-01T00:00:00Z',
      endTime: '2026-01-02T00:00:00Z',
    }
    const responses = { 'thermostat1*getMaxMinReport': mine }
    expect(
      answerMethod('thermostat1*getMaxMinReport', json('2026-01-01T00:00:00Z'), tc, responses),
    ).toEqual({
      payload: '2026-01-01T00:00:00Z',
      status: 200,
      body: mine,
    })
    expect(
      answerMethod('thermostat2*getMaxMinReport', json('2026-01-01T00:00:00Z'), tc, responses).body,
    ).not.toEqual(mine)
  })

  it('a command without a response answers 200 with null', () => {
    expect(answerMethod('reboot', json(5), tc)).toEqual({ payload: 5, status: 200, body: null })
  })

  it('400 with the reason for a bad payload', () => {
    const a = answerMethod('thermostat1*getMaxMinReport', json('yesterday'), tc)
    expect(a.status).toBe(400)
    expect(a.body).toEqual({
      error: {
        code: 'bad-request',
        message: expect.stringMatching(/^since: expected a date-time/),
      },
    })
    expect(answerMethod('reboot', json('soon'), tc).body).toEqual({
      error: { code: 'bad-request', message: 'delay: expected an integer, got the string "soon"' },
    })
    expect(answerMethod('reboot', json(2 ** 40), tc).status).toBe(400)
    expect(answerMethod('reboot', Buffer.from('{"delay":'), tc)).toMatchObject({
      status: 400,
      payload: '{"delay":',
    })
    const deep = '['.repeat(100) + ']'.repeat(100)
    expect(answerMethod('reboot', Buffer.from(deep), tc)).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/nested deeper than 32 levels/) } },
    })
  })

  it.each([
    ['an unknown command', 'selfDestruct'],
    ['a component command without its component', 'getMaxMinReport'],
    ['an unknown component', 'thermostat3*getMaxMinReport'],
    ['the / separator', 'thermostat1/getMaxMinReport'],
    ['a root command under a component', 'thermostat1*reboot'],
  ])('404 for %s', (_, name) => {
    expect(answerMethod(name, json(null), tc)).toEqual({
      payload: null,
      status: 404,
      body: {
        error: { code: 'method-not-found', message: `this device has no direct method "${name}"` },
      },
    })
  })
})

// A model of our own: a component with a durable command and an echo, and a v3 nullable request.
const durableModel = parseModel([
  {
    '@context': ['dtmi:iotcentral:context;2', 'dtmi:dtdl:context;2'],
    '@id': 'dtmi:test:Device;1',
    '@type': 'Interface',
    contents: [
      { '@type': 'Component', name: 'alarm', schema: 'dtmi:test:Alarm;1' },
      { '@type': 'Command', name: 'ping', durable: true },
    ],
  },
  {
    '@context': ['dtmi:iotcentral:context;2', 'dtmi:dtdl:context;2'],
    '@id': 'dtmi:test:Alarm;1',
    '@type': 'Interface',
    contents: [
      {
        '@type': 'Command',
        name: 'setAlarm',
        durable: true,
        request: { name: 'time', schema: 'time' },
      },
      {
        '@type': 'Command',
        name: 'echo',
        request: { name: 'message', schema: 'string' },
        response: { name: 'response', schema: 'string' },
      },
      {
        '@type': 'Command',
        name: 'configure',
        durable: true,
        request: {
          name: 'config',
          schema: {
            '@type': 'Object',
            fields: [
              { name: 'level', schema: 'integer' },
              { name: 'mode', schema: 'string' },
            ],
          },
        },
      },
    ],
  },
])

describe('durable commands and echo in a component', () => {
  it('the model has them where expected', () => {
    expect(findCommand(durableModel, 'alarm*setAlarm', true)?.name).toBe('setAlarm')
    expect(findCommand(durableModel, 'alarm*setAlarm', false)).toBeNull()
    expect(findCommand(durableModel, 'alarm*echo', false)?.component).toBe('alarm')
  })

  it('a component durable command called as a method is 404, saying it comes as C2D', () => {
    expect(answerMethod('alarm*setAlarm', json('07:30:00'), durableModel)).toEqual({
      payload: '07:30:00',
      status: 404,
      body: {
        error: {
          code: 'method-not-found',
          message:
            '"alarm*setAlarm" is a durable command: IoT Central sends it as a cloud-to-device message',
        },
      },
    })
  })

  it('alarm*echo echoes, bare or wrapped, and refuses a non-string', () => {
    expect(answerMethod('alarm*echo', json('hi'), durableModel)).toEqual({
      payload: 'hi',
      status: 200,
      body: 'hi',
    })
    expect(answerMethod('alarm*echo', json({ message: 'hello' }), durableModel).body).toBe('hello')
    expect(answerMethod('alarm*echo', json(5), durableModel).status).toBe(400)
    expect(
      answerMethod('alarm*echo', json('hi'), durableModel, { 'alarm*echo': 'set by me' }).body,
    ).toBe('set by me')
  })

  it('settleC2d completes a component durable command named by method-name, bare, wrapped or as text', () => {
    const props = { 'method-name': 'alarm*setAlarm' }
    expect(settleC2d(props, json('07:30:00'), durableModel)).toEqual({
      name: 'alarm*setAlarm',
      payload: '07:30:00',
      outcome: 'completed',
      reason: 'completed',
    })
    expect(settleC2d(props, json({ time: '07:30' }), durableModel).outcome).toBe('completed')
    expect(settleC2d(props, Buffer.from('07:30'), durableModel).outcome).toBe('completed')
  })

  it('settleC2d checks an object request, bare or wrapped', () => {
    const props = { 'method-name': 'alarm*configure' }
    expect(settleC2d(props, json({ level: 2, mode: 'eco' }), durableModel).outcome).toBe(
      'completed',
    )
    expect(settleC2d(props, json({ config: { level: 2 } }), durableModel).outcome).toBe('completed')
    expect(settleC2d(props, json({ level: 'two' }), durableModel)).toMatchObject({
      outcome: 'rejected',
      reason: 'config: level: expected an integer, got the string "two"',
    })
  })

  it('settleC2d rejects a bad argument, the command without its component, a synchronous one, and no method-name', () => {
    expect(
      settleC2d({ 'method-name': 'alarm*setAlarm' }, json('noon'), durableModel),
    ).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/^time: expected a time/),
    })
    expect(settleC2d({ 'method-name': 'setAlarm' }, json('07:30'), durableModel)).toMatchObject({
      outcome: 'rejected',
      reason: 'this device has no durable command "setAlarm"',
    })
    expect(settleC2d({ 'method-name': 'alarm*echo' }, json('hi'), durableModel).outcome).toBe(
      'rejected',
    )
    expect(settleC2d({}, json('07:30'), durableModel)).toMatchObject({
      name: '(no method-name)',
      outcome: 'rejected',
    })
    expect(settleC2d({ 'method-name': 'ping' }, Buffer.alloc(0), durableModel).outcome).toBe(
      'completed',
    )
  })
})

describe('request payloads: none, nullable (v3)', () => {
  const m = parseModel({
    '@context': 'dtmi:dtdl:context;3',
    '@id': 'dtmi:test:V3;1',
    '@type': 'Interface',
    contents: [
      { '@type': 'Command', name: 'start' },
      {
        '@type': 'Command',
        name: 'since',
        request: { name: 'from', schema: 'dateTime', nullable: true },
        response: { name: 'n', schema: 'unsignedShort' },
      },
      { '@type': 'Command', name: 'strict', request: { name: 'from', schema: 'dateTime' } },
    ],
  })

  it('a command without a request takes any payload', () => {
    expect(answerMethod('start', json({ anything: [1] }), m).status).toBe(200)
    expect(answerMethod('start', Buffer.alloc(0), m).status).toBe(200)
  })

  it('a nullable request takes null or nothing; one that is not nullable refuses it', () => {
    const a = answerMethod('since', Buffer.alloc(0), m)
    expect(a.status).toBe(200)
    expect(checkValue(a.body, { kind: 'unsignedShort' })).toBeNull()
    expect(answerMethod('since', json(null), m).status).toBe(200)
    expect(answerMethod('strict', json(null), m)).toMatchObject({
      status: 400,
      body: {
        error: { message: 'from: expected a date-time (ISO 8601, 2026-12-06T18:00:00Z), got null' },
      },
    })
  })
})

describe('mergePatch (IoT Hub twin semantics)', () => {
  const merged = (target: Record<string, unknown>, ...patches: Record<string, unknown>[]) => {
    const t = structuredClone(target)
    for (const patch of patches) mergePatch(t, patch)
    return t
  }

  it.each([
    ['a new key is added', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['a value is replaced', { a: 1 }, { a: 'x' }, { a: 'x' }],
    ['null deletes', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['null of a missing key is nothing', { a: 1 }, { z: null }, { a: 1 }],
    [
      'objects merge key by key',
      { o: { a: 1, b: 2 } },
      { o: { b: 3, c: 4 } },
      { o: { a: 1, b: 3, c: 4 } },
    ],
    ['null deletes inside an object', { o: { a: 1, b: 2 } }, { o: { a: null } }, { o: { b: 2 } }],
    ['arrays replace', { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ['an object replaces a scalar', { a: 1 }, { a: { x: 1 } }, { a: { x: 1 } }],
    ['a scalar replaces an object', { a: { x: 1 } }, { a: 2 }, { a: 2 }],
    [
      'a component patch updates one property and keeps the others',
      {
        thermostat1: {
          __t: 'c',
          maxTempSinceLastReboot: 30,
          targetTemperature: { value: 20, ac: 200, av: 1, ad: 'completed' },
        },
      },
      { thermostat1: { __t: 'c', maxTempSinceLastReboot: 31 } },
      {
        thermostat1: {
          __t: 'c',
          maxTempSinceLastReboot: 31,
          targetTemperature: { value: 20, ac: 200, av: 1, ad: 'completed' },
        },
      },
    ],
    [
      'an acknowledgement replaces the one before as a whole',
      { p: { value: { a: 1, b: 2 }, ac: 200, av: 1, ad: 'completed' } },
      { p: { value: { a: 5 }, ac: 200, av: 2, ad: 'completed' } },
      { p: { value: { a: 5 }, ac: 200, av: 2, ad: 'completed' } },
    ],
    ['nulls inside a new object are not stored', {}, { o: { a: null, b: 1 } }, { o: { b: 1 } }],
    [
      'nulls inside an object that replaces a scalar are not stored',
      { o: 1 },
      { o: { a: null, b: 1 } },
      { o: { b: 1 } },
    ],
  ])('%s', (_, target, patch, expected) => {
    expect(merged(target as Record<string, unknown>, patch as Record<string, unknown>)).toEqual(
      expected,
    )
  })

  it('does not change the objects it merged from', () => {
    const inner = { a: 1 }
    const target: Record<string, unknown> = { o: inner }
    mergePatch(target, { o: { b: 2 } })
    expect(inner).toEqual({ a: 1 })
    expect(target).toEqual({ o: { a: 1, b: 2 } })
  })

  it('desired acks merged into a reported twin, then a later ack', () => {
    const reported: Record<string, unknown> = {}
    mergePatch(reported, new ReportedSimulator(tc, seeded(1)).next())
    mergePatch(
      reported,
      buildDesiredAcks({ thermostat1: { targetTemperature: 20 }, $version: 1 }, tc).patch,
    )
    mergePatch(
      reported,
      buildDesiredAcks({ thermostat1: { targetTemperature: 'x' }, $version: 2 }, tc).patch,
    )
    const t1 = reported['thermostat1'] as Record<string, unknown>
    expect(t1['__t']).toBe('c')
    expect(typeof t1['maxTempSinceLastReboot']).toBe('number')
    expect(t1['targetTemperature']).toMatchObject({ value: 'x', ac: 400, av: 2 })
  })
})
