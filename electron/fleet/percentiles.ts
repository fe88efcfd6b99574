// Percentiles by nearest rank over raw values: the p-th percentile of n values is the
// ⌈p/100 × n⌉-th smallest. It is one of the values (no interpolation), so the same raw data gives
// the same figure however it was split into reports and merged. Values not there yet (a device
// still away) count as later than every value: a percentile that lands on one is null.

export interface Percentiles {
  p50: number | null
  p95: number | null
  p100: number | null
}

/** `values` are the ones that happened; `missing` more were expected and did not happen. */
export function percentiles(values: number[], missing = 0): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length + missing
  const at = (p: number): number | null => {
    if (n === 0) return null
    const rank = Math.ceil((p / 100) * n)
    return rank <= sorted.length ? sorted[rank - 1]! : null
  }
  return { p50: at(50), p95: at(95), p100: at(100) }
}
