import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  dtmiPath,
  loadModel,
  modelLimits,
  modelReport,
  parseModel,
  primitiveSchemas,
  v3OnlyPrimitives,
  type DeviceModel,
  type LoadOptions,
  type ModelDocument,
  type ModelLoad,
  type ModelProblem,
  type Schema,
} from '../../../shared/dtdl'
import { label } from '../../../shared/dtdl/text'

// The DTDL reader against the issue's specification: every feature as a table where it fits,
// every refusal with its place in the file, and the whole fixture corpus.

const fixtures = join(import.meta.dirname, '../../fixtures/models')
const repoDir = join(fixtures, 'repo')
const templatesDir = join(fixtures, 'templates')

/** A models folder in the repository layout, as the lab's --models gives it. */
function folder(dir: string): NonNullable<LoadOptions['resolve']> {
  return (dtmi) => {
    const full = join(dir, dtmiPath(dtmi))
    return existsSync(full)
      ? { name: relative(fixtures, full), text: readFileSync(full, 'utf8') }
      : null
  }
}
const repo = folder(repoDir)

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .filter((f) => f.endsWith('.json'))
    .sort()
}

const readDoc = (full: string): ModelDocument => ({
  name: relative(fixtures, full),
  text: readFileSync(full, 'utf8'),
})

const V2 = 'dtmi:dtdl:context;2'
const V3 = 'dtmi:dtdl:context;3'
const CENTRAL = 'dtmi:iotcentral:context;2'
const ROOT = 'dtmi:test:Device;1'

type Json = Record<string, unknown>

function iface(contents: unknown[], more: Json = {}): Json {
  return { '@context': V2, '@id': ROOT, '@type': 'Interface', contents, ...more }
}
const v3iface = (contents: unknown[], more: Json = {}) =>
  iface(contents, { '@context': V3, ...more })
const telemetry = (name: string, schema: unknown, more: Json = {}): Json => ({
  '@type': 'Telemetry',
  name,
  schema,
  ...more,
})
const property = (name: string, schema: unknown, more: Json = {}): Json => ({
  '@type': 'Property',
  name,
  schema,
  ...more,
})
const component = (name: string, schema: unknown): Json => ({ '@type': 'Component', name, schema })

const doc = (json: unknown, name = 'device.json'): ModelDocument => ({
  name,
  text: typeof json === 'string' ? json : JSON.stringify(json),
})
const load = (json: unknown, options?: LoadOptions): ModelLoad => loadModel([doc(json)], options)

function loaded(r: ModelLoad): DeviceModel {
  if (!r.ok) throw new Error(`expected it to load: ${JSON.stringify(r.problems)}`)
  return r.model
}
const ok = (json: unknown, options?: LoadOptions) => loaded(load(json, options))

function refused(r: ModelLoad): ModelProblem[] {
  if (r.ok) throw new Error(`expected a refusal, it loaded ${r.model.id}`)
  return r.problems
}
const problemsOf = (json: unknown, options?: LoadOptions) => refused(load(json, options))
const lines = (ps: ModelProblem[]) => ps.map((p) => `${p.path}: ${p.message}`)

/** The schema the parser makes of one telemetry (or property, in v3) with this schema. */
function schemaOf(
  schema: unknown,
  version: 2 | 3 = 2,
  kind: 'Telemetry' | 'Property' = 'Telemetry',
): Schema {
  const contents = [{ '@type': kind, name: 'x', schema }]
  const m = ok(version === 2 ? iface(contents) : v3iface(contents))
  const el = kind === 'Telemetry' ? m.telemetry[0] : m.properties[0]
  if (!el) throw new Error('no element parsed')
  return el.schema
}

describe('contexts: DTDL v2, v3 and IoT Central', () => {
  it.each([
    ['v2', V2, 2],
    ['v3', V3, 3],
    ['v2 in a one-element list', [V2], 2],
    ['IoT Central first (as its exports write it)', [CENTRAL, V2], 2],
    ['IoT Central after DTDL (as its spec writes it)', [V2, CENTRAL], 2],
    ['v3 with the quantitativeTypes extension', [V3, 'dtmi:dtdl:extension:quantitativeTypes;1'], 3],
  ] as const)('%s', (_, context, version) => {
    const m = ok(iface([telemetry('t', 'double')], { '@context': context }))
    expect(m.dtdlVersion).toBe(version)
    expect(m.id).toBe(ROOT)
  })

  it('takes @context as the last key, as IoT Central exports sometimes put it', () => {
    const text = `{"@id":"${ROOT}","@type":"Interface","contents":[{"@type":"Telemetry","name":"t","schema":"double"}],"@context":["${CENTRAL}","${V2}"]}`
    expect(ok(text).telemetry).toHaveLength(1)
  })

  it.each([
    ['no @context', undefined, /missing/],
    ['only IoT Central', CENTRAL, /no DTDL context/],
    ['a DTDL version that does not exist', 'dtmi:dtdl:context;4', /no DTDL context/],
    ['a context that is not a string', [V2, 42], /each context is a DTMI string/],
  ])('refuses %s, at @context', (_, context, message) => {
    const json = iface([telemetry('t', 'double')])
    if (context === undefined) delete json['@context']
    else json['@context'] = context
    const ps = problemsOf(json)
    expect(ps.some((p) => p.path === '@context' && message.test(p.message))).toBe(true)
  })

  it('warns of an unknown extra context: its terms are not emulated', () => {
    const r = load(
      iface([telemetry('t', 'double')], { '@context': [V2, 'dtmi:com:contoso:ctx;1'] }),
    )
    expect(r.ok).toBe(true)
    if (r.ok)
      expect(r.warnings.map((w) => w.message)).toContainEqual(
        expect.stringMatching(/unknown context dtmi:com:contoso:ctx;1/),
      )
  })
})

describe('interfaces: one, or an array in one file (an IoT Central export)', () => {
  const thermo = {
    '@context': V2,
    '@id': 'dtmi:test:Thermo;1',
    '@type': 'Interface',
    contents: [telemetry('temperature', 'double')],
  }

  it('a single interface is the device', () => {
    const m = ok(iface([telemetry('t', 'double')], { displayName: 'Device' }))
    expect(m).toMatchObject({ id: ROOT, displayName: 'Device', dtdlVersion: 2 })
  })

  it.each([
    ['root first', [iface([component('t1', 'dtmi:test:Thermo;1')]), thermo]],
    ['root last', [thermo, iface([component('t1', 'dtmi:test:Thermo;1')])]],
  ])('an array: the root is the interface nothing else uses (%s)', (_, json) => {
    const m = ok(json)
    expect(m.id).toBe(ROOT)
    expect(m.components).toEqual([
      { name: 't1', displayName: 't1', interfaceId: 'dtmi:test:Thermo;1' },
    ])
    expect(m.telemetry).toMatchObject([{ component: 't1', name: 'temperature' }])
  })

  it('an array of one interface with @id on every element (the IoT Central export)', () => {
    const m = loaded(loadModel([readDoc(join(templatesDir, 'iotc-failover-export.json'))]))
    expect(m.id).toBe('dtmi:Sample:Failover;1')
    expect(m.commands.find((c) => c.durable)?.request?.schema).toEqual({ kind: 'time' })
  })

  it('an empty array defines no interface', () => {
    expect(lines(problemsOf([]))).toEqual([': the file defines no interface'])
  })

  it.each([
    [
      'a number in the array',
      [iface([telemetry('t', 'double')]), 7],
      '[1]',
      /expected an interface/,
    ],
    [
      'a Telemetry at the top',
      { ...telemetry('t', 'double'), '@context': V2, '@id': ROOT },
      '@type',
      /expected "Interface"/,
    ],
  ])('refuses %s', (_, json, path, message) => {
    const ps = problemsOf(json)
    expect(ps).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    )
  })

  it('an interface in the file that the root does not use is not dropped in silence', () => {
    // Two unrelated interfaces: the first is the device; the second's telemetry is neither
    // emulated nor refused, so the model must say so (model.notEmulated), not drop it.
    const other = { ...iface([telemetry('u', 'double')]), '@id': 'dtmi:test:Other;1' }
    const m = ok([iface([telemetry('t', 'double')]), other])
    expect(m.id).toBe(ROOT)
    expect(JSON.stringify(m.notEmulated)).toContain('dtmi:test:Other;1')
  })
})

