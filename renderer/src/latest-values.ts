import type { TelemetrySample } from '../../shared/domain'
import { elementKey, type TelemetryDef } from '../../shared/dtdl/types'

/** How far back a field is looked for: one that stopped long ago shows as not sent. */
const maxScan = 5000

/**
 * Each telemetry field's newest value, by element key. Messages are per component, and one may
 * carry only some of its fields, so each field takes the newest message that has it.
 */
export function latestValues(
  samples: readonly TelemetrySample[],
  newest: TelemetrySample | null,
  fields: readonly Pick<TelemetryDef, 'component' | 'name'>[],
): Map<string, unknown> {
  const wanted = new Set(fields.map(elementKey))
  const found = new Map<string, unknown>()
  const take = (s: TelemetrySample) => {
    for (const [name, v] of Object.entries(s.values)) {
      const key = elementKey({ component: s.component, name })
      if (wanted.has(key) && !found.has(key)) found.set(key, v)
    }
  }
  // The snapshot's last message can be newer than the list (events arrive in batches).
  if (newest && newest.seq > (samples.at(-1)?.seq ?? -Infinity)) take(newest)
  for (let i = samples.length - 1; i >= 0 && i >= samples.length - maxScan; i--) {
    if (found.size === wanted.size) break
    take(samples[i]!)
  }
  return found
}
