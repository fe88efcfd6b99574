import type { TelemetrySample } from '../../shared/domain'
import { seriesValue, type Plottable } from './plot-series'

// The telemetry plot's data, worked out before any drawing: which readings are in the window,
// thinned so thirty minutes of fast telemetry costs what two do, lined up on one time axis for
// uPlot, with a break wherever a series' readings paused. Pure, so it is tested without a canvas.

/** The longest history the plot shows, and the store keeps. */
export const plotWindowMs = 30 * 60_000

export type PlotSeries = Pick<Plottable, 'key' | 'label' | 'unit' | 'component' | 'field' | 'path'>

export interface PlotMarker {
  at: number
  kind: 'failover' | 'failback'
}

/** One y scale per unit: series in the same unit share an axis. */
export interface PlotScale {
  key: string
  unit: string
  /** Indexes into the series list. */
  series: number[]
}

export interface PlotData {
  /** Times (ms), from the window's start to its end. */
  xs: number[]
  /**
   * Per series, aligned with xs: a number, `null` where its line breaks (readings paused), and
   * `undefined` where it has no reading of its own (another component's message): uPlot draws
   * across undefined and breaks at null.
   */
  ys: (number | null | undefined)[][]
  from: number
  to: number
  /** Messages behind the picture (after thinning), for the empty state and the benchmark. */
  points: number
  /** Failovers and failbacks inside the window. */
  markers: PlotMarker[]
}

/** Series grouped by unit, in the order their units first appear; a series with none stands alone. */
export function plotScales(series: readonly PlotSeries[]): PlotScale[] {
  const scales: PlotScale[] = []
  series.forEach((s, i) => {
    const key = s.unit ? `u:${s.unit}` : `s:${s.key}`
    const found = scales.find((sc) => sc.key === key)
    if (found) found.series.push(i)
    else scales.push({ key, unit: s.unit, series: [i] })
  })
  return scales
}

/**
 * Lays out the plot's data. The window runs to now (or the newest reading), and back thirty
 * minutes at most, a minute at least. `buckets` is about the plot's width in pixels: beyond two
 * messages a bucket, each bucket keeps its first message and each series' lowest and highest.
 */
export function plotData(
  samples: readonly TelemetrySample[],
  series: readonly PlotSeries[],
  markers: readonly PlotMarker[],
  now: number,
  expectedPeriodMs: number,
  buckets = 400,
): PlotData {
  const to = Math.max(now, samples.at(-1)?.at ?? now)
  const from = Math.max(to - plotWindowMs, Math.min(samples[0]?.at ?? to - 60_000, to - 60_000))
  const components = new Set(series.map((s) => s.component))
  const read = (m: TelemetrySample, i: number): number | undefined =>
    m.component === series[i]!.component ? seriesValue(m.values, series[i]!) : undefined
  const inView = samples.filter(
    (m) =>
      m.at >= from &&
      components.has(m.component) &&
      series.some((_, i) => read(m, i) !== undefined),
  )
  const kept = thin(inView, Math.max(1, Math.round(buckets)), series.length, read)
  // A pause longer than a few periods is a stop in the readings: the line breaks there.
  const gapMs = Math.max(expectedPeriodMs * 3, 1500)

  const rows = new Map<number, (number | null | undefined)[]>()
  const row = (at: number) => {
    let r = rows.get(at)
    if (!r) rows.set(at, (r = new Array<number | null | undefined>(series.length)))
    return r
  }
  const last: (number | null)[] = series.map(() => null)
  for (const m of kept) {
    series.forEach((_, i) => {
      const v = read(m, i)
      if (v === undefined) return
      const prev = last[i] ?? null
      if (prev !== null && m.at - prev > gapMs) row(Math.round((prev + m.at) / 2))[i] = null
      row(m.at)[i] = v
      last[i] = m.at
    })
  }
  // The window's ends, so the time axis spans the whole window and not just the readings.
  row(from)
  row(to)
  const xs = [...rows.keys()].sort((a, b) => a - b)
  const ys = series.map((_, i) => xs.map((x) => rows.get(x)![i]))
  return {
    xs,
    ys,
    from,
    to,
    points: kept.length,
    markers: markers.filter((mk) => mk.at >= from && mk.at <= to),
  }
}

/** About `buckets` buckets over time, keeping each one's first message and each series' extremes. */
function thin(
  samples: TelemetrySample[],
  buckets: number,
  count: number,
  read: (m: TelemetrySample, i: number) => number | undefined,
): TelemetrySample[] {
  if (samples.length <= buckets * 2) return samples
  const from = samples[0]!.at
  const span = samples.at(-1)!.at - from || 1
  const out: TelemetrySample[] = []
  let bucket = -1
  let keep = new Set<TelemetrySample>()
  let lo: (TelemetrySample | undefined)[] = []
  let hi: (TelemetrySample | undefined)[] = []
  let loV: number[] = []
  let hiV: number[] = []
  const flush = () => {
    for (let i = 0; i < count; i++) {
      if (lo[i]) keep.add(lo[i]!)
      if (hi[i]) keep.add(hi[i]!)
    }
    out.push(...[...keep].sort((a, b) => a.at - b.at))
    keep = new Set()
    lo = []
    hi = []
    loV = []
    hiV = []
  }
  for (const m of samples) {
    const b = Math.floor(((m.at - from) / span) * (buckets - 1))
    if (b !== bucket) {
      flush()
      bucket = b
      keep.add(m)
    }
    for (let i = 0; i < count; i++) {
      const v = read(m, i)
      if (v === undefined) continue
      if (!lo[i] || v < loV[i]!) {
        lo[i] = m
        loV[i] = v
      }
      if (!hi[i] || v > hiV[i]!) {
        hi[i] = m
        hiV[i] = v
      }
    }
  }
  flush()
  return out
}
