import type { PrimitiveSchema, Schema } from './types'

export { unitSymbol } from './text'

// Whether a JSON value is what a schema says, in IoT Central's JSON encoding of each schema, with
// the reason (and where inside the value) when it is not.

// RFC 3339 full-time (DTDL's `time`), seconds optional as IoT Central's forms send them.
const timeRe = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$/i
const dateRe = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

/** A calendar date that exists: 2026-02-30 does not (Date.parse would roll it into March). */
function realDate(text: string): boolean {
  const m = dateRe.exec(text)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  return d <= days
}
const durationRe =
  /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/
const uuidRe = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const decimalRe = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/

/** Integer schemas and their ranges (long and unsignedLong: what JSON carries exactly). */
const integerRanges: Partial<Record<PrimitiveSchema, [number, number, string]>> = {
  byte: [-128, 127, 'a byte (-128 to 127)'],
  short: [-32768, 32767, 'a short (-32,768 to 32,767)'],
  integer: [-(2 ** 31), 2 ** 31 - 1, 'a 32-bit integer (±2,147,483,647)'],
  long: [-(2 ** 53 - 1), 2 ** 53 - 1, 'an integer'],
  unsignedByte: [0, 255, 'an unsigned byte (0 to 255)'],
  unsignedShort: [0, 65535, 'an unsigned short (0 to 65,535)'],
  unsignedInteger: [0, 2 ** 32 - 1, 'an unsigned integer (0 to 4,294,967,295)'],
  unsignedLong: [0, 2 ** 53 - 1, 'an unsigned integer'],
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'nothing'
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object'
  return `${typeof v} ${String(v)}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function primitive(value: unknown, s: PrimitiveSchema): string | null {
  const range = integerRanges[s]
  if (range) {
    if (!(typeof value === 'number' && Number.isInteger(value)))
      return `expected an integer, got ${describe(value)}`
    return value >= range[0] && value <= range[1] ? null : `expected ${range[2]}, got ${value}`
  }
  switch (s) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected a boolean, got ${describe(value)}`
    case 'double':
      return isNumber(value) ? null : `expected a number, got ${describe(value)}`
    case 'float':
      if (!isNumber(value)) return `expected a number, got ${describe(value)}`
      return Math.abs(value) <= 3.4028234663852886e38
        ? null
        : `expected a float (at most ±3.4e38), got ${value}`
    case 'decimal':
      // Carried as a JSON number, or as a string where the precision matters.
      return isNumber(value) || (typeof value === 'string' && decimalRe.test(value))
        ? null
        : `expected a decimal number, got ${describe(value)}`
    case 'string':
      return typeof value === 'string' ? null : `expected a string, got ${describe(value)}`
    case 'duration':
      return typeof value === 'string' && durationRe.test(value)
        ? null
        : `expected an ISO 8601 duration (PT5M, P1DT2H), got ${describe(value)}`
    case 'time':
      return typeof value === 'string' && timeRe.test(value)
        ? null
        : `expected a time (hh:mm[:ss][Z|±hh:mm]), got ${describe(value)}`
    case 'date':
      return typeof value === 'string' && realDate(value)
        ? null
        : `expected a date (yyyy-mm-dd), got ${describe(value)}`
    case 'dateTime':
      return typeof value === 'string' &&
        realDate(value.slice(0, 10)) &&
        /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$/i.test(
          value,
        ) &&
        !Number.isNaN(Date.parse(value))
        ? null
        : `expected a date-time (ISO 8601, 2026-12-06T18:00:00Z), got ${describe(value)}`
    case 'uuid':
      return typeof value === 'string' && uuidRe.test(value)
        ? null
        : `expected a UUID, got ${describe(value)}`
    case 'bytes':
      return typeof value === 'string' && base64Re.test(value)
        ? null
        : `expected base64 bytes, got ${describe(value)}`
    default:
      return `expected ${s}, got ${describe(value)}`
  }
}

/** Checks a JSON value against a schema; returns a reason when it does not fit, or null. */
export function checkValue(value: unknown, schema: Schema): string | null {
  return check(value, schema, '')
}

const within = (path: string, reason: string | null) =>
  reason === null ? null : path ? `${path}: ${reason}` : reason