describe('components', () => {
  const thermoJson = (id = 'dtmi:test:Thermo;1') => ({
    '@context': V2,
    '@id': id,
    '@type': 'Interface',
    contents: [
      telemetry('temperature', 'double'),
      property('targetTemperature', 'double', { writable: true }),
      { '@type': 'Command', name: 'reboot' },
    ],
  })

  it('by DTMI: defined in the same file, in another given file, or in a models folder', () => {
    const root = iface([component('thermostat1', 'dtmi:test:Thermo;1')])
    const sameFile = ok([root, thermoJson()])
    const otherFile = loaded(loadModel([doc(root), doc(thermoJson(), 'thermo.json')]))
    const asked: string[] = []
    const fromFolder = ok(root, {
      resolve: (id) => (
        asked.push(id),
        id === 'dtmi:test:Thermo;1' ? doc(thermoJson(), 'dtmi/test/thermo-1.json') : null
      ),
    })
    expect(asked).toEqual(['dtmi:test:Thermo;1'])
    for (const m of [sameFile, otherFile, fromFolder]) {
      expect(m.components).toEqual([
        { name: 'thermostat1', displayName: 'thermostat1', interfaceId: 'dtmi:test:Thermo;1' },
      ])
      expect(m.telemetry).toMatchObject([{ component: 'thermostat1', name: 'temperature' }])
      expect(m.properties).toMatchObject([
        { component: 'thermostat1', name: 'targetTemperature', writable: true },
      ])
      expect(m.commands).toMatchObject([
        { component: 'thermostat1', name: 'reboot', durable: false },
      ])
    }
  })

  it('inline: the component schema is the interface itself (bosch xdk110)', () => {
    const inline = { ...thermoJson('dtmi:test:Inline;1') }
    delete (inline as Json)['@context']
    const m = ok(iface([component('sensor', inline)]))
    expect(m.components).toEqual([
      { name: 'sensor', displayName: 'sensor', interfaceId: 'dtmi:test:Inline;1' },
    ])
    expect(m.telemetry).toMatchObject([{ component: 'sensor', name: 'temperature' }])
  })

  it('inline with IoT Central\'s extra interface type ["Interface", "NamedInterface"]', () => {
    const inline: Json = {
      ...thermoJson('dtmi:test:Inline;1'),
      '@type': ['Interface', 'NamedInterface'],
    }
    delete inline['@context']
    const m = ok(iface([component('sensor', inline)]))
    expect(m.telemetry).toMatchObject([{ component: 'sensor', name: 'temperature' }])
  })

  it('the same interface behind two components gives each its own elements', () => {
    const m = ok([
      iface([component('a', 'dtmi:test:Thermo;1'), component('b', 'dtmi:test:Thermo;1')]),
      thermoJson(),
    ])
    expect(m.telemetry.map((t) => `${t.component}/${t.name}`)).toEqual([
      'a/temperature',
      'b/temperature',
    ])
  })

  it('a component inside a component is listed as not emulated, not dropped', () => {
    const inner = {
      '@context': V2,
      '@id': 'dtmi:test:Inner;1',
      '@type': 'Interface',
      contents: [telemetry('x', 'double')],
    }
    const middle = {
      '@context': V2,
      '@id': 'dtmi:test:Middle;1',
      '@type': 'Interface',
      contents: [telemetry('y', 'double'), component('deep', 'dtmi:test:Inner;1')],
    }
    const m = ok([iface([component('mid', 'dtmi:test:Middle;1')]), middle, inner])
    expect(m.telemetry).toMatchObject([{ component: 'mid', name: 'y' }])
    expect(m.notEmulated).toEqual([
      expect.objectContaining({ path: '[1].contents[1]', what: 'component mid/deep' }),
    ])
  })

  it.each([
    ['not a DTMI', 'thermostat', /a component's schema is an interface/],
    ['a number', 5, /a component's schema is an interface/],
  ])('refuses a component schema that is %s', (_, schema, message) => {
    expect(problemsOf(iface([component('c', schema)]))).toEqual([
      { file: 'device.json', path: 'contents[0].schema', message: expect.stringMatching(message) },
    ])
  })
})

describe('extends', () => {
  const base = (id: string, contents: unknown[], more: Json = {}) => ({
    '@context': V2,
    '@id': id,
    '@type': 'Interface',
    contents,
    ...more,
  })

  it.each([
    ['a string', 'dtmi:test:Base;1'],
    ['a one-element array', ['dtmi:test:Base;1']],
  ])('one interface, given as %s', (_, ext) => {
    const m = ok([
      iface([telemetry('own', 'double')], { extends: ext }),
      base('dtmi:test:Base;1', [telemetry('inherited', 'double')]),
    ])
    expect(m.telemetry.map((t) => t.name).sort()).toEqual(['inherited', 'own'])
    expect(m.telemetry.every((t) => t.component === null)).toBe(true)
  })

  it('several, transitively, with components inherited too (thermostat-3 → deviceUpdateContractModel)', () => {
    const m = ok([
      iface([telemetry('own', 'double')], { extends: ['dtmi:test:A;1', 'dtmi:test:B;1'] }),
      base('dtmi:test:A;1', [telemetry('fromA', 'double')], { extends: 'dtmi:test:C;1' }),
      base('dtmi:test:B;1', [component('comp', 'dtmi:test:D;1')]),
      base('dtmi:test:C;1', [property('fromC', 'string')]),
      base('dtmi:test:D;1', [telemetry('inComp', 'double')]),
    ])
    expect(m.telemetry.map((t) => `${t.component ?? ''}/${t.name}`).sort()).toEqual([
      '/fromA',
      '/own',
      'comp/inComp',
    ])
    expect(m.properties.map((p) => p.name)).toEqual(['fromC'])
    expect(m.components.map((c) => c.name)).toEqual(['comp'])
  })

  it('inline interfaces in extends (IoT Central "inherited interfaces", starling brewer)', () => {
    const m = ok(
      iface([telemetry('own', 'double')], {
        extends: [
          {
            '@id': 'dtmi:test:Boiler;1',
            '@type': ['Interface', 'NamedInterface'],
            contents: [telemetry('boiler', 'double')],
          },
          {
            '@id': 'dtmi:test:Display;1',
            '@type': 'Interface',
            contents: [property('text', 'string')],
          },
        ],
      }),
    )
    expect(m.telemetry.map((t) => t.name).sort()).toEqual(['boiler', 'own'])
    expect(m.properties.map((p) => p.name)).toEqual(['text'])
  })

  it('a diamond (two bases extending the same interface) has its contents once, not "defined twice"', () => {
    const m = ok([
      iface([], { extends: ['dtmi:test:B;1', 'dtmi:test:C;1'] }),
      base('dtmi:test:B;1', [], { extends: 'dtmi:test:D;1' }),
      base('dtmi:test:C;1', [], { extends: 'dtmi:test:D;1' }),
      base('dtmi:test:D;1', [telemetry('t', 'double')]),
    ])
    expect(m.telemetry.map((t) => t.name)).toEqual(['t'])
  })

  it("warns past DTDL's two extends (IoT Central accepts more), refuses past twelve", () => {
    const bases = Array.from({ length: 13 }, (_, i) =>
      base(`dtmi:test:B${i};1`, [telemetry(`t${i}`, 'double')]),
    )
    const three = load([iface([], { extends: bases.slice(0, 3).map((b) => b['@id']) }), ...bases])
    expect(three.ok && three.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      '[0].extends: extends 3 interfaces: DTDL allows 2 (IoT Central accepts more)',
    ])
    const thirteen = refused(load([iface([], { extends: bases.map((b) => b['@id']) }), ...bases]))
    expect(lines(thirteen)).toEqual(['[0].extends: extends 13 interfaces: at most 12'])
  })

  it.each([
    ['itself', [iface([], { extends: ROOT })], `extends makes a cycle: ${ROOT} → ${ROOT}`],
    [
      'a two-step cycle',
      [iface([], { extends: 'dtmi:test:B;1' }), base('dtmi:test:B;1', [], { extends: ROOT })],
      `extends makes a cycle: ${ROOT} → dtmi:test:B;1 → ${ROOT}`,
    ],
  ])('refuses a cycle through %s', (_, json, message) => {
    const ps = problemsOf(json)
    expect(ps.map((p) => p.message)).toContain(message)
  })

  it('follows ten levels, refuses eleven', () => {
    const chain = (n: number) => [
      iface([telemetry('t0', 'double')], { extends: 'dtmi:test:L1;1' }),
      ...Array.from({ length: n }, (_, i) =>
        base(
          `dtmi:test:L${i + 1};1`,
          [telemetry(`t${i + 1}`, 'double')],
          i + 1 < n ? { extends: `dtmi:test:L${i + 2};1` } : {},
        ),
      ),
    ]
    expect(ok(chain(10)).telemetry).toHaveLength(11)
    expect(problemsOf(chain(11)).map((p) => p.message)).toContain(
      'extends goes deeper than 10 levels',
    )
  })

  it('refuses an extends that is neither a DTMI nor an interface', () => {
    expect(lines(problemsOf(iface([], { extends: ['nope'] })))).toEqual([
      'extends[0]: extends names an interface by DTMI or defines it inline',
    ])
  })
})

describe('reusable schemas: defined once in "schemas", used by id', () => {
  it('an enum and an object used by two elements', () => {
    const m = ok(
      iface(
        [
          telemetry('mode', 'dtmi:test:Mode;1'),
          property('mode2', 'dtmi:test:Mode;1', { writable: true }),
          telemetry('pos', 'dtmi:test:Pos;1'),
        ],
        {
          schemas: [
            {
              '@id': 'dtmi:test:Mode;1',
              '@type': 'Enum',
              valueSchema: 'string',
              enumValues: [
                { name: 'on', enumValue: 'on' },
                { name: 'off', enumValue: 'off' },
              ],
            },
            {
              '@id': 'dtmi:test:Pos;1',
              '@type': 'Object',
              fields: [{ name: 'x', schema: 'double' }],
            },
          ],
        },
      ),
    )
    const mode: Schema = {
      kind: 'enum',
      valueSchema: 'string',
      values: [
        { name: 'on', displayName: 'on', value: 'on' },
        { name: 'off', displayName: 'off', value: 'off' },
      ],
    }
    expect(m.telemetry[0]!.schema).toEqual(mode)
    expect(m.properties[0]!.schema).toEqual(mode)
    expect(m.telemetry[1]!.schema).toEqual({
      kind: 'object',
      fields: [{ name: 'x', displayName: 'x', schema: { kind: 'double' } }],
    })
  })

  it('refuses an id that no "schemas" defines, a schema without a DTMI @id, and a schema that contains itself', () => {
    expect(lines(problemsOf(iface([telemetry('t', 'dtmi:test:Nope;1')])))).toEqual([
      `contents[0].schema: dtmi:test:Nope;1 is not a schema defined in these files (define it in the interface's "schemas")`,
    ])
    expect(
      lines(
        problemsOf(
          iface([telemetry('t', 'double')], { schemas: [{ '@type': 'Object', fields: [] }] }),
        ),
      ),
    ).toEqual(['schemas[0].@id: a reusable schema needs a DTMI @id'])
    const loop = iface([telemetry('t', 'dtmi:test:Loop;1')], {
      schemas: [
        {
          '@id': 'dtmi:test:Loop;1',
          '@type': 'Object',
          fields: [{ name: 'again', schema: 'dtmi:test:Loop;1' }],
        },
      ],
    })
    expect(problemsOf(loop).map((p) => p.message)).toContain(
      'schema dtmi:test:Loop;1 contains itself',
    )
  })
})

describe('semantic types, units, display names, descriptions, comments', () => {
  it.each([
    [['Telemetry', 'Temperature'], 'degreeCelsius', 'Temperature'],
    [['Telemetry', 'SemanticType/Temperature'], 'degreeCelsius', 'Temperature'],
    [['Telemetry', 'Humidity'], 'percent', 'Humidity'],
    [['Telemetry', 'Event'], undefined, 'Event'],
    [['Telemetry', 'State'], undefined, 'State'],
    [['Telemetry', 'AccelerationVector'], undefined, 'AccelerationVector'],
    // IoT Central's own co-types (NumberValue, Initialized…) are not the semantic type.
    [['Telemetry', 'NumberValue', 'Temperature'], 'degreeCelsius', 'Temperature'],
    [['Property', 'NumberValue', 'Initialized', 'Temperature'], 'degreeCelsius', 'Temperature'],
  ])('%j with unit %s → semanticType %s', (type, unit, semanticType) => {
    const el = { '@type': type, name: 'x', schema: 'double', ...(unit ? { unit } : {}) }
    const m = ok(iface([el]))
    const parsed = m.telemetry[0] ?? m.properties[0]
    expect(parsed).toMatchObject({ semanticType, ...(unit ? { unit } : {}) })
  })

  it('an element with no semantic type has none', () => {
    const t = ok(iface([telemetry('t', 'double')])).telemetry[0]!
    expect(t.semanticType).toBeUndefined()
    expect(t.unit).toBeUndefined()
  })

  it('display names and descriptions: a string, a localized map, or the name', () => {
    const m = ok(
      iface(
        [
          telemetry('a', 'double', { displayName: 'Plain', description: 'A plain one' }),
          telemetry('b', 'double', {
            displayName: { en: 'English', de: 'Deutsch' },
            description: { de: 'Nur', en: 'Only English' },
          }),
          telemetry('c', 'double', { displayName: { ja: '温度' } }),
          telemetry('d', 'double'),
          telemetry('e', 'double', { displayName: 42 }),
        ],
        {
          displayName: { 'en-US': 'The Device' },
          description: 'Root description',
          comment: 'a comment is ignored',
        },
      ),
    )
    expect(m.displayName).toBe('The Device')
    expect(m.description).toBe('Root description')
    expect(m.telemetry.map((t) => [t.displayName, t.description])).toEqual([
      ['Plain', 'A plain one'],
      ['English', 'Only English'],
      ['温度', undefined],
      ['d', undefined],
      ['e', undefined],
    ])
  })

  it.each([
    ['a string', 'Hello', 'Hello'],
    ['en', { de: 'Hallo', en: 'Hello' }, 'Hello'],
    ['en-US', { fr: 'Bonjour', 'en-US': 'Hello' }, 'Hello'],
    ['en-GB', { 'en-GB': 'Hello' }, 'Hello'],
    ['another English', { de: 'Hallo', 'en-AU': "G'day" }, "G'day"],
    ['the first language', { de: 'Hallo', fr: 'Bonjour' }, 'Hallo'],
    ['an empty map: the fallback', {}, 'fallback'],
    ['a number: the fallback', 42, 'fallback'],
    ['an array: the fallback', ['Hello'], 'fallback'],
    ['a map of non-strings: the fallback', { en: 5 }, 'fallback'],
  ])('label: %s', (_, d, expected) => {
    expect(label(d, 'fallback')).toBe(expected)
  })

  it('label keeps at most 512 characters', () => {
    expect(label('x'.repeat(600), '')).toHaveLength(512)
  })

  it('comments anywhere are accepted and ignored', () => {
    const m = ok(
      iface(
        [
          telemetry(
            't',
            {
              '@type': 'Object',
              comment: 'obj',
              fields: [{ name: 'f', schema: 'double', comment: 'field' }],
            },
            { comment: 'telemetry' },
          ),
        ],
        { comment: 'root' },
      ),
    )
    expect(m.telemetry).toHaveLength(1)
  })
})

describe('schemas', () => {
  const v2Primitives = primitiveSchemas.filter((p) => !v3OnlyPrimitives.has(p))
  const v3Only = primitiveSchemas.filter((p) => v3OnlyPrimitives.has(p))

  it('knows the ten DTDL v2 primitives and the nine v3 adds', () => {
    expect([...v2Primitives].sort()).toEqual(
      [
        'boolean',
        'date',
        'dateTime',
        'double',
        'duration',
        'float',
        'integer',
        'long',
        'string',
        'time',
      ].sort(),
    )
    expect([...v3Only].sort()).toEqual(
      [
        'byte',
        'bytes',
        'decimal',
        'short',
        'unsignedByte',
        'unsignedInteger',
        'unsignedLong',
        'unsignedShort',
        'uuid',
      ].sort(),
    )
  })

  it.each(v2Primitives)('v2 primitive %s', (p) => {
    expect(schemaOf(p, 2)).toEqual({ kind: p })
    expect(schemaOf(p, 3)).toEqual({ kind: p })
  })

  it.each(v3Only)('v3 primitive %s: loads in v3, refused in a v2 file', (p) => {
    expect(schemaOf(p, 3)).toEqual({ kind: p })
    expect(lines(problemsOf(iface([telemetry('x', p)])))).toEqual([
      `contents[0].schema: '${p}' needs DTDL v3 (@context dtmi:dtdl:context;3)`,
    ])
  })

  it('a v3-only primitive deep in a v2 object is refused too, with its path', () => {
    const obj = {
      '@type': 'Object',
      fields: [
        { name: 'a', schema: 'double' },
        { name: 'b', schema: 'uuid' },
      ],
    }
    expect(lines(problemsOf(iface([telemetry('x', obj)])))).toEqual([
      `contents[0].schema.fields[1].schema: 'uuid' needs DTDL v3 (@context dtmi:dtdl:context;3)`,
    ])
  })

  it.each([
    [
      'an integer enum',
      {
        '@type': 'Enum',
        valueSchema: 'integer',
        enumValues: [
          { name: 'low', enumValue: 1, displayName: 'Low' },
          { name: 'high', enumValue: 2 },
        ],
      },
      {
        kind: 'enum',
        valueSchema: 'integer',
        values: [
          { name: 'low', displayName: 'Low', value: 1 },
          { name: 'high', displayName: 'high', value: 2 },
        ],
      },
    ],
    [
      'a string enum',
      { '@type': 'Enum', valueSchema: 'string', enumValues: [{ name: 'on', enumValue: 'ON' }] },
      {
        kind: 'enum',
        valueSchema: 'string',
        values: [{ name: 'on', displayName: 'on', value: 'ON' }],
      },
    ],
    [
      'an object',
      {
        '@type': 'Object',
        fields: [
          { name: 'a', schema: 'double', displayName: { en: 'A' } },
          { name: 'b', schema: { '@type': 'Object', fields: [{ name: 'c', schema: 'string' }] } },
        ],
      },
      {
        kind: 'object',
        fields: [
          { name: 'a', displayName: 'A', schema: { kind: 'double' } },
          {
            name: 'b',
            displayName: 'b',
            schema: {
              kind: 'object',
              fields: [{ name: 'c', displayName: 'c', schema: { kind: 'string' } }],
            },
          },
        ],
      },
    ],
    [
      'a map',
      {
        '@type': 'Map',
        mapKey: { name: 'sensor', schema: 'string' },
        mapValue: { name: 'reading', schema: 'double' },
      },
      { kind: 'map', keyName: 'sensor', valueName: 'reading', value: { kind: 'double' } },
    ],
    [
      'an array',
      { '@type': 'Array', elementSchema: 'integer' },
      { kind: 'array', element: { kind: 'integer' } },
    ],
    [
      'an array of objects',
      { '@type': 'Array', elementSchema: { '@type': 'Object', fields: [] } },
      { kind: 'array', element: { kind: 'object', fields: [] } },
    ],
    ["IoT Central's geopoint", 'geopoint', { kind: 'geopoint' }],
    ["IoT Central's geopoint by DTMI", 'dtmi:iotcentral:schema:geopoint;2', { kind: 'geopoint' }],
    ["IoT Central's vector", 'vector', { kind: 'vector' }],
    ["IoT Central's vector by DTMI", 'dtmi:iotcentral:schema:vector;2', { kind: 'vector' }],
    ["DTDL's point", 'point', { kind: 'point' }],
    ["DTDL's point by DTMI", 'dtmi:standard:schema:geospatial:point;2', { kind: 'point' }],
  ])('telemetry: %s', (_, schema, expected) => {
    expect(schemaOf(schema, 2)).toEqual(expected)
  })

  it('v2: an array is refused in a property (also inside an object), allowed in telemetry and commands; v3 allows it', () => {
    const arr = { '@type': 'Array', elementSchema: 'double' }
    expect(lines(problemsOf(iface([property('p', arr)])))).toEqual([
      'contents[0].schema: an array in a property needs DTDL v3 (DTDL v2 allows arrays in telemetry and commands only)',
    ])
    const inObject = { '@type': 'Object', fields: [{ name: 'list', schema: arr }] }
    expect(problemsOf(iface([property('p', inObject)]))[0]!.path).toBe(
      'contents[0].schema.fields[0].schema',
    )
    expect(schemaOf(arr, 3, 'Property')).toEqual({ kind: 'array', element: { kind: 'double' } })
    const cmd = ok(
      iface([
        {
          '@type': 'Command',
          name: 'c',
          request: { name: 'r', schema: arr },
          response: { name: 's', schema: arr },
        },
      ]),
    )
    expect(cmd.commands[0]!.request!.schema).toEqual({ kind: 'array', element: { kind: 'double' } })
  })

  it.each([
    'lineString',
    'multiPoint',
    'multiLineString',
    'polygon',
    'multiPolygon',
    'dtmi:standard:schema:geospatial:polygon;2',
  ])('the geospatial %s parses and is listed as not emulated', (schema) => {
    const m = ok(iface([telemetry('t', schema), telemetry('keep', 'double')]))
    expect(m.telemetry.map((t) => t.name)).toEqual(['keep'])
    expect(m.notEmulated).toEqual([
      { path: 'contents[0]', what: 'telemetry t', why: expect.stringMatching(/geospatial/) },
    ])
  })

  it.each([
    ['an object', { '@type': 'Object', fields: [{ name: 'route', schema: 'lineString' }] }],
    [
      'a map',
      {
        '@type': 'Map',
        mapKey: { name: 'k', schema: 'string' },
        mapValue: { name: 'v', schema: 'lineString' },
      },
    ],
    ['an array', { '@type': 'Array', elementSchema: 'lineString' }],
  ])(
    'a geospatial schema not generated, inside %s, is listed as not emulated (never dropped in silence)',
    (_, schema) => {
      const m = ok(iface([telemetry('t', schema), telemetry('keep', 'double')]))
      expect(m.telemetry.map((t) => t.name)).toEqual(['keep'])
      expect(m.notEmulated.map((a) => a.what)).toEqual(['telemetry t'])
    },
  )

  it('a command whose payload is not generated is listed as not emulated', () => {
    const m = ok(
      iface([
        { '@type': 'Command', name: 'go', request: { name: 'route', schema: 'lineString' } },
        telemetry('t', 'double'),
      ]),
    )
    expect(m.commands).toEqual([])
    expect(m.notEmulated.map((a) => a.what)).toEqual(['command go'])
  })

  it('complex schemas nest five levels in v2 and eight in v3, and no deeper', () => {
    const nest = (levels: number): unknown =>
      levels === 0
        ? 'double'
        : { '@type': 'Object', fields: [{ name: 'f', schema: nest(levels - 1) }] }
    expect(ok(iface([telemetry('t', nest(5))])).telemetry).toHaveLength(1)
    expect(problemsOf(iface([telemetry('t', nest(6))])).map((p) => p.message)).toContain(
      'complex schemas nest at most 5 levels in DTDL v2',
    )
    expect(ok(v3iface([telemetry('t', nest(8))])).telemetry).toHaveLength(1)
    expect(problemsOf(v3iface([telemetry('t', nest(9))])).map((p) => p.message)).toContain(
      'complex schemas nest at most 8 levels in DTDL v3',
    )
  })

  it.each([
    [
      'an enum without valueSchema',
      { '@type': 'Enum', enumValues: [{ name: 'a', enumValue: 1 }] },
      'contents[0].schema.valueSchema',
      /"integer" or "string"/,
    ],
    [
      'an enum of doubles',
      { '@type': 'Enum', valueSchema: 'double', enumValues: [{ name: 'a', enumValue: 1.5 }] },
      'contents[0].schema.valueSchema',
      /"integer" or "string"/,
    ],
    [
      'an enum with no values',
      { '@type': 'Enum', valueSchema: 'string', enumValues: [] },
      'contents[0].schema.enumValues',
      /1 to 1000 values/,
    ],
    [
      'an integer enum with a string value',
      { '@type': 'Enum', valueSchema: 'integer', enumValues: [{ name: 'a', enumValue: 'x' }] },
      'contents[0].schema.enumValues[0].enumValue',
      /expected an integer, got 'x'/,
    ],
    [
      'a string enum with a number',
      { '@type': 'Enum', valueSchema: 'string', enumValues: [{ name: 'a', enumValue: 1 }] },
      'contents[0].schema.enumValues[0].enumValue',
      /expected a string, got 1/,
    ],
    [
      'an enum value with a bad name',
      { '@type': 'Enum', valueSchema: 'string', enumValues: [{ name: '1a', enumValue: 'x' }] },
      'contents[0].schema.enumValues[0].name',
      /DTDL name/,
    ],
    ['an object without fields', { '@type': 'Object' }, 'contents[0].schema.fields', /fields/],
    [
      'an object field with a bad name',
      { '@type': 'Object', fields: [{ name: 'a-b', schema: 'double' }] },
      'contents[0].schema.fields[0].name',
      /DTDL name/,
    ],
    [
      'an object with a field twice',
      {
        '@type': 'Object',
        fields: [
          { name: 'a', schema: 'double' },
          { name: 'a', schema: 'double' },
        ],
      },
      'contents[0].schema.fields[1].name',
      /field "a" is defined twice/,
    ],
    [
      'an object field with an unknown schema',
      { '@type': 'Object', fields: [{ name: 'a', schema: 'strng' }] },
      'contents[0].schema.fields[0].schema',
      /'strng' is not a DTDL schema \(did you mean 'string'\?\)/,
    ],
    [
      'a map keyed by integers',
      {
        '@type': 'Map',
        mapKey: { name: 'k', schema: 'integer' },
        mapValue: { name: 'v', schema: 'double' },
      },
      'contents[0].schema.mapKey',
      /"schema": "string"/,
    ],
    [
      'a map without a value name',
      { '@type': 'Map', mapKey: { name: 'k', schema: 'string' }, mapValue: { schema: 'double' } },
      'contents[0].schema.mapValue',
      /"name"/,
    ],
    [
      'an array without elementSchema',
      { '@type': 'Array' },
      'contents[0].schema.elementSchema',
      /missing/,
    ],
    [
      'an unknown complex type',
      { '@type': 'Struct', fields: [] },
      'contents[0].schema.@type',
      /'Struct' is not a complex schema/,
    ],
    [
      'a number as schema',
      42,
      'contents[0].schema',
      /expected a schema name or a complex schema, got 42/,
    ],
    ['no schema at all', undefined, 'contents[0].schema', /missing/],
  ])('refuses %s, at its path', (_, schema, path, message) => {
    const el: Json = { '@type': 'Telemetry', name: 't' }
    if (schema !== undefined) el['schema'] = schema
    expect(problemsOf(iface([el]))).toContainEqual({
      file: 'device.json',
      path,
      message: expect.stringMatching(message),
    })
  })
})

describe("an unknown schema name, with a suggestion (the issue's own example)", () => {
  it("contents[3].schema: 'doubel' is not a DTDL schema (did you mean 'double'?)", () => {
    const json = iface([
      telemetry('a', 'double'),
      telemetry('b', 'double'),
      telemetry('c', 'double'),
      telemetry('d', 'doubel'),
    ])
    expect(lines(problemsOf(json))).toEqual([
      "contents[3].schema: 'doubel' is not a DTDL schema (did you mean 'double'?)",
    ])
  })

  it.each([
    ['doubel', 'double'],
    ['Double', 'double'],
    ['strng', 'string'],
    ['integr', 'integer'],
    ['datetime', 'dateTime'],
    ['DateTime', 'dateTime'],
    ['booleen', 'boolean'],
    ['flaot', 'float'],
  ])('%s → did you mean %s', (typo, hit) => {
    expect(problemsOf(iface([telemetry('t', typo)]))[0]!.message).toBe(
      `'${typo}' is not a DTDL schema (did you mean '${hit}'?)`,
    )
  })

  it('no suggestion when nothing is near', () => {
    expect(problemsOf(iface([telemetry('t', 'banana')]))[0]!.message).toBe(
      "'banana' is not a DTDL schema",
    )
  })
})

describe('cloud properties and relationships are left to the cloud', () => {
  it('recognised, listed in leftToCloud with their place, not an error', () => {
    const thermo = {
      '@context': [CENTRAL, V2],
      '@id': 'dtmi:test:Thermo;1',
      '@type': 'Interface',
      contents: [
        telemetry('t', 'double'),
        { '@type': ['Property', 'Cloud'], name: 'site', schema: 'string' },
      ],
    }
    const m = ok([
      iface(
        [
          {
            '@type': ['Property', 'Cloud', 'NumberValue', 'Temperature'],
            name: 'minTemp',
            schema: 'double',
            unit: 'degreeCelsius',
          },
          { '@type': 'Relationship', name: 'parent', target: 'dtmi:test:Other;1' },
          {
            '@type': ['Relationship', 'EdgeModule'],
            name: 'module',
            target: ['dtmi:test:Module;1'],
          },
          component('thermo', 'dtmi:test:Thermo;1'),
        ],
        { '@context': [CENTRAL, V2] },
      ),
      thermo,
    ])
    expect(m.properties).toEqual([])
    expect(m.leftToCloud).toEqual([
      {
        path: '[0].contents[0]',
        what: 'cloud property minTemp',
        why: expect.stringMatching(/IoT Central/),
      },
      { path: '[0].contents[1]', what: 'relationship parent', why: expect.stringMatching(/cloud/) },
      { path: '[0].contents[2]', what: 'relationship module', why: expect.stringMatching(/cloud/) },
      {
        path: '[1].contents[1]',
        what: 'cloud property thermo/site',
        why: expect.stringMatching(/IoT Central/),
      },
    ])
  })

  it('a relationship target need not resolve (planet-1.json names a Moon that is nowhere)', () => {
    const m = loaded(
      loadModel([readDoc(join(repoDir, 'dtmi/com/contoso/planet-1.json'))], { resolve: repo }),
    )
    expect(m.leftToCloud.map((a) => a.what)).toEqual(['relationship satellites'])
  })
})

describe('commands', () => {
  it('synchronous and durable, request and response, v3 nullable payloads', () => {
    const m = ok(
      v3iface([
        { '@type': 'Command', name: 'ping' },
        {
          '@type': 'Command',
          name: 'set',
          durable: true,
          request: { name: 'at', schema: 'time', displayName: 'At' },
        },
        {
          '@type': 'Command',
          name: 'get',
          request: { name: 'since', schema: 'dateTime', nullable: true },
          response: { name: 'r', schema: 'double' },
        },
      ]),
    )
    expect(m.commands).toEqual([
      { component: null, name: 'ping', displayName: 'ping', durable: false },
      {
        component: null,
        name: 'set',
        displayName: 'set',
        durable: true,
        request: { name: 'at', displayName: 'At', schema: { kind: 'time' } },
      },
      {
        component: null,
        name: 'get',
        displayName: 'get',
        durable: false,
        request: {
          name: 'since',
          displayName: 'since',
          schema: { kind: 'dateTime' },
          nullable: true,
        },
        response: { name: 'r', displayName: 'r', schema: { kind: 'double' } },
      },
    ])
  })

  it('refuses nullable in v2, a payload without a name or a bad one', () => {
    expect(
      lines(
        problemsOf(
          iface([
            {
              '@type': 'Command',
              name: 'c',
              request: { name: 'r', schema: 'string', nullable: true },
            },
          ]),
        ),
      ),
    ).toEqual([
      'contents[0].request.nullable: nullable needs DTDL v3 (@context dtmi:dtdl:context;3)',
    ])
    expect(
      lines(problemsOf(iface([{ '@type': 'Command', name: 'c', request: { schema: 'string' } }]))),
    ).toEqual(['contents[0].request.name: missing: a payload has a name'])
    expect(
      lines(
        problemsOf(
          iface([{ '@type': 'Command', name: 'c', response: { name: '_r', schema: 'string' } }]),
        ),
      ),
    ).toEqual(['contents[0].response.name: "_r" is not a DTDL name'])
    expect(
      lines(problemsOf(iface([{ '@type': 'Command', name: 'c', request: 'string' }]))),
    ).toEqual(['contents[0].request: a command payload is an object with a name and a schema'])
  })

  it('warns that a durable command has no response to send', () => {
    const r = load(
      iface([
        { '@type': 'Command', name: 'c', durable: true, response: { name: 'r', schema: 'string' } },
      ]),
    )
    expect(r.ok && r.warnings.map((w) => w.path)).toEqual(['contents[0].response'])
  })
})

describe('elements: kinds, names, uniqueness', () => {
  it('properties: writable true or false (default read-only); anything else is refused', () => {
    const m = ok(
      iface([
        property('a', 'double'),
        property('b', 'double', { writable: true }),
        property('c', 'double', { writable: false }),
      ]),
    )
    expect(m.properties.map((p) => [p.name, p.writable])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ])
    expect(lines(problemsOf(iface([property('a', 'double', { writable: 'yes' })])))).toEqual([
      "contents[0].writable: expected true or false, got 'yes'",
    ])
  })

  it.each([
    ['no @type', { name: 'x', schema: 'double' }, 'contents[0].@type', /missing/],
    [
      'an unknown kind',
      { '@type': 'Telemetri', name: 'x', schema: 'double' },
      'contents[0].@type',
      /'Telemetri' is not Telemetry/,
    ],
    [
      'two kinds',
      { '@type': ['Telemetry', 'Property'], name: 'x', schema: 'double' },
      'contents[0].@type',
      /one kind per element, not Telemetry and Property/,
    ],
    ['a non-object', 'temperature', 'contents[0]', /expected an object/],
    [
      'no name',
      { '@type': 'Telemetry', schema: 'double' },
      'contents[0].name',
      /missing: every element has a name/,
    ],
  ])('refuses an element with %s', (_, el, path, message) => {
    expect(problemsOf(iface([el]))).toEqual([
      { file: 'device.json', path, message: expect.stringMatching(message) },
    ])
  })

  it.each(['1abc', 'a_', 'a-b', 'a b', '', '_a', 'ä'])('refuses the name %j', (name) => {
    expect(lines(problemsOf(iface([telemetry(name, 'double')])))).toEqual([
      `contents[0].name: "${name}" is not a DTDL name (a letter, then letters, digits or _, not ending in _)`,
    ])
  })

  it.each(['a', 'A1', 'a_b', 'x'.repeat(64)])('accepts the name %s', (name) => {
    expect(ok(iface([telemetry(name, 'double')])).telemetry[0]!.name).toBe(name)
  })

  it('names are at most 64 characters in v2 and 512 in v3', () => {
    const n65 = 'a'.repeat(65)
    expect(problemsOf(iface([telemetry(n65, 'double')]))[0]!.message).toMatch(
      /longer than DTDL v2's 64 characters/,
    )
    expect(ok(v3iface([telemetry(n65, 'double')])).telemetry).toHaveLength(1)
    expect(ok(v3iface([telemetry('a'.repeat(512), 'double')])).telemetry).toHaveLength(1)
    expect(problemsOf(v3iface([telemetry('a'.repeat(513), 'double')]))[0]!.message).toMatch(
      /longer than DTDL v3's 512 characters/,
    )
  })

  it('refuses a name used twice: in one interface, across extends, between a component and an element', () => {
    expect(lines(problemsOf(iface([telemetry('t', 'double'), property('t', 'double')])))).toEqual([
      `contents[1].name: "t" is defined twice in ${ROOT} (also at contents[0])`,
    ])
    const base = {
      '@context': V2,
      '@id': 'dtmi:test:Base;1',
      '@type': 'Interface',
      contents: [telemetry('t', 'double')],
    }
    expect(
      problemsOf([iface([telemetry('t', 'double')], { extends: 'dtmi:test:Base;1' }), base]).map(
        (p) => p.message,
      ),
    ).toEqual([`"t" is defined twice in ${ROOT} (also at [1].contents[0])`])
    const thermo = {
      '@context': V2,
      '@id': 'dtmi:test:Thermo;1',
      '@type': 'Interface',
      contents: [],
    }
    expect(
      problemsOf([
        iface([telemetry('c', 'double'), component('c', 'dtmi:test:Thermo;1')]),
        thermo,
      ])[0]!.path,
    ).toBe('[0].contents[1].name')
  })

  it('the same name in two components is fine', () => {
    const m = loaded(
      loadModel([readDoc(join(repoDir, 'dtmi/com/example/temperaturecontroller-2.json'))], {
        resolve: repo,
      }),
    )
    expect(m.telemetry.filter((t) => t.name === 'temperature').map((t) => t.component)).toEqual([
      'thermostat1',
      'thermostat2',
    ])
  })

  it.each([
    ['not a DTMI', 'thermostat'],
    ['a DTMI with a segment starting with a digit', 'dtmi:com:1example:T;1'],
    ['a DTMI with a segment ending in _', 'dtmi:com:example_:T;1'],
    ['version 0', 'dtmi:com:example:T;0'],
    ['a URN', 'urn:com:example:T:1'],
    ['v2 without a version', 'dtmi:com:example:T'],
    ['v2 with a minor version (v3 only)', 'dtmi:com:example:T;1.2'],
    ['a number', 7],
  ])('refuses an interface @id that is %s', (_, id) => {
    expect(problemsOf(iface([telemetry('t', 'double')], { '@id': id }))).toEqual([
      { file: 'device.json', path: '@id', message: expect.stringMatching(/is not a DTMI/) },
    ])
  })

  it('v3 takes a minor version', () => {
    expect(ok(v3iface([telemetry('t', 'double')], { '@id': 'dtmi:com:example:T;1.2' })).id).toBe(
      'dtmi:com:example:T;1.2',
    )
  })
})

