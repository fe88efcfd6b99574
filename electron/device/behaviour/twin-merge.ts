const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Applies a twin patch the way IoT Hub does: objects merge key by key, null deletes, anything
 * else replaces. A component's patch (`{ "thermostat1": { "__t": "c", "x": 1 } }`) so updates
 * one property without dropping the component's others.
 */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k]
    else if (isObject(v) && !('ac' in v && 'value' in v)) {
      // A new or replaced object is built the same way: IoT Hub keeps no nulls, and the patch's
      // own objects are never shared with what is kept.
      const inner = isObject(target[k]) ? { ...(target[k] as Record<string, unknown>) } : {}
      mergePatch(inner, v)
      target[k] = inner
    } else target[k] = v
  }
}