function check(value: unknown, s: Schema, path: string): string | null {
  switch (s.kind) {
    case 'enum': {
      if (s.values.some((e) => e.value === value)) return null
      const list = s.values
        .slice(0, 8)
        .map((e) => JSON.stringify(e.value))
        .join(', ')
      return within(
        path,
        `expected one of ${list}${s.values.length > 8 ? ', …' : ''}, got ${describe(value)}`,
      )
    }
    case 'object': {
      if (!isObject(value)) return within(path, `expected an object, got ${describe(value)}`)
      for (const [k, v] of Object.entries(value)) {
        const f = s.fields.find((x) => x.name === k)
        if (!f) return within(path, `has no field "${k.slice(0, 64)}"`)
        // A field left out or null is "not set", as IoT Central sends it.
        if (v === null) continue
        const r = check(v, f.schema, path ? `${path}.${k}` : k)
        if (r) return r
      }
      return null
    }
    case 'map': {
      if (!isObject(value))
        return within(path, `expected a map (an object), got ${describe(value)}`)
      for (const [k, v] of Object.entries(value)) {
        if (v === null) continue
        const r = check(v, s.value, path ? `${path}.${k}` : k)
        if (r) return r
      }
      return null
    }
    case 'array': {
      if (!Array.isArray(value)) return within(path, `expected an array, got ${describe(value)}`)
      for (let i = 0; i < value.length; i++) {
        const r = check(value[i], s.element, `${path}[${i}]`)
        if (r) return r
      }
      return null
    }
    case 'geopoint': {
      if (!isObject(value))
        return within(path, `expected a geopoint { lat, lon }, got ${describe(value)}`)
      const { lat, lon, alt } = value
      if (!isNumber(lat) || lat < -90 || lat > 90)
        return within(path, `lat: expected a latitude (-90 to 90), got ${describe(lat)}`)
      if (!isNumber(lon) || lon < -180 || lon > 180)
        return within(path, `lon: expected a longitude (-180 to 180), got ${describe(lon)}`)
      if (alt !== undefined && !isNumber(alt))
        return within(path, `alt: expected a number, got ${describe(alt)}`)
      const extra = Object.keys(value).find((k) => !['lat', 'lon', 'alt'].includes(k))
      return extra ? within(path, `a geopoint has lat, lon and alt, not "${extra}"`) : null
    }
    case 'vector': {
      if (!isObject(value))
        return within(path, `expected a vector { x, y, z }, got ${describe(value)}`)
      for (const k of ['x', 'y', 'z'])
        if (!isNumber(value[k]))
          return within(path, `${k}: expected a number, got ${describe(value[k])}`)
      return null
    }
    case 'point': {
      const c = isObject(value) ? value['coordinates'] : undefined
      if (!isObject(value) || value['type'] !== 'Point' || !Array.isArray(c))
        return within(
          path,
          `expected a GeoJSON point { "type": "Point", "coordinates": [lon, lat] }, got ${describe(value)}`,
        )
      if (c.length < 2 || c.length > 3 || !c.every(isNumber))
        return within(path, 'coordinates: expected [longitude, latitude] or with altitude')
      return null
    }
    default:
      return within(path, primitive(value, s.kind))
  }
}

/** The schema in a few words, for forms and reports: "an enum of 3 strings", "an object (4 fields)". */
export function describeSchema(s: Schema): string {
  switch (s.kind) {
    case 'enum':
      return `enum (${s.values.length} ${s.valueSchema === 'integer' ? 'integers' : 'strings'})`
    case 'object':
      return `object (${s.fields.length} field${s.fields.length === 1 ? '' : 's'})`
    case 'map':
      return `map of ${describeSchema(s.value)}`
    case 'array':
      return `array of ${describeSchema(s.element)}`
    case 'geopoint':
      return 'geopoint (lat, lon)'
    case 'vector':
      return 'vector (x, y, z)'
    case 'point':
      return 'GeoJSON point'
    default:
      return s.kind
  }
}

/** A plausible value of the schema: the forms' starting value and a command's default answer. */
export function exampleValue(s: Schema, depth = 0): unknown {
  switch (s.kind) {
    case 'enum':
      return s.values[0]!.value
    case 'object':
      return depth > 8
        ? {}
        : Object.fromEntries(s.fields.map((f) => [f.name, exampleValue(f.schema, depth + 1)]))
    case 'map':
      return depth > 8 ? {} : { [`${s.keyName}1`]: exampleValue(s.value, depth + 1) }
    case 'array':
      return depth > 8 ? [] : [exampleValue(s.element, depth + 1)]
    case 'geopoint':
      return { lat: 47.6397, lon: -122.1282 }
    case 'vector':
      return { x: 0, y: 0, z: 1 }
    case 'point':
      return { type: 'Point', coordinates: [-122.1282, 47.6397] }
    case 'boolean':
      return true
    case 'double':
    case 'float':
    case 'decimal':
      return 1.5
    case 'integer':
    case 'long':
    case 'byte':
    case 'short':
    case 'unsignedByte':
    case 'unsignedShort':
    case 'unsignedInteger':
    case 'unsignedLong':
      return 1
    case 'string':
      return 'text'
    case 'date':
      return '2026-12-06'
    case 'dateTime':
      return '2026-12-06T18:00:00.000Z'
    case 'time':
      return '07:30:00'
    case 'duration':
      return 'PT5M'
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000'
    case 'bytes':
      return 'AAEC'
  }
}