describe('refusals: what ends a load at once, with a sentence', () => {
  it('a file larger than 1 MiB (and one of exactly 1 MiB loads)', () => {
    const base = JSON.stringify(iface([telemetry('t', 'double')]))
    const exact = base + ' '.repeat(modelLimits.fileChars - base.length)
    expect(exact).toHaveLength(1024 * 1024)
    expect(loadModel([doc(exact)]).ok).toBe(true)
    expect(lines(refused(loadModel([doc(exact + ' ')])))).toEqual([
      ': the file is larger than 1 MiB (1048577 characters)',
    ])
  })

  it('a models-folder file larger than 1 MiB, named as that file', () => {
    const big = doc(
      JSON.stringify({ ...iface([]), '@id': 'dtmi:test:Thermo;1' }) +
        ' '.repeat(modelLimits.fileChars),
      'dtmi/test/thermo-1.json',
    )
    const ps = problemsOf(iface([component('c', 'dtmi:test:Thermo;1')]), { resolve: () => big })
    expect(ps).toEqual([
      {
        file: 'dtmi/test/thermo-1.json',
        path: '',
        message: expect.stringMatching(/larger than 1 MiB/),
      },
    ])
  })

  it('not JSON', () => {
    expect(problemsOf('{"@context": ')[0]!.message).toMatch(/^not JSON: /)
  })

  it.each([
    ['41 levels', 41],
    ['100,000 levels (no stack overflow)', 100_000],
  ])('JSON nested %s deep', (_, depth) => {
    const text = `{"@context":"${V2}","@id":"${ROOT}","@type":"Interface","comment":${'['.repeat(depth)}${']'.repeat(depth)},"contents":[]}`
    expect(lines(refused(loadModel([doc(text)])))).toEqual([
      ': nested deeper than 40 levels: not a device template',
    ])
  })

  it.each([
    ['v2', iface, 300],
    ['v3', v3iface, 1000],
  ] as const)('%s: at most %i contents in one interface', (v, make, max) => {
    const many = (n: number) =>
      make(Array.from({ length: n }, (_, i) => telemetry(`t${i}`, 'double')))
    expect(ok(many(max)).telemetry).toHaveLength(max)
    expect(lines(problemsOf(many(max + 1)))).toEqual([
      `contents: ${max + 1} contents: DTDL ${v} allows at most ${max} in one interface`,
    ])
  })

  it.each([
    ['v2', iface],
    ['v3', v3iface],
  ] as const)('%s: 10,000 contents', (_, make) => {
    const ps = problemsOf(
      make(Array.from({ length: 10_000 }, (_, i) => telemetry(`t${i}`, 'double'))),
    )
    expect(ps).toHaveLength(1)
    expect(ps[0]!.message).toMatch(/^10000 contents: DTDL v[23] allows at most/)
  })

  it('more than 5,000 elements once components are followed', () => {
    const part = {
      '@context': V2,
      '@id': 'dtmi:test:Part;1',
      '@type': 'Interface',
      contents: Array.from({ length: 300 }, (_, i) => telemetry(`t${i}`, 'double')),
    }
    const root = (n: number) => [
      iface(Array.from({ length: n }, (_, i) => component(`c${i}`, 'dtmi:test:Part;1'))),
      part,
    ]
    expect(ok(root(16)).telemetry).toHaveLength(16 * 300)
    expect(problemsOf(root(17)).map((p) => p.message)).toContain(
      'the model has more than 5000 elements once extends and components are followed',
    )
  })

  it("a DTDL v1 capability model (IoT Central's legacy templates)", () => {
    const v1 = /DTDL v1 .* is not supported: export the template again from IoT Central/
    expect(
      problemsOf({ '@id': 'urn:x:1', '@type': 'CapabilityModel', implements: [] })[0]!.message,
    ).toMatch(v1)
    expect(problemsOf({ capabilityModel: {} })[0]!.message).toMatch(v1)
    const byContext = problemsOf({
      ...iface([]),
      '@context': 'http://azureiot.com/v1/contexts/IoTModel.json',
    })
    expect(byContext).toEqual([
      { file: 'device.json', path: '@context', message: expect.stringMatching(v1) },
    ])
  })

  it('a referenced DTMI that nothing defines names the models-folder path to put it at', () => {
    const message = (id: string, path: string) =>
      `${id} is not defined in these files: add the file that defines it, or give a models folder with ${path}`
    expect(problemsOf(iface([component('cam', 'dtmi:com:example:Camera;3')]))).toEqual([
      {
        file: 'device.json',
        path: 'contents[0].schema',
        message: message('dtmi:com:example:Camera;3', 'dtmi/com/example/camera-3.json'),
      },
    ])
    expect(
      problemsOf(iface([], { extends: 'dtmi:com:Example:Base;2' }), { resolve: () => null }),
    ).toEqual([
      {
        file: 'device.json',
        path: 'extends',
        message: message('dtmi:com:Example:Base;2', 'dtmi/com/example/base-2.json'),
      },
    ])
  })

  it('a models-folder file that defines another DTMI (DTMIs are case-sensitive) says what it defines', () => {
    // dtmi:azure:deviceManagement:DeviceInformation;1 maps to the same lower-cased path as the
    // repo's dtmi:azure:DeviceManagement:DeviceInformation;1: "give a models folder with <that
    // path>" is wrong advice when the folder has that path.
    const ps = refused(
      loadModel([readDoc(join(templatesDir, 'dtdl-v3-spec-phone-components.json'))], {
        resolve: repo,
      }),
    )
    const info = ps.find((p) => p.path === 'contents[2].schema')!
    expect(info.message).toContain('dtmi:azure:DeviceManagement:DeviceInformation;1')
  })

  it('reports every problem, not the first only, each with file and path', () => {
    const ps = problemsOf(
      iface([
        telemetry('a', 'doubel'),
        telemetry('1b', 'double'),
        property('c', 'double', { writable: 1 }),
        component('d', 'dtmi:test:Nope;1'),
      ]),
    )
    expect(ps.map((p) => [p.file, p.path])).toEqual([
      ['device.json', 'contents[1].name'],
      ['device.json', 'contents[0].schema'],
      ['device.json', 'contents[2].writable'],
      ['device.json', 'contents[3].schema'],
    ])
  })

  it('a problem in a component from the models folder names that file and its path', () => {
    const bad = doc(
      {
        '@context': V2,
        '@id': 'dtmi:test:Thermo;1',
        '@type': 'Interface',
        contents: [telemetry('ok', 'double'), telemetry('t', 'doubel')],
      },
      'dtmi/test/thermo-1.json',
    )
    expect(
      problemsOf(iface([component('c', 'dtmi:test:Thermo;1')]), { resolve: () => bad }),
    ).toEqual([
      {
        file: 'dtmi/test/thermo-1.json',
        path: 'contents[1].schema',
        message: expect.stringMatching(/'doubel'.*did you mean 'double'/),
      },
    ])
  })

  it('no documents, or too many', () => {
    expect(loadModel([])).toEqual({
      ok: false,
      problems: [{ file: '', path: '', message: 'no template given' }],
    })
    const many = Array.from({ length: modelLimits.files + 1 }, () => doc(iface([])))
    expect(refused(loadModel(many))[0]!.message).toMatch(/at most 200 files/)
  })
})

