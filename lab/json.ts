// JSON from the outside world, bounded before it is parsed: V8 parses any depth, but stringifying
// a value nested thousands deep overflows the stack, and the lab serializes everything it keeps.

/** Nesting depth of JSON text (objects and arrays), stopping early once past `stopAt`. */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth
        if (max > stopAt) return max
      }
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return max
}

export type Parsed = { ok: true; value: unknown } | { ok: false; reason: 'syntax' | 'depth' }

/** Parses JSON no deeper than `maxDepth`; never throws. */
export function parseJsonBounded(input: string | Buffer, maxDepth: number): Parsed {
  const text = typeof input === 'string' ? input : input.toString('utf8')
  if (jsonDepth(text, maxDepth) > maxDepth) return { ok: false, reason: 'depth' }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, reason: 'syntax' }
  }
}

/** Depth of a parsed value: 0 for a primitive, 1 for `{}` or `[]`, and so on. */
export function valueDepth(value: unknown, stopAt = Infinity): number {
  if (value === null || typeof value !== 'object') return 0
  let max = 0
  for (const v of Object.values(value)) {
    max = Math.max(max, valueDepth(v, stopAt - 1))
    if (max >= stopAt) break
  }
  return max + 1
}
