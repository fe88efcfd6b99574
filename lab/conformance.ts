import type { DeviceModel, PropertyDef, TelemetryDef } from '../shared/dtdl/types'
import { checkValue } from '../shared/dtdl/values'

// How a device's traffic measures up to its template, the way IoT Central reads it: telemetry by
// field name within the component `$.sub` names, reported properties by name with components
// marked `"__t": "c"`, writable ones as acknowledgements. Pure: the hub calls it per message and
// keeps what it finds; nothing here refuses traffic (IoT Central keeps unmodeled data too).

export const findingKinds = [
  'not-json-object',
  'unknown-component',
  'unknown-telemetry',
  'missing-component-marker',
  'unknown-property',
  'bad-ack',
  'wrong-type',
] as const
export type FindingKind = (typeof findingKinds)[number]

export interface Finding {
  kind: FindingKind
  /** What it is about: `telemetry thermostat1/temperature`, `property fanSpeed`. */
  where: string
  message: string
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A device's names are its own: shown clipped, so one finding costs a bounded few bytes. */
const clip = (s: string, n = 100) => (s.length > n ? s.slice(0, n) + '…' : s)
const keyOf = (component: string | null, name: string) =>
  clip(component === null ? name : `${component}/${name}`, 160)

interface ModelIndex {
  components: Set<string>
  telemetry: Map<string | null, Map<string, TelemetryDef>>
  /** Components whose telemetry has this name: what a field sent without `$.sub` may have meant. */
  telemetryHomes: Map<string, string[]>
  properties: Map<string | null, Map<string, PropertyDef>>
}

// Models are immutable once loaded: one index each, made on first use.
const indexes = new WeakMap<DeviceModel, ModelIndex>()

function indexOf(model: DeviceModel): ModelIndex {
  let ix = indexes.get(model)
  if (ix) return ix
  ix = {
    components: new Set(model.components.map((c) => c.name)),
    telemetry: new Map(),
    telemetryHomes: new Map(),
    properties: new Map(),
  }
  for (const t of model.telemetry) {
    let m = ix.telemetry.get(t.component)
    if (!m) ix.telemetry.set(t.component, (m = new Map()))
    m.set(t.name, t)
    if (t.component !== null)
      ix.telemetryHomes.set(t.name, [...(ix.telemetryHomes.get(t.name) ?? []), t.component])
  }
  for (const p of model.properties) {
    let m = ix.properties.get(p.component)
    if (!m) ix.properties.set(p.component, (m = new Map()))
    m.set(p.name, p)
  }
  indexes.set(model, ix)
  return ix
}

/**
 * One telemetry message: `body` is its parsed JSON (undefined when it was not JSON), `sub` its
 * `$.sub` system property (the component), if any.
 */
export function checkTelemetry(
  model: DeviceModel,
  body: unknown,
  sub: string | undefined,
): Finding[] {
  const ix = indexOf(model)
  const component = sub ?? null
  const where = component === null ? 'telemetry' : `telemetry ${clip(component)}`
  if (component !== null && !ix.components.has(component))
    return [
      {
        kind: 'unknown-component',
        where,
        message: `$.sub names "${clip(component)}", which is not a component of ${model.id}`,
      },
    ]
  if (!isObject(body))
    return [
      {
        kind: 'not-json-object',
        where,
        message: `the body is ${body === undefined ? 'not JSON' : Array.isArray(body) ? 'a JSON array' : `JSON ${body === null ? 'null' : typeof body}`}: telemetry is a JSON object of field names`,
      },
    ]
  const own = ix.telemetry.get(component)
  const findings: Finding[] = []
  for (const [name, value] of Object.entries(body)) {
    const def = own?.get(name)
    if (def) {
      const problem = checkValue(value, def.schema)
      if (problem)
        findings.push({
          kind: 'wrong-type',
          where: `telemetry ${keyOf(component, name)}`,
          message: `${clip(name)}: ${clip(problem, 200)}`,
        })
      continue
    }
    const homes = component === null ? ix.telemetryHomes.get(name) : undefined
    findings.push(
      homes
        ? {
            kind: 'missing-component-marker',
            where: `telemetry ${keyOf(null, name)}`,
            message: `component telemetry without $.sub: "${clip(name)}" is telemetry of ${homes.map((h) => clip(h)).join(', ')}; send it with $.sub=${clip(homes[0]!)}`,
          }
        : {
            kind: 'unknown-telemetry',
            where: `telemetry ${keyOf(component, name)}`,
            message: `${component === null ? model.id : `component ${clip(component)}`} has no telemetry "${clip(name)}"`,
          },
    )
  }
  return findings
}

/** One reported-properties patch (`$version` and deletions, null, are not the model's business). */
export function checkReported(model: DeviceModel, patch: Json): Finding[] {
  const ix = indexOf(model)
  const findings: Finding[] = []
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$version' || value === null) continue
    const root = ix.properties.get(null)?.get(key)
    if (root) {
      const f = checkProperty(root, value)
      if (f) findings.push(f)
    } else if (ix.components.has(key)) {
      if (!isObject(value) || value['__t'] !== 'c') {
        findings.push({
          kind: 'missing-component-marker',
          where: `property ${clip(key)}`,
          message: `component properties without __t: "${clip(key)}" is a component, reported as an object with "__t": "c" beside its properties`,
        })
        continue
      }
      const own = ix.properties.get(key)
      for (const [name, inner] of Object.entries(value)) {
        if (name === '__t' || inner === null) continue
        const def = own?.get(name)
        const f = def
          ? checkProperty(def, inner)
          : {
              kind: 'unknown-property' as const,
              where: `property ${keyOf(key, name)}`,
              message: `component ${clip(key)} has no property "${clip(name)}"`,
            }
        if (f) findings.push(f)
      }
    } else if (isObject(value) && value['__t'] === 'c') {
      findings.push({
        kind: 'unknown-component',
        where: `property ${clip(key)}`,
        message: `"${clip(key)}" is reported as a component ("__t": "c"), and ${model.id} has no component of that name`,
      })
    } else {
      findings.push({
        kind: 'unknown-property',
        where: `property ${clip(key)}`,
        message: `${model.id} has no property "${clip(key)}"`,
      })
    }
  }
  return findings
}

