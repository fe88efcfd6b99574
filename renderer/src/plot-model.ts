import type { TelemetrySample } from '../../shared/domain'

export interface PlotSeries {
  name: string
  label: string
  /** Unit symbol for the axis (°C, %); none when the model gives none. */
  unit?: string
  className: string
}

export interface PlotMarker {
  at: number
  kind: 'failover' | 'failback'
}

export interface Box {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

export interface Axis {
  ticks: { value: number; pos: number; text: string }[]
  unit: string
}

export interface PlottedSeries extends PlotSeries {
  /** SVG path data: separate runs where readings stopped (telemetry off, device offline). */
  path: string
  axis: Axis
  side: 'left' | 'right'
}

export interface PlotModel {
  box: Box
  series: PlottedSeries[]
  time: Axis
  markers: { x: number; kind: PlotMarker['kind']; at: number }[]
  /** Samples behind the picture (after thinning), for tests and the empty state. */
  points: number
  from: number
  to: number
}

/** The longest history the plot shows, and the store keeps. */
export const plotWindowMs = 30 * 60_000

const pad = (n: number) => String(n).padStart(2, '0')
const clockText = (at: number, withSeconds: boolean) => {
  const d = new Date(at)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`
}

/** About `count` round values, the first at or below `min`, the last at or above `max`. */
export function niceTicks(min: number, max: number, count = 3): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return []
  if (min === max) {
    min -= 1
    max += 1
  }
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  // From a tick at or below the lowest value to one at or above the highest: the scale runs
  // from the first tick to the last, so every reading stays inside the plot.
  const ticks: number[] = []
  const last = Math.ceil(max / step - 1e-9) * step
  for (let v = Math.floor(min / step + 1e-9) * step; v <= last + step * 1e-9; v += step)
    ticks.push(Number(v.toFixed(10)))
  return ticks
}

const timeSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800].map((s) => s * 1000)

/**
 * Lays out the telemetry plot: a time axis, one value axis per series (left, then right) with the
 * model's units, a line per series that breaks where readings stopped, and a marker at each
 * failover and failback. Long histories are thinned to one bucket per pixel (keeping each
 * bucket's first reading and each series' low and high), so thirty minutes of fast telemetry
 * draws as fast as two.
 */
export function plotModel(
  samples: TelemetrySample[],
  series: PlotSeries[],
  markers: PlotMarker[],
  box: Box,
  now: number,
  expectedPeriodMs: number,
): PlotModel {
  const to = Math.max(now, samples.at(-1)?.at ?? now)
  const from = Math.max(to - plotWindowMs, Math.min(samples[0]?.at ?? to - 60_000, to - 60_000))
  const inView = samples.filter((s) => s.at >= from)
  const x0 = box.left
  const x1 = box.width - box.right
  const y0 = box.height - box.bottom
  const y1 = box.top
  const xOf = (at: number) => x0 + ((at - from) / (to - from || 1)) * (x1 - x0)
  const thinned = thin(
    inView,
    Math.max(1, Math.round(x1 - x0)),
    series.map((s) => s.name),
  )
  // A gap longer than a few periods is a pause in the readings: the line breaks there.
  const gapMs = Math.max(expectedPeriodMs * 3, 1500)

  const plotted: PlottedSeries[] = series.slice(0, 2).map((s, i) => {
    const values = thinned
      .map((p) => p.values[s.name])
      .filter((v): v is number => typeof v === 'number')
    const ticks = values.length ? niceTicks(Math.min(...values), Math.max(...values)) : []
    const lo = ticks[0] ?? 0
    const hi = ticks.at(-1) ?? 1
    const yOf = (v: number) => y0 - ((v - lo) / (hi - lo || 1)) * (y0 - y1)
    let path = ''
    let prev: number | null = null
    for (const p of thinned) {
      const v = p.values[s.name]
      if (typeof v !== 'number') {
        prev = null
        continue
      }
      const cmd = prev === null || p.at - prev > gapMs ? 'M' : 'L'
      path += `${cmd}${xOf(p.at).toFixed(1)},${yOf(v).toFixed(1)}`
      prev = p.at
    }
    return {
      ...s,
      path,
      side: i === 0 ? 'left' : 'right',
      axis: {
        unit: s.unit ?? '',
        ticks: ticks.map((t) => ({ value: t, pos: yOf(t), text: formatValue(t) })),
      },
    }
  })

  const spanMs = to - from
  const step = timeSteps.find((st) => spanMs / st <= 4) ?? 3_600_000
  const timeTicks: Axis['ticks'] = []
  for (let t = Math.ceil(from / step) * step; t <= to; t += step)
    timeTicks.push({ value: t, pos: xOf(t), text: clockText(t, step < 60_000) })

  return {
    box,
    series: plotted,
    time: { unit: '', ticks: timeTicks },
    markers: markers
      .filter((m) => m.at >= from && m.at <= to)
      .map((m) => ({ x: xOf(m.at), kind: m.kind, at: m.at })),
    points: thinned.length,
    from,
    to,
  }
}

function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toFixed(1)).toString()
}

/** About `buckets` buckets over time, keeping each one's lowest and highest reading of each series. */
function thin(samples: TelemetrySample[], buckets: number, names: string[]): TelemetrySample[] {
  if (samples.length <= buckets * 2) return samples
  const from = samples[0]!.at
  const span = samples.at(-1)!.at - from || 1
  const out: TelemetrySample[] = []
  let bucket = -1
  let keep = new Set<TelemetrySample>()
  const flush = () => {
    out.push(...[...keep].sort((a, b) => a.at - b.at))
    keep = new Set()
  }
  let lo: Record<string, TelemetrySample> = {}
  let hi: Record<string, TelemetrySample> = {}
  for (const s of samples) {
    const b = Math.floor(((s.at - from) / span) * (buckets - 1))
    if (b !== bucket) {
      for (const n of names) {
        if (lo[n]) keep.add(lo[n])
        if (hi[n]) keep.add(hi[n])
      }
      flush()
      bucket = b
      lo = {}
      hi = {}
      keep.add(s)
    }
    for (const n of names) {
      const v = s.values[n]
      if (typeof v !== 'number') continue
      if (!lo[n] || v < lo[n].values[n]!) lo[n] = s
      if (!hi[n] || v > hi[n].values[n]!) hi[n] = s
    }
  }
  for (const n of names) {
    if (lo[n]) keep.add(lo[n])
    if (hi[n]) keep.add(hi[n])
  }
  flush()
  return out
}
