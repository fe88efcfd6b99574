import type { DeviceModel, PrimitiveSchema } from '../../shared/model'

const numeric = new Set<PrimitiveSchema>(['double', 'float', 'integer', 'long'])
const isInteger = (s: PrimitiveSchema) => s === 'integer' || s === 'long'

interface Walk {
  name: string
  value: number
  min: number
  max: number
  step: number
  integer: boolean
}

// Plausible ranges for names the sample model uses; anything else walks within 0..100.
const presets: Record<string, Pick<Walk, 'value' | 'min' | 'max' | 'step'>> = {
  temp: { value: 22, min: -10, max: 45, step: 0.4 },
  temperature: { value: 22, min: -10, max: 45, step: 0.4 },
  humidity: { value: 45, min: 0, max: 100, step: 1.5 },
}

const round = (v: number, integer: boolean) => (integer ? Math.round(v) : Math.round(v * 100) / 100)

/** A bounded random walk for every numeric telemetry field in the model: values that look like a sensor. */
export class TelemetrySimulator {
  private readonly walks: Walk[]

  constructor(
    model: DeviceModel,
    private readonly random: () => number = Math.random,
  ) {
    this.walks = model.telemetry
      .filter((t) => numeric.has(t.schema))
      .map((t) => ({
        name: t.name,
        integer: isInteger(t.schema),
        ...(presets[t.name] ?? { value: 50, min: 0, max: 100, step: 2 }),
      }))
  }

  next(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const w of this.walks) {
      w.value = Math.min(w.max, Math.max(w.min, w.value + (this.random() * 2 - 1) * w.step))
      out[w.name] = round(w.value, w.integer)
    }
    return out
  }
}

/**
 * Values for the model's read-only numeric properties (the sample's `battery`): each drains slowly
 * from 100 and "recharges" when nearly empty, so reported properties visibly change over time.
 */
export class ReportedSimulator {
  private readonly levels: { name: string; value: number; integer: boolean }[]

  constructor(
    model: DeviceModel,
    private readonly random: () => number = Math.random,
  ) {
    this.levels = model.properties
      .filter((p) => !p.writable && numeric.has(p.schema))
      .map((p) => ({ name: p.name, value: 100, integer: isInteger(p.schema) }))
  }

  get empty(): boolean {
    return this.levels.length === 0
  }

  next(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const l of this.levels) {
      l.value -= 0.2 + this.random() * 0.4
      if (l.value <= 5) l.value = 100
      out[l.name] = round(l.value, l.integer)
    }
    return out
  }
}