/**
 * A read-only property is reported as its value. A writable one is reported as IoT Central's
 * acknowledgement `{ value, ac, av, ad? }`; its value must fit only when the device accepted it
 * (ac 2xx): a refusal carries the value it refused.
 */
function checkProperty(def: PropertyDef, value: unknown): Finding | null {
  const where = `property ${keyOf(def.component, def.name)}`
  const name = clip(def.name)
  if (!def.writable) {
    const problem = checkValue(value, def.schema)
    return problem ? { kind: 'wrong-type', where, message: `${name}: ${clip(problem, 200)}` } : null
  }
  if (!isObject(value) || !('value' in value))
    return {
      kind: 'bad-ack',
      where,
      message: `${name} is writable: report it as IoT Central's acknowledgement { "value", "ac", "av", "ad"? }, not as a bare value`,
    }
  const missing = [
    typeof value['ac'] === 'number' ? null : 'ac (a status code)',
    typeof value['av'] === 'number' ? null : 'av (the desired $version)',
    value['ad'] === undefined || typeof value['ad'] === 'string' ? null : 'ad as a string',
  ].filter((m) => m !== null)
  if (missing.length > 0)
    return {
      kind: 'bad-ack',
      where,
      message: `${name}: the acknowledgement needs ${missing.join(', ')}`,
    }
  const ac = value['ac'] as number
  if (ac < 200 || ac > 299 || value['value'] === null) return null
  const problem = checkValue(value['value'], def.schema)
  return problem
    ? { kind: 'wrong-type', where, message: `${name}: value: ${clip(problem, 200)}` }
    : null
}