describe('dtmiPath, modelReport, parseModel', () => {
  it.each([
    ['dtmi:com:example:Thermostat;1', 'dtmi/com/example/thermostat-1.json'],
    [
      'dtmi:azure:DeviceManagement:DeviceInformation;1',
      'dtmi/azure/devicemanagement/deviceinformation-1.json',
    ],
    ['dtmi:com:example;1', 'dtmi/com/example-1.json'],
    ['dtmi:impinj:R700;134', 'dtmi/impinj/r700-134.json'],
  ])('%s → %s', (id, path) => {
    expect(dtmiPath(id)).toBe(path)
  })

  it('every file of the models folder sits at the path of its own @id', () => {
    for (const f of walk(repoDir)) {
      const json = JSON.parse(readFileSync(f, 'utf8')) as Json | Json[]
      const id = (Array.isArray(json) ? json[0]! : json)['@id'] as string
      expect(relative(repoDir, f).split('\\').join('/')).toBe(dtmiPath(id))
    }
  })

  it('modelReport: counts of a loaded model, problems of a refused one', () => {
    const r = loadModel([readDoc(join(repoDir, 'dtmi/com/example/temperaturecontroller-2.json'))], {
      resolve: repo,
    })
    expect(modelReport(r, 'tc.json')).toEqual({
      loaded: true,
      source: 'tc.json',
      modelId: 'dtmi:com:example:TemperatureController;2',
      displayName: 'Temperature Controller',
      counts: { components: 3, telemetry: 3, properties: 13, writable: 2, commands: 3 },
      problems: [],
      warnings: [],
      leftToCloud: [],
      notEmulated: [],
    })
    const bad = modelReport(load(iface([telemetry('t', 'doubel')])), 'bad.json')
    expect(bad).toMatchObject({ loaded: false, source: 'bad.json', modelId: null, counts: null })
    expect(bad.problems).toHaveLength(1)
  })

  it('parseModel returns the model, or throws with every problem and its path', () => {
    expect(parseModel(iface([telemetry('t', 'double')])).id).toBe(ROOT)
    expect(() =>
      parseModel(iface([telemetry('t', 'doubel'), telemetry('u', 'strng')]), 'x.json'),
    ).toThrow(
      "x.json does not load: contents[0].schema: 'doubel' is not a DTDL schema (did you mean 'double'?); contents[1].schema: 'strng' is not a DTDL schema (did you mean 'string'?)",
    )
  })

  it('warns of a model with nothing a device sends or answers (crater-1.json is empty)', () => {
    const r = loadModel([readDoc(join(repoDir, 'dtmi/com/contoso/crater-1.json'))])
    expect(r.ok && r.warnings.map((w) => w.message)).toEqual([
      'the model has nothing a device sends or answers',
    ])
  })
})

