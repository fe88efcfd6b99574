/** How deep a request may nest: far beyond any real one, far below what overflows the stack. */
export const MAX_REQUEST_DEPTH = 64

/**
 * Whether a value (from IPC's structured clone or JSON.parse, both of which accept any depth)
 * nests objects or arrays deeper than `max`. Iterative, and it stops at the first too-deep path,
 * so a hostile value thousands deep costs no more than `max` levels of work per branch.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object' || seen.has(v)) continue
    if (depth + 1 > max) return true
    seen.add(v)
    for (const child of Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}
