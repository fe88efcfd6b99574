import type { DeviceModel } from '../../../shared/dtdl'
import { sourceFor, type Random, type Source } from './generate'

/** One telemetry message: a component's fields go in a message of their own (`$.sub`). */
export interface Reading {
  component: string | null
  values: Record<string, unknown>
}

/** IoT Plug and Play's marker on a component's properties: `{ "<component>": { "__t": "c", … } }`. */
export const componentMarker = { __t: 'c' } as const

/** Every telemetry field of the model, one message per component per period. */
export class TelemetrySimulator {
  private readonly groups: { component: string | null; fields: [string, Source][] }[] = []

  constructor(model: DeviceModel, random: Random = Math.random) {
    for (const t of model.telemetry) {
      let g = this.groups.find((x) => x.component === t.component)
      if (!g) this.groups.push((g = { component: t.component, fields: [] }))
      g.fields.push([t.name, sourceFor(t.schema, t, random)])
    }
  }

  get empty(): boolean {
    return this.groups.length === 0
  }

  next(): Reading[] {
    return this.groups.map((g) => ({
      component: g.component,
      values: Object.fromEntries(g.fields.map(([name, s]) => [name, s.next()])),
    }))
  }
}

/** The model's read-only properties, reported on their period, components wrapped with `__t`. */
export class ReportedSimulator {
  private readonly props: { component: string | null; name: string; source: Source }[]

  constructor(model: DeviceModel, random: Random = Math.random) {
    this.props = model.properties
      .filter((p) => !p.writable)
      .map((p) => ({
        component: p.component,
        name: p.name,
        source: sourceFor(p.schema, p, random),
      }))
  }

  get empty(): boolean {
    return this.props.length === 0
  }

  next(): Record<string, unknown> {
    const patch: Record<string, unknown> = {}
    for (const p of this.props) {
      const value = p.source.next()
      if (p.component === null) patch[p.name] = value
      else {
        const c = (patch[p.component] ??= { ...componentMarker }) as Record<string, unknown>
        c[p.name] = value
      }
    }
    return patch
  }
}
