import { describe, expect, it } from 'vitest'
import { checkReported, checkTelemetry, type Finding } from '../../../lab/conformance'
import { ConformanceLog } from '../../../lab/conformance-log'
import { loadModel } from '../../../shared/dtdl/parse'
import type { DeviceModel, Schema } from '../../../shared/dtdl/types'

// A device's traffic against its template, as IoT Central would read it. The model is built by
// hand: the checks read the typed model, not DTDL.

const double: Schema = { kind: 'double' }
const el = (component: string | null, name: string) => ({ component, name, displayName: name })

const model: DeviceModel = {
  id: 'dtmi:test:Controller;1',
  displayName: 'Controller',
  dtdlVersion: 2,
  components: [
    { name: 'thermostat1', displayName: 'T1', interfaceId: 'dtmi:test:Thermostat;1' },
    { name: 'thermostat2', displayName: 'T2', interfaceId: 'dtmi:test:Thermostat;1' },
  ],
  telemetry: [
    { ...el(null, 'temp'), schema: double },
    { ...el('thermostat1', 'temperature'), schema: double },
    { ...el('thermostat2', 'temperature'), schema: double },
  ],
  properties: [
    { ...el(null, 'serial'), schema: { kind: 'string' }, writable: false },
    { ...el(null, 'fanSpeed'), schema: { kind: 'integer' }, writable: true },
    { ...el('thermostat1', 'targetTemperature'), schema: double, writable: true },
    { ...el('thermostat1', 'maxTempSinceLastReboot'), schema: double, writable: false },
  ],
  commands: [],
  leftToCloud: [],
  notEmulated: [],
}

type Case = [
  what: string,
  check: () => Finding[],
  expected: [kind: Finding['kind'], where: string, message?: RegExp][],
]

const telemetry = (body: unknown, sub?: string) => () => checkTelemetry(model, body, sub)
const reported = (patch: Record<string, unknown>) => () => checkReported(model, patch)
const ack = (value: unknown, ac = 200, av = 2) => ({ value, ac, av, ad: 'completed' })

const cases: Case[] = [
  ['root telemetry of the right type', telemetry({ temp: 21.5 }), []],
  ['component telemetry with $.sub', telemetry({ temperature: 20 }, 'thermostat1'), []],
  [
    'reported properties as IoT Central reads them',
    reported({
      $version: 4,
      serial: 'SN-1',
      fanSpeed: ack(3),
      thermostat1: {
        __t: 'c',
        targetTemperature: ack(21.5),
        maxTempSinceLastReboot: 30,
      },
      thermostat2: { __t: 'c' },
    }),
    [],
  ],
  ['a deletion (null) is no finding', reported({ serial: null, thermostat1: null }), []],
  [
    'a refused desired value (ac 400) carries the value it refused',
    reported({ fanSpeed: { value: 'x', ac: 400, av: 6, ad: 'expected an integer' } }),
    [],
  ],
  ['a body that is not JSON', telemetry(undefined), [['not-json-object', 'telemetry', /not JSON/]]],
  ['a JSON array body', telemetry([1, 2]), [['not-json-object', 'telemetry', /array/]]],
  [
    '$.sub naming no component',
    telemetry({ temperature: 1 }, 'nope'),
    [['unknown-component', 'telemetry nope', /not a component/]],
  ],
  [
    'a field the root has no telemetry of',
    telemetry({ temp: 1, hum: 2 }),
    [['unknown-telemetry', 'telemetry hum', /has no telemetry "hum"/]],
  ],
  [
    "a root field sent as a component's",
    telemetry({ temp: 1 }, 'thermostat1'),
    [['unknown-telemetry', 'telemetry thermostat1/temp', /component thermostat1/]],
  ],
  [
    'a value of the wrong type',
    telemetry({ temp: 'hot' }),
    [['wrong-type', 'telemetry temp', /^temp: expected a number/]],
  ],
  [
    'component telemetry without $.sub',
    telemetry({ temperature: 20 }),
    [
      [
        'missing-component-marker',
        'telemetry temperature',
        /component telemetry without \$\.sub.*thermostat1, thermostat2/,
      ],
    ],
  ],
  [
    'component properties without __t',
    reported({ thermostat1: { targetTemperature: ack(20) } }),
    [['missing-component-marker', 'property thermostat1', /component properties without __t/]],
  ],
  [
    'a writable property reported as a bare value',
    reported({ fanSpeed: 3 }),
    [['bad-ack', 'property fanSpeed', /acknowledgement/]],
  ],
  [
    'an acknowledgement without ac and av',
    reported({ fanSpeed: { value: 3 } }),
    [['bad-ack', 'property fanSpeed', /needs ac .*av/]],
  ],
  [
    'an accepted acknowledgement whose value does not fit',
    reported({ thermostat1: { __t: 'c', targetTemperature: ack('warm') } }),
    [['wrong-type', 'property thermostat1/targetTemperature', /expected a number/]],
  ],
  [
    'a read-only property of the wrong type',
    reported({ serial: 5 }),
    [['wrong-type', 'property serial', /expected a string/]],
  ],
  [
    'properties the model does not have',
    reported({ colour: 'red', thermostat1: { __t: 'c', nope: 1 } }),
    [
      ['unknown-property', 'property colour'],
      ['unknown-property', 'property thermostat1/nope'],
    ],
  ],
  [
    'a component marker on a name that is no component',
    reported({ heater: { __t: 'c', on: true } }),
    [['unknown-component', 'property heater']],
  ],
]

