import type { Schema, Semantics } from '../../../shared/dtdl'

// Values that look like a real device's, for any schema: numbers walk within a range that fits
// their semantic type, unit or name; enums cycle; geopoints travel a loop; strings look like what
// their name says. Each source keeps its own state, so a reading follows from the one before.

export type Random = () => number

/** What a value is for, besides its schema: its name and semantic type guide what looks right. */
export interface Hints extends Semantics {
  name: string
}

interface Range {
  value: number
  min: number
  max: number
  step: number
  /** A battery: it drains a step each reading and, once low, charges back up four times as fast. */
  drains?: boolean
}

// By semantic type, then unit, then words in the name; anything else walks within 0..100.
const bySemantic: Record<string, Range> = {
  Temperature: { value: 22, min: -10, max: 45, step: 0.4 },
  Humidity: { value: 45, min: 0, max: 100, step: 1.5 },
  RelativeHumidity: { value: 45, min: 0, max: 100, step: 1.5 },
  Pressure: { value: 1013, min: 950, max: 1050, step: 1 },
  Voltage: { value: 12, min: 10, max: 14, step: 0.05 },
  Current: { value: 2, min: 0, max: 10, step: 0.1 },
  Power: { value: 500, min: 0, max: 2000, step: 20 },
  Velocity: { value: 10, min: 0, max: 40, step: 1 },
  Acceleration: { value: 0, min: -2, max: 2, step: 0.1 },
  Frequency: { value: 50, min: 49, max: 51, step: 0.02 },
  Illuminance: { value: 300, min: 0, max: 2000, step: 25 },
  Length: { value: 10, min: 0, max: 100, step: 0.5 },
  Mass: { value: 50, min: 0, max: 100, step: 0.5 },
  DataSize: { value: 1024, min: 0, max: 8192, step: 64 },
  TimeSpan: { value: 60, min: 0, max: 3600, step: 10 },
  Angle: { value: 0, min: -180, max: 180, step: 5 },
  AngularVelocity: { value: 0, min: -10, max: 10, step: 0.5 },
}
const byUnit: Record<string, Range> = {
  degreeCelsius: bySemantic.Temperature!,
  degreeFahrenheit: { value: 72, min: 14, max: 113, step: 0.7 },
  kelvin: { value: 295, min: 263, max: 318, step: 0.4 },
  percent: { value: 50, min: 0, max: 100, step: 1.5 },
  hectopascal: bySemantic.Pressure!,
  kilopascal: { value: 101, min: 95, max: 105, step: 0.1 },
  revolutionPerMinute: { value: 1500, min: 0, max: 3000, step: 50 },
}
const byWord: [RegExp, Range][] = [
  [/temp/i, bySemantic.Temperature!],
  [/humid/i, bySemantic.Humidity!],
  [/batt|charge/i, { value: 90, min: 5, max: 100, step: 0.4, drains: true }],
  [/level/i, { value: 90, min: 5, max: 100, step: 0.4 }],
  [/press/i, bySemantic.Pressure!],
  [/speed|rpm/i, { value: 40, min: 0, max: 100, step: 2 }],
  [/volt/i, bySemantic.Voltage!],
  [/memory|storage|disk/i, { value: 4096, min: 1024, max: 16384, step: 32 }],
]

function rangeFor(h: Hints): Range {
  const r =
    (h.semanticType && bySemantic[h.semanticType]) ||
    (h.unit && byUnit[h.unit]) ||
    byWord.find(([re]) => re.test(h.name))?.[1] ||
    ({ value: 50, min: 0, max: 100, step: 2 } satisfies Range)
  return { ...r }
}

const integerBounds: Record<string, [number, number]> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  long: [-(2 ** 53 - 1), 2 ** 53 - 1],
  byte: [-128, 127],
  short: [-32768, 32767],
  unsignedByte: [0, 255],
  unsignedShort: [0, 65535],
  unsignedInteger: [0, 2 ** 32 - 1],
  unsignedLong: [0, 2 ** 53 - 1],
}

/**
 * Strings that look like what their name says (the DeviceInformation interface's among them),
 * matched on the words of the name (`swVersion` → sw, version), not on letters inside a word.
 */
const wordStrings: [(words: string[]) => boolean, string | ((n: number) => string)][] = [
  [(w) => w.includes('manufacturer'), 'Contoso'],
  [(w) => w.length === 1 && w[0] === 'model', 'Lizard-Proof 3000'],
  [(w) => w.includes('model') && w.includes('name'), 'Lizard-Proof 3000'],
  [(w) => w.some((x) => ['sw', 'software', 'firmware', 'fw', 'version'].includes(x)), '1.4.2'],
  [(w) => w.includes('os'), 'Linux'],
  [(w) => w.includes('architecture'), 'x86_64'],
  [(w) => w.includes('serial'), 'SN-0042-7731'],
  [(w) => w.includes('status') || w.includes('state'), (n) => ['ok', 'ok', 'busy', 'ok'][n % 4]!],
  [(w) => w.includes('mac'), '00:1A:2B:3C:4D:5E'],
  [(w) => w.includes('ip'), '10.0.0.42'],
  [(w) => w.includes('message') || w.includes('text') || w.includes('note'), (n) => `reading ${n}`],
  [(w) => w.includes('name'), 'device'],
]

/** The words of a DTDL name: camelCase, PascalCase and snake_case split, lower-cased. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase())
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits

/** A source of successive values for one schema. */
export interface Source {
  next(): unknown
}

