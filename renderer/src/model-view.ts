import type { InboundEntry } from '../../shared/domain'
import type { DeviceModel, Placed } from '../../shared/dtdl/types'

// The model as the window arranges it: elements grouped by component, names on the wire turned
// back into the model's display names, and a component's values found inside the twin.

type ModelNames = Pick<DeviceModel, 'displayName' | 'components'>

export interface ComponentGroup<T> {
  /** null: the model's own (default component) elements. */
  component: string | null
  label: string
  items: T[]
}

/** The label of a component (its display name), or of the model itself for null. */
export function componentLabel(model: ModelNames, component: string | null): string {
  if (component === null) return model.displayName
  return model.components.find((c) => c.name === component)?.displayName ?? component
}

/**
 * Elements by component: the model's own first, then each component in the model's order (a
 * component the model does not list, which a parser should never give, comes last by name).
 */
export function byComponent<T extends Pick<Placed, 'component'>>(
  items: readonly T[],
  model: ModelNames,
): ComponentGroup<T>[] {
  const order = new Map<string | null, number>([[null, 0]])
  model.components.forEach((c, i) => order.set(c.name, i + 1))
  const groups = new Map<string | null, ComponentGroup<T>>()
  for (const item of items) {
    let g = groups.get(item.component)
    if (!g) {
      g = { component: item.component, label: componentLabel(model, item.component), items: [] }
      groups.set(item.component, g)
    }
    g.items.push(item)
  }
  const rank = (c: string | null) => order.get(c) ?? Number.MAX_SAFE_INTEGER
  return [...groups.values()].sort(
    (a, b) =>
      rank(a.component) - rank(b.component) ||
      String(a.component).localeCompare(String(b.component)),
  )
}

/**
 * A component element's name on the wire split in two: `thermostat1*reboot` (methods, commands)
 * and, for property edits, also `thermostat1.target` or `thermostat1/target`. Only a component
 * the model has counts: a root name may contain the separator characters too.
 */
export function splitName(
  model: ModelNames,
  name: string,
  separators: readonly string[] = ['*'],
): { component: string | null; name: string } {
  for (const sep of separators) {
    const i = name.indexOf(sep)
    if (i > 0 && model.components.some((c) => c.name === name.slice(0, i)))
      return { component: name.slice(0, i), name: name.slice(i + 1) }
  }
  return { component: null, name }
}

/** What an inbound row is about, in the model's words: "Thermostat One · Get Max-Min report". */
export function inboundLabel(
  entry: Pick<InboundEntry, 'kind' | 'name'>,
  model: DeviceModel,
): string {
  const desired = entry.kind === 'desired'
  const parts = splitName(model, entry.name, desired ? ['*', '.', '/'] : ['*'])
  const list: readonly Placed[] = desired ? model.properties : model.commands
  const element = list.find((e) => e.component === parts.component && e.name === parts.name)
  const own = element?.displayName ?? parts.name
  return parts.component === null ? own : `${componentLabel(model, parts.component)} · ${own}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A property's value in a twin document: at the root, or inside its component's object. */
export function twinValue(
  doc: Record<string, unknown>,
  component: string | null,
  name: string,
): unknown {
  if (component === null) return doc[name]
  const c = doc[component]
  return isObject(c) ? c[name] : undefined
}

/** IoT Central's writable-property acknowledgement, as it sits in the reported document. */
export interface Ack {
  value: unknown
  ac: number
  av?: number
  ad?: string
}

export function asAck(v: unknown): Ack | null {
  if (!isObject(v) || !('value' in v) || typeof v['ac'] !== 'number') return null
  return {
    value: v['value'],
    ac: v['ac'],
    ...(typeof v['av'] === 'number' ? { av: v['av'] } : {}),
    ...(typeof v['ad'] === 'string' ? { ad: v['ad'] } : {}),
  }
}
