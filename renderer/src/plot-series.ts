import type { DeviceModel, Schema, TelemetryDef } from '../../shared/dtdl/types'
import { elementKey } from '../../shared/dtdl/types'
import { unitSymbol } from '../../shared/dtdl/values'
import { byComponent, componentLabel } from './model-view'

// What of a model's telemetry can be drawn as a line: each numeric field, and the numeric parts
// of a geopoint, vector or object field (`location.lat`, `accel.x`).

/** The plot stays legible with a few lines; a 30-field model picks which. */
export const maxPlotted = 4
/** Line colours, in the order series are picked (the value cards show the same). */
export const seriesColors = ['#e4572e', '#2563eb', '#16a34a', '#7c3aed'] as const
/** The same hues dark enough for text on white (WCAG AA, 4.5:1). */
export const seriesTextColors = ['#b93a1a', '#1d4ed8', '#15803d', '#6d28d9'] as const

export interface Plottable {
  /** `temp`, `thermostat1/temperature`, `location.lat`: unique in the model. */
  key: string
  /** The series in the legend: with its component's name when it has one. */
  label: string
  /** Within its component's group (the chooser shows the group's name once). */
  shortLabel: string
  unit: string
  component: string | null
  /** The telemetry field the series reads. */
  field: string
  /** Where in the field's value the number sits: [] for a number, ['lat'], ['coordinates', 1]… */
  path: (string | number)[]
  /** A whole numeric field (not a part of one): these are picked first by default. */
  whole: boolean
}

const numericKinds = new Set<Schema['kind']>([
  'double',
  'float',
  'decimal',
  'integer',
  'long',
  'byte',
  'short',
  'unsignedByte',
  'unsignedShort',
  'unsignedInteger',
  'unsignedLong',
])

interface Leaf {
  suffix: string[]
  label: string[]
  path: (string | number)[]
  unit?: string
}

/** Objects nest; a line for a number five levels down is not what anyone plots. */
const maxLeafDepth = 3

function leaves(s: Schema, depth: number): Leaf[] {
  if (numericKinds.has(s.kind)) return [{ suffix: [], label: [], path: [] }]
  switch (s.kind) {
    case 'geopoint':
      return [
        { suffix: ['lat'], label: ['lat'], path: ['lat'], unit: '°' },
        { suffix: ['lon'], label: ['lon'], path: ['lon'], unit: '°' },
        { suffix: ['alt'], label: ['alt'], path: ['alt'], unit: 'm' },
      ]
    case 'point':
      return [
        { suffix: ['lat'], label: ['lat'], path: ['coordinates', 1], unit: '°' },
        { suffix: ['lon'], label: ['lon'], path: ['coordinates', 0], unit: '°' },
      ]
    case 'vector':
      return ['x', 'y', 'z'].map((k) => ({ suffix: [k], label: [k], path: [k] }))
    case 'object':
      if (depth >= maxLeafDepth) return []
      return s.fields.flatMap((f) =>
        leaves(f.schema, depth + 1).map((l) => ({
          ...l,
          suffix: [f.name, ...l.suffix],
          label: [f.displayName, ...l.label],
          path: [f.name, ...l.path],
        })),
      )
    default:
      return []
  }
}

function seriesOf(t: TelemetryDef, model: DeviceModel): Plottable[] {
  const unit = unitSymbol(t.unit)
  return leaves(t.schema, 0).map((l) => ({
    key: [elementKey(t), ...l.suffix].join('.'),
    label: [
      ...(t.component ? [componentLabel(model, t.component)] : []),
      t.displayName,
      ...l.label,
    ].join(' · '),
    shortLabel: [t.displayName, ...l.label].join(' · '),
    // The field's unit is the unit of its parts (a vector in m/s²); a geopoint's are degrees.
    unit: unit || (l.unit ?? ''),
    component: t.component,
    field: t.name,
    path: l.path,
    whole: l.path.length === 0,
  }))
}

/** Every series the model can plot, the model's own fields first, then by component. */
export function plottableSeries(model: DeviceModel): Plottable[] {
  return byComponent(model.telemetry, model).flatMap((g) =>
    g.items.flatMap((t) => seriesOf(t, model)),
  )
}

/** What the plot shows before anyone picks: the first numeric fields, then parts of others. */
export function defaultPlotKeys(list: readonly Plottable[]): string[] {
  return [...list.filter((s) => s.whole), ...list.filter((s) => !s.whole)]
    .slice(0, maxPlotted)
    .map((s) => s.key)
}

/** The number a series reads from one message's body, if it holds one. */
export function seriesValue(
  values: Record<string, unknown>,
  s: Pick<Plottable, 'field' | 'path'>,
): number | undefined {
  let v: unknown = values[s.field]
  for (const p of s.path) {
    if (typeof v !== 'object' || v === null) return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  // A decimal may travel as a string to keep its digits; the plot needs only a number.
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}
