import { checkValue, type DeviceModel } from '../../shared/model'

/** IoT Central's writable-property acknowledgement, reported under the property's name. */
export interface DesiredAck {
  value: unknown
  ac: number
  av: number
  ad: string
}

/**
 * Acknowledges every key of a desired document or patch (the reference samples only did the
 * first). Each value is checked against the model: a writable property of the right type is
 * accepted (200); a wrong type, a read-only or an unknown property is refused (400) with the
 * reason, so IoT Central shows the edit as failed instead of pending forever.
 */
export function buildDesiredAcks(
  doc: Record<string, unknown>,
  model: DeviceModel,
): Record<string, DesiredAck> {
  const av = typeof doc.$version === 'number' ? doc.$version : 0
  const acks: Record<string, DesiredAck> = {}
  for (const [name, value] of Object.entries(doc)) {
    if (name.startsWith('$')) continue
    const property = model.properties.find((p) => p.name === name)
    let ac = 200
    let ad = 'completed'
    if (!property) {
      ac = 400
      ad = `${model.id} has no property "${name}"`
    } else if (!property.writable) {
      ac = 400
      ad = `${name} is read-only`
    } else if (value === null) {
      ad = 'cleared'
    } else {
      const problem = checkValue(value, property.schema)
      if (problem) {
        ac = 400
        ad = problem
      }
    }
    acks[name] = { value, ac, av, ad }
  }
  return acks
}