describe('conformance of a message to its template', () => {
  it.each(cases)('%s', (_what, check, expected) => {
    const found = check()
    expect(found.map((f) => [f.kind, f.where])).toEqual(expected.map(([k, w]) => [k, w]))
    expected.forEach(([, , message], i) => {
      if (message) expect(found[i]!.message).toMatch(message)
    })
  })

  it('finds nothing in clean traffic of a component template the parser loaded', () => {
    const thermostat = {
      '@context': 'dtmi:dtdl:context;2',
      '@id': 'dtmi:test:Thermostat;1',
      '@type': 'Interface',
      contents: [
        { '@type': 'Telemetry', name: 'temperature', schema: 'double' },
        { '@type': 'Property', name: 'targetTemperature', schema: 'double', writable: true },
      ],
    }
    const controller = {
      '@context': 'dtmi:dtdl:context;2',
      '@id': 'dtmi:test:Controller;1',
      '@type': 'Interface',
      contents: [
        { '@type': 'Telemetry', name: 'workingSet', schema: 'long' },
        { '@type': 'Component', name: 'thermostat1', schema: 'dtmi:test:Thermostat;1' },
      ],
    }
    const load = loadModel([
      { name: 'controller.json', text: JSON.stringify(controller) },
      { name: 'thermostat.json', text: JSON.stringify(thermostat) },
    ])
    if (!load.ok) throw new Error(JSON.stringify(load.problems))
    const m = load.model
    expect([
      ...checkTelemetry(m, { workingSet: 1024 }, undefined),
      ...checkTelemetry(m, { temperature: 21 }, 'thermostat1'),
      ...checkReported(m, { thermostat1: { __t: 'c', targetTemperature: ack(22) } }),
    ]).toEqual([])
    expect(checkTelemetry(m, { temperature: 21 }, undefined).map((f) => f.kind)).toEqual([
      'missing-component-marker',
    ])
  })

  it('clips a hostile name, so a finding costs a bounded few bytes', () => {
    const [f] = checkTelemetry(model, { ['x'.repeat(10_000)]: 1 }, undefined)
    expect(f!.kind).toBe('unknown-telemetry')
    expect(f!.where.length + f!.message.length).toBeLessThan(400)
  })
})

describe("a device's conformance record", () => {
  const finding = (n: number): Finding => ({
    kind: n % 2 ? 'wrong-type' : 'unknown-telemetry',
    where: `telemetry f${n}`,
    message: `m${n}`,
  })

  it('counts every finding and keeps only the latest, oldest first', () => {
    const log = new ConformanceLog(20)
    log.connected('dtmi:test:Controller;1')
    for (let n = 1; n <= 30; n++) log.record([finding(n)], `t${n}`)
    log.record([])
    const v = log.view(true)
    expect(v).toMatchObject({ template: 'checked', note: null, checked: 31, findings: 30 })
    expect(v.counts['wrong-type']).toBe(15)
    expect(v.counts['unknown-telemetry']).toBe(15)
    expect(v.recent.map((f) => f.where)).toEqual(
      Array.from({ length: 20 }, (_, i) => `telemetry f${i + 11}`),
    )
    expect(v.recent[0]!.at).toBe('t11')
  })

  it('keeps no more than its bound from one message with many findings', () => {
    const log = new ConformanceLog(20)
    log.connected('dtmi:test:Controller;1')
    log.record(Array.from({ length: 5000 }, (_, n) => finding(n)))
    expect(log.view(true).recent).toHaveLength(20)
    expect(log.view(true).findings).toBe(5000)
  })

  it('says when it has no template or no model id, and starts afresh on another model id', () => {
    const log = new ConformanceLog(20)
    expect(log.view(false)).toMatchObject({ template: 'no-model-id', modelId: null })
    log.connected('dtmi:test:Other;1')
    expect(log.view(false)).toMatchObject({
      template: 'unknown',
      note: 'no template for dtmi:test:Other;1',
      checked: 0,
    })
    log.record([finding(1)])
    log.connected('dtmi:test:Other;1')
    expect(log.view(true).findings).toBe(1)
    log.connected('dtmi:test:Controller;1')
    expect(log.view(true)).toMatchObject({ findings: 0, checked: 0, recent: [] })
  })
})