class NumberWalk implements Source {
  private readonly r: Range
  constructor(
    hints: Hints,
    private readonly integer: [number, number] | null,
    private readonly random: Random,
    private readonly asString = false,
  ) {
    this.r = rangeFor(hints)
    if (integer) {
      this.r.min = Math.max(this.r.min, integer[0])
      this.r.max = Math.min(this.r.max, integer[1])
      this.r.value = Math.min(this.r.max, Math.max(this.r.min, this.r.value))
      this.r.step = Math.max(1, Math.round(this.r.step))
    }
  }
  private charging = false
  next(): unknown {
    const r = this.r
    if (r.drains) {
      if (r.value <= r.min) this.charging = true
      else if (r.value >= r.max) this.charging = false
      // Whole steps for integers, so every reading of a draining battery is lower than the last.
      const jitter = this.integer ? 1 : 0.75 + this.random() * 0.5
      r.value += this.charging ? 4 * r.step * jitter : -r.step * jitter
    } else r.value += (this.random() * 2 - 1) * r.step
    r.value = Math.min(r.max, Math.max(r.min, r.value))
    const v = this.integer ? Math.round(r.value) : round(r.value, 2)
    return this.asString ? String(v) : v
  }
}

class Cycle implements Source {
  private i = -1
  constructor(private readonly values: readonly unknown[]) {}
  next(): unknown {
    this.i = (this.i + 1) % this.values.length
    return this.values[this.i]
  }
}

/** A loop about 2 km across around Microsoft's Redmond campus, a step each reading. */
class Travel implements Source {
  private angle: number
  constructor(
    private readonly kind: 'geopoint' | 'point',
    random: Random,
  ) {
    this.angle = random() * Math.PI * 2
  }
  next(): unknown {
    this.angle += 0.05
    const lat = round(47.6397 + 0.009 * Math.sin(this.angle), 6)
    const lon = round(-122.1282 + 0.013 * Math.cos(this.angle), 6)
    return this.kind === 'geopoint'
      ? { lat, lon, alt: 40 }
      : { type: 'Point', coordinates: [lon, lat] }
  }
}

class Fields implements Source {
  constructor(private readonly parts: [string, Source][]) {}
  next(): unknown {
    const out: Record<string, unknown> = {}
    for (const [k, s] of this.parts) out[k] = s.next()
    return out
  }
}

class List implements Source {
  constructor(private readonly items: Source[]) {}
  next(): unknown {
    return this.items.map((s) => s.next())
  }
}

class Computed implements Source {
  private n = 0
  constructor(private readonly f: (n: number) => unknown) {}
  next(): unknown {
    return this.f(this.n++)
  }
}

const pad = (n: number) => String(n).padStart(2, '0')

function uuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = ((parseInt(hex[16]!, 16) & 3) | 8).toString(16)
  const h = hex.join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** A source of values for a schema (depth-bounded: DTDL nests complex schemas 8 levels at most). */
export function sourceFor(schema: Schema, hints: Hints, random: Random, depth = 0): Source {
  const child = (s: Schema, name: string) => sourceFor(s, { name }, random, depth + 1)
  switch (schema.kind) {
    case 'double':
    case 'float':
      return new NumberWalk(hints, null, random)
    case 'decimal':
      return new NumberWalk(hints, null, random, true)
    case 'integer':
    case 'long':
    case 'byte':
    case 'short':
    case 'unsignedByte':
    case 'unsignedShort':
    case 'unsignedInteger':
    case 'unsignedLong':
      return new NumberWalk(hints, integerBounds[schema.kind]!, random)
    case 'boolean':
      return new Computed((n) => Math.floor(n / 4) % 2 === 0)
    case 'string': {
      const words = nameWords(hints.name)
      const hit = wordStrings.find(([match]) => match(words))?.[1]
      if (typeof hit === 'string') return new Cycle([hit])
      return new Computed(hit ?? ((n) => `${hints.name}-${n}`))
    }
    case 'date':
      return new Computed(() => new Date().toISOString().slice(0, 10))
    case 'dateTime':
      return new Computed(() => new Date().toISOString())
    case 'time':
      return new Computed(() => {
        const d = new Date()
        return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      })
    case 'duration':
      return new Cycle(['PT5M', 'PT15M', 'PT1H'])
    case 'uuid':
      return new Computed(() => uuid(random))
    case 'bytes':
      return new Computed((n) => btoa(String.fromCharCode(n & 255, (n >> 8) & 255, 42)))
    case 'enum':
      return new Cycle(schema.values.map((v) => v.value))
    case 'geopoint':
    case 'point':
      return new Travel(schema.kind, random)
    case 'vector':
      return new Fields(
        (['x', 'y', 'z'] as const).map((k) => [
          k,
          new NumberWalk({ name: k, semanticType: 'Acceleration' }, null, random),
        ]),
      )
    case 'object':
      return depth > 8
        ? new Cycle([{}])
        : new Fields(schema.fields.map((f) => [f.name, child(f.schema, f.name)]))
    case 'map':
      return depth > 8
        ? new Cycle([{}])
        : new Fields(
            [1, 2].map((i) => [`${schema.keyName}${i}`, child(schema.value, schema.valueName)]),
          )
    case 'array':
      return depth > 8
        ? new Cycle([[]])
        : new List([0, 1, 2].map(() => child(schema.element, hints.name)))
  }
}
