import { z } from 'zod'

// The subset of DTDL v2 that an IoT Central device template uses for this tool:
// primitive schemas on telemetry, properties and command payloads.
export const primitiveSchemas = [
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
] as const
export type PrimitiveSchema = (typeof primitiveSchemas)[number]

const displayName = z.union([z.string(), z.record(z.string(), z.string())]).optional()
const schema = z.enum(primitiveSchemas)
const typeOf = (t: string) =>
  z.union([z.literal(t), z.array(z.string()).refine((a) => a.includes(t))])

const payload = z.object({ name: z.string(), displayName, schema })

const telemetry = z.object({
  '@type': typeOf('Telemetry'),
  name: z.string(),
  displayName,
  schema,
  unit: z.string().max(64).optional(),
})

/** DTDL v2 unit names (semantic types' `unit`) as people write them. */
const unitSymbols: Record<string, string> = {
  degreeCelsius: '°C',
  degreeFahrenheit: '°F',
  kelvin: 'K',
  percent: '%',
  unity: '',
  pascal: 'Pa',
  kilopascal: 'kPa',
  bar: 'bar',
  millibar: 'mbar',
  volt: 'V',
  millivolt: 'mV',
  ampere: 'A',
  milliampere: 'mA',
  watt: 'W',
  kilowatt: 'kW',
  metre: 'm',
  centimetre: 'cm',
  millimetre: 'mm',
  kilometre: 'km',
  metrePerSecond: 'm/s',
  kilometrePerHour: 'km/h',
  second: 's',
  millisecond: 'ms',
  hertz: 'Hz',
  lux: 'lx',
  decibel: 'dB',
  gram: 'g',
  kilogram: 'kg',
  litre: 'L',
}

/** The symbol for a DTDL unit; an unknown unit is shown by its name. */
export function unitSymbol(unit: string | undefined): string {
  if (!unit) return ''
  return unitSymbols[unit] ?? unit
}
const property = z.object({
  '@type': typeOf('Property'),
  name: z.string(),
  displayName,
  schema,
  writable: z.boolean().optional(),
})
const command = z.object({
  '@type': typeOf('Command'),
  name: z.string(),
  displayName,
  durable: z.boolean().optional(),
  request: payload.optional(),
  response: payload.optional(),
})

export const interfaceSchema = z.object({
  '@id': z.string().regex(/^dtmi:[A-Za-z0-9_:]+;[0-9]+$/, 'not a DTMI'),
  '@type': z.literal('Interface'),
  displayName,
  contents: z.array(z.unknown()),
})

export interface DeviceModel {
  id: string
  displayName: string
  /** `unit` is the DTDL unit name when the model gives one (e.g. degreeCelsius). */
  telemetry: { name: string; displayName: string; schema: PrimitiveSchema; unit?: string }[]
  properties: { name: string; displayName: string; schema: PrimitiveSchema; writable: boolean }[]
  commands: {
    name: string
    displayName: string
    durable: boolean
    request?: { name: string; schema: PrimitiveSchema }
    response?: { name: string; schema: PrimitiveSchema }
  }[]
}

function label(d: z.infer<typeof displayName>, fallback: string): string {
  if (typeof d === 'string') return d
  return d?.en ?? Object.values(d ?? {})[0] ?? fallback
}

/** Parses a DTDL interface; unsupported content kinds (components, relationships) are skipped. */
export function parseModel(json: unknown): DeviceModel {
  const iface = interfaceSchema.parse(json)
  const model: DeviceModel = {
    id: iface['@id'],
    displayName: label(iface.displayName, iface['@id']),
    telemetry: [],
    properties: [],
    commands: [],
  }
  for (const c of iface.contents) {
    const t = telemetry.safeParse(c)
    if (t.success) {
      model.telemetry.push({
        name: t.data.name,
        displayName: label(t.data.displayName, t.data.name),
        schema: t.data.schema,
        ...(t.data.unit ? { unit: t.data.unit } : {}),
      })
      continue
    }
    const p = property.safeParse(c)
    if (p.success) {
      model.properties.push({
        name: p.data.name,
        displayName: label(p.data.displayName, p.data.name),
        schema: p.data.schema,
        writable: p.data.writable ?? false,
      })
      continue
    }
    const k = command.safeParse(c)
    if (k.success) {
      model.commands.push({
        name: k.data.name,
        displayName: label(k.data.displayName, k.data.name),
        durable: k.data.durable ?? false,
        request: k.data.request && { name: k.data.request.name, schema: k.data.request.schema },
        response: k.data.response && { name: k.data.response.name, schema: k.data.response.schema },
      })
    }
  }
  return model
}

const timeRe = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/
const dateRe = /^\d{4}-\d{2}-\d{2}$/

/** Checks a JSON value against a primitive schema; returns a reason when it does not fit. */
export function checkValue(value: unknown, s: PrimitiveSchema): string | null {
  switch (s) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected a boolean, got ${describe(value)}`
    // DTDL: integer is signed 32-bit, long signed 64-bit (exact in JSON up to 2^53), float
    // IEEE single precision.
    case 'integer':
      if (!(typeof value === 'number' && Number.isInteger(value)))
        return `expected an integer, got ${describe(value)}`
      return value >= -(2 ** 31) && value < 2 ** 31
        ? null
        : `expected a 32-bit integer (±2,147,483,647), got ${value}`
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? null
        : `expected an integer, got ${describe(value)}`
    case 'double':
      return typeof value === 'number' && Number.isFinite(value)
        ? null
        : `expected a number, got ${describe(value)}`
    case 'float':
      if (!(typeof value === 'number' && Number.isFinite(value)))
        return `expected a number, got ${describe(value)}`
      return Math.abs(value) <= 3.4028234663852886e38
        ? null
        : `expected a float (at most ±3.4e38), got ${value}`
    case 'string':
    case 'duration':
      return typeof value === 'string' ? null : `expected a string, got ${describe(value)}`
    case 'time':
      return typeof value === 'string' && timeRe.test(value)
        ? null
        : `expected a time (hh:mm[:ss]), got ${describe(value)}`
    case 'date':
      return typeof value === 'string' && dateRe.test(value)
        ? null
        : `expected a date (yyyy-mm-dd), got ${describe(value)}`
    case 'dateTime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? null
        : `expected a date-time, got ${describe(value)}`
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object'
  return `${typeof v} ${String(v)}`
}