describe('the temperature controller (models repository, IoT Central order, localized names)', () => {
  const m = loaded(
    loadModel([readDoc(join(repoDir, 'dtmi/com/example/temperaturecontroller-2.json'))], {
      resolve: repo,
    }),
  )

  it('its components, each by DTMI from the models folder', () => {
    expect(m.dtdlVersion).toBe(2)
    expect(m.components).toEqual([
      {
        name: 'thermostat1',
        displayName: 'thermostat1',
        interfaceId: 'dtmi:com:example:Thermostat;1',
      },
      {
        name: 'thermostat2',
        displayName: 'thermostat2',
        interfaceId: 'dtmi:com:example:Thermostat;2',
      },
      {
        name: 'deviceInformation',
        displayName: 'DeviceInfo',
        interfaceId: 'dtmi:azure:DeviceManagement:DeviceInformation;1',
      },
    ])
  })

  it('telemetry with semantic types and units, localized descriptions', () => {
    expect(m.telemetry).toEqual([
      {
        component: null,
        name: 'workingSet',
        displayName: 'Working Set',
        description: 'Current working set of the device memory in KiB.',
        semanticType: 'DataSize',
        unit: 'kibibit',
        schema: { kind: 'double' },
      },
      expect.objectContaining({
        component: 'thermostat1',
        name: 'temperature',
        semanticType: 'Temperature',
        unit: 'degreeCelsius',
      }),
      expect.objectContaining({
        component: 'thermostat2',
        name: 'temperature',
        semanticType: 'Temperature',
        unit: 'degreeCelsius',
      }),
    ])
  })

  it('properties: writable targetTemperature per thermostat, the rest read-only', () => {
    expect(m.properties.filter((p) => p.writable).map((p) => `${p.component}/${p.name}`)).toEqual([
      'thermostat1/targetTemperature',
      'thermostat2/targetTemperature',
    ])
    expect(
      m.properties.filter((p) => p.component === 'deviceInformation').map((p) => p.name),
    ).toEqual([
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

  it('commands: reboot with an integer request, getMaxMinReport per thermostat with an object response', () => {
    expect(m.commands.map((c) => `${c.component ?? ''}*${c.name}`)).toEqual([
      '*reboot',
      'thermostat1*getMaxMinReport',
      'thermostat2*getMaxMinReport',
    ])
    expect(m.commands[0]!.request).toEqual({
      name: 'delay',
      displayName: 'Delay',
      schema: { kind: 'integer' },
    })
    expect(m.commands[1]!.response!.schema).toMatchObject({ kind: 'object' })
  })
})

describe('the corpus', () => {
  const repoFiles = walk(repoDir)

  it('has the 41 files of SOURCES.md', () => {
    expect(repoFiles).toHaveLength(41)
  })

  it.each(repoFiles.map((f) => [relative(repoDir, f), f]))(
    'repo/%s loads with a resolver over the folder',
    (_, f) => {
      const r = loadModel([readDoc(f)], { resolve: repo })
      if (!r.ok) throw new Error(lines(r.problems).join('\n'))
      const m = r.model
      expect(
        m.telemetry.length + m.properties.length + m.commands.length + m.components.length,
      ).toBeGreaterThanOrEqual(f.endsWith('crater-1.json') ? 0 : 1)
    },
  )

  // What SOURCES.md says of each standalone template: loads, or is refused for this reason.
  const refusals: Record<string, RegExp[]> = {
    'adt-v3-advanced-home-room.json': [
      /^\[0\]\.extends: dtmi:com:adt:dtsample:core;1 is not defined in these files: .* dtmi\/com\/adt\/dtsample\/core-1\.json$/,
    ],
    'dtdl-v3-spec-phone-components.json': [
      /^contents\[0\]\.schema: dtmi:com:example:Camera;3 is not defined/,
      /^contents\[1\]\.schema: dtmi:com:example:Camera;3 is not defined/,
      /^contents\[2\]\.schema: dtmi:azure:deviceManagement:DeviceInformation;1 is not defined/,
    ],
    'iotc-legacy-dtdl-v1-device-template.json': [
      /^: DTDL v1 \(IoT Central's older capability models\) is not supported/,
    ],
  }
  const templates = readdirSync(templatesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()

  it('has the 15 templates of SOURCES.md', () => {
    expect(templates).toHaveLength(15)
    for (const name of Object.keys(refusals)) expect(templates).toContain(name)
  })

  it.each(templates)(
    'templates/%s loads, or is refused for the reason SOURCES.md gives',
    (name) => {
      const r = loadModel([readDoc(join(templatesDir, name))])
      const expected = refusals[name]
      if (!expected) {
        if (!r.ok) throw new Error(lines(r.problems).join('\n'))
        return
      }
      const got = lines(refused(r))
      expect(got).toHaveLength(expected.length)
      expected.forEach((re, i) => expect(got[i]).toMatch(re))
    },
  )

  it('the ADT room loads once the core interface it extends is given', () => {
    const core = doc(
      {
        '@context': V3,
        '@id': 'dtmi:com:adt:dtsample:core;1',
        '@type': 'Interface',
        contents: [property('name', 'string')],
      },
      'ICore.json',
    )
    const m = loaded(
      loadModel([readDoc(join(templatesDir, 'adt-v3-advanced-home-room.json')), core]),
    )
    expect(m).toMatchObject({ id: 'dtmi:com:adt:dtsample:room;1', dtdlVersion: 3 })
    expect(m.properties.map((p) => `${p.component ?? ''}/${p.name}`).sort()).toEqual([
      '/humidity',
      '/name',
      'thermostat/temperature',
    ])
    expect(m.leftToCloud.map((a) => a.what)).toEqual(['relationship rel_has_sensors'])
  })

  it.each([
    [
      'iotc-connected-coffee-maker.json',
      { telemetry: 4, properties: 2, commands: 2 },
      ['cloud property CoffeeMakerMinTemperature', 'cloud property CoffeeMakerMaxTemperature'],
    ],
    ['iotc-starling-brewer-extends.json', { telemetry: 6, properties: 8, commands: 4 }, []],
    ['iotc-ava-onvif-camera.json', { telemetry: 22, properties: 11, commands: 9 }, []],
    [
      'dtdl-v3-spec-room-conferenceroom-extends.json',
      { telemetry: 0, properties: 2, commands: 0 },
      [],
    ],
    ['dtdl-v3-spec-reusable-schemas.json', { telemetry: 2, properties: 0, commands: 0 }, []],
    [
      'dtdl-v2-iotcentral-spec-locator-geopoint-vector.json',
      { telemetry: 0, properties: 2, commands: 0 },
      [],
    ],
  ])('templates/%s: what it holds', (name, counts, cloud) => {
    const m = loaded(loadModel([readDoc(join(templatesDir, name))]))
    expect({
      telemetry: m.telemetry.length,
      properties: m.properties.length,
      commands: m.commands.length,
    }).toEqual(counts)
    expect(m.leftToCloud.map((a) => a.what)).toEqual(cloud)
  })

  it("the IoT Edge gateway's module interfaces are not dropped in silence", () => {
    // iotc-ava-edge-gateway.json: the root only has a Relationship to its edge module; the module's
    // interfaces (12 telemetry, 14 properties, 8 commands) are in the file. They are not the
    // device's to send, but the model must say what it leaves out.
    const r = loadModel([readDoc(join(templatesDir, 'iotc-ava-edge-gateway.json'))])
    const m = loaded(r)
    expect(m.leftToCloud.map((a) => a.what)).toEqual(['relationship AvaEdgeGatewayModule'])
    expect(JSON.stringify(m.notEmulated)).toContain('dtmi:com:azuremedia:AvaEdgeGatewayModule;1')
  })

  it('geopoint, vector, Event and State from real IoT Central models', () => {
    const m = loaded(
      loadModel([readDoc(join(repoDir, 'dtmi/actility/abeeway_asset_tracker_2-1.json'))], {
        resolve: repo,
      }),
    )
    const kinds = new Set(m.telemetry.map((t) => t.schema.kind))
    expect(kinds).toContain('geopoint')
    expect(kinds).toContain('vector')
    const all = [...m.telemetry, ...m.properties]
    expect(all.some((t) => t.semanticType === 'Event')).toBe(true)
    expect(m.telemetry.some((t) => t.semanticType === 'State' && t.schema.kind === 'enum')).toBe(
      true,
    )
    expect(
      m.properties.filter((p) => p.semanticType === 'State').every((p) => p.schema.kind === 'enum'),
    ).toBe(true)
  })
})
