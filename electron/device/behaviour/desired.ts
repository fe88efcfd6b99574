import { checkValue, type DeviceModel } from '../../../shared/dtdl'
import { componentMarker } from './simulate'

/** IoT Central's writable-property acknowledgement, reported under the property's name. */
export interface DesiredAck {
  value: unknown
  ac: number
  av: number
  ad: string
}

/** One acknowledged key: `fanSpeed`, or `thermostat1/targetTemperature` in a component. */
export interface AckEntry {
  key: string
  component: string | null
  name: string
  ack: DesiredAck
}

export interface DesiredAcks {
  entries: AckEntry[]
  /** The reported patch that carries them, components wrapped as `{ "__t": "c", … }`. */
  patch: Record<string, unknown>
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function judge(
  model: DeviceModel,
  component: string | null,
  name: string,
  value: unknown,
): Pick<DesiredAck, 'ac' | 'ad'> {
  const property = model.properties.find((p) => p.component === component && p.name === name)
  const where = component ? `${component}/${name}` : name
  if (!property)
    return {
      ac: 400,
      ad: component
        ? `component ${component} has no property "${name}"`
        : `${model.id} has no property "${name}"`,
    }
  if (!property.writable) return { ac: 400, ad: `${where} is read-only` }
  if (value === null) return { ac: 200, ad: 'cleared' }
  const problem = checkValue(value, property.schema)
  return problem ? { ac: 400, ad: problem } : { ac: 200, ad: 'completed' }
}

/** In IoT Central's order (value, ac, av, ad), as its own devices write it. */
const ackOf = (value: unknown, av: number, v: Pick<DesiredAck, 'ac' | 'ad'>): DesiredAck => ({
  value,
  ac: v.ac,
  av,
  ad: v.ad,
})

/**
 * Acknowledges every key of a desired document or patch (the reference samples only did the
 * first), in the model's components too. Each value is checked against its schema: a writable
 * property of the right type is accepted (200); a wrong type, a read-only or an unknown property
 * is refused (400) with the reason, so IoT Central shows the edit as failed instead of pending.
 */
export function buildDesiredAcks(doc: Record<string, unknown>, model: DeviceModel): DesiredAcks {
  const av = typeof doc.$version === 'number' ? doc.$version : 0
  const entries: AckEntry[] = []
  const patch: Record<string, unknown> = {}
  const components = new Set(model.components.map((c) => c.name))
  for (const [key, value] of Object.entries(doc)) {
    if (key.startsWith('$')) continue
    if (components.has(key) && isObject(value)) {
      const acks: Record<string, unknown> = { ...componentMarker }
      for (const [name, v] of Object.entries(value)) {
        if (name === '__t' || name.startsWith('$')) continue
        const ack = ackOf(v, av, judge(model, key, name, v))
        acks[name] = ack
        entries.push({ key: `${key}/${name}`, component: key, name, ack })
      }
      if (Object.keys(acks).length > 1) patch[key] = acks
      continue
    }
    const verdict = components.has(key)
      ? { ac: 400, ad: `${key} is a component: its properties come as { "__t": "c", "<name>": … }` }
      : judge(model, null, key, value)
    const ack = ackOf(value, av, verdict)
    patch[key] = ack
    entries.push({ key, component: null, name: key, ack })
  }
  return { entries, patch }
}
