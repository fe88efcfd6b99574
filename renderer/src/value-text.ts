import type { Schema } from '../../shared/dtdl/types'
import { json } from './format'

// A value of any schema in a few characters, for value cards and property tables.

const integerKinds = new Set<Schema['kind']>([
  'integer',
  'long',
  'byte',
  'short',
  'unsignedByte',
  'unsignedShort',
  'unsignedInteger',
  'unsignedLong',
])

/** Schemas whose JSON is a string: any other schema's string value is shown quoted, as the wrong type it is. */
const stringKinds = new Set<Schema['kind']>([
  'string',
  'date',
  'dateTime',
  'time',
  'duration',
  'uuid',
  'bytes',
  'decimal',
])

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A reading rounded to what a person reads at a glance: about three significant digits, never
 * fewer than the integer part (21.4, 1013, 0.0421).
 */
export function numberText(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  if (a >= 1000) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  if (a >= 1) return v.toFixed(2)
  return Number(v.toPrecision(3)).toString()
}

/** Degrees to five decimals: about a metre, as maps show a position. */
const degrees = (v: unknown) => (typeof v === 'number' ? String(Number(v.toFixed(5))) : '?')
const part = (v: unknown) => (typeof v === 'number' ? numberText(v) : '?')

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

/** The value as the model's schema reads: an enum's display name, a geopoint's "lat, lon"… */
export function valueText(value: unknown, schema: Schema, max = 40): string {
  if (value === undefined) return '—'
  if (value === null) return 'null'
  switch (schema.kind) {
    case 'enum': {
      const e = schema.values.find((x) => x.value === value)
      return e ? e.displayName : clip(json(value), max)
    }
    case 'geopoint':
      return isObject(value)
        ? `${degrees(value['lat'])}, ${degrees(value['lon'])}`
        : json(value, max)
    case 'point': {
      // GeoJSON puts longitude first; people read latitude first.
      const c = isObject(value) ? value['coordinates'] : undefined
      return Array.isArray(c) ? `${degrees(c[1])}, ${degrees(c[0])}` : json(value, max)
    }
    case 'vector':
      return isObject(value)
        ? `${part(value['x'])}, ${part(value['y'])}, ${part(value['z'])}`
        : json(value, max)
    case 'object':
    case 'map':
    case 'array':
      return json(value, max)
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : json(value, max)
    default:
      if (typeof value === 'number')
        return integerKinds.has(schema.kind) ? String(value) : numberText(value)
      if (typeof value === 'string' && stringKinds.has(schema.kind)) return clip(value, max)
      return json(value, max)
  }
}
