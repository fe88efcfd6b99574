import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { clock } from '../format'
import { chartFont, drawMarkers } from './chart-markers'
import { plotScales, type PlotData, type PlotMarker, type PlotSeries } from '../plot-model'
import { seriesColors } from '../plot-series'
import { numberText } from '../value-text'

// The uPlot chart behind the telemetry plot: made once per set of series, fed new data as it
// arrives. uPlot draws on a canvas; where there is none (tests in happy-dom) no chart is made and
// the plot shows its data attributes and text alone.

/** Whether this page can draw a chart (a 2D canvas, and matchMedia, which uPlot reads). */
export function canDrawCharts(): boolean {
  try {
    return (
      typeof window.matchMedia === 'function' &&
      document.createElement('canvas').getContext('2d') !== null
    )
  } catch {
    return false
  }
}

export interface Chart {
  update(data: PlotData): void
  resize(width: number, height: number): void
  /** Back to the whole window after a drag-zoom (a double click does the same). */
  resetZoom(): void
  destroy(): void
}

// A canvas cannot read CSS variables: the colours styles.css gives the same names.
const muted = '#667085'
const grid = '#eef0f3'
const markerColors: Record<PlotMarker['kind'], string> = {
  failover: '#b45309',
  failback: '#16a34a',
}
const font = chartFont

/** A value axis' label: short, so the axis stays narrow (12k, not 12000). */
function tickText(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e9) return `${numberText(v / 1e9)}G`
  if (a >= 1e6) return `${numberText(v / 1e6)}M`
  if (a >= 1e4) return `${numberText(v / 1e3)}k`
  return numberText(v)
}

const aligned = (d: PlotData): uPlot.AlignedData => [d.xs, ...d.ys]

export function createChart(
  el: HTMLElement,
  legendEl: HTMLElement,
  series: readonly PlotSeries[],
  size: { width: number; height: number },
  onZoom: (zoomed: boolean) => void,
): Chart {
  let markers: readonly PlotMarker[] = []
  let zoomed = false
  const scales = plotScales(series)
  const scaleOf = (i: number) => scales.find((s) => s.series.includes(i))!.key

  const opts: uPlot.Options = {
    width: size.width,
    height: size.height,
    ms: 1,
    // Hover values and drag-to-zoom are uPlot's own; the legend under the plot shows the values.
    cursor: { drag: { x: true, y: false, setScale: true } },
    // The legend sits outside the chart's picture, so screen readers can read its values.
    legend: { live: true, mount: (_u, table) => legendEl.appendChild(table) },
    scales: { x: { time: true } },
    series: [
      { label: 'Time', value: (_u, v: number | null) => (v == null ? '—' : clock(v, false)) },
      ...series.map((s, i): uPlot.Series => ({
        label: s.unit ? `${s.label} (${s.unit})` : s.label,
        scale: scaleOf(i),
        stroke: seriesColors[i % seriesColors.length],
        width: 1.8,
        spanGaps: false,
        value: (_u, v: number | null) =>
          v == null ? '—' : `${numberText(v)}${s.unit ? ` ${s.unit}` : ''}`,
      })),
    ],
    axes: [
      {
        stroke: muted,
        font,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        // One line of clock time (uPlot's default adds the date on a second line).
        values: (_u, splits, _axis, _space, incr) => splits.map((v) => clock(v, incr < 60_000)),
      },
      // Two value axes fit beside a narrow plot (left, then right); a third or fourth unit is
      // read from the legend.
      ...scales.map((sc, j): uPlot.Axis => ({
        scale: sc.key,
        show: j < 2,
        side: j === 0 ? 3 : 1,
        stroke: muted,
        font,
        // As wide as the longest tick label, so 10000 is not cut to 0000.
        size: (_u, values) =>
          values?.length ? 18 + 7 * Math.max(...values.map((v) => v.length)) : 30,
        grid: { show: j === 0, stroke: grid, width: 1 },
        ticks: { stroke: grid },
        values: (_u, splits) => splits.map(tickText),
      })),
    ],
    hooks: {
      draw: [
        (u) =>
          drawMarkers(
            u,
            markers.map((m) => ({ at: m.at, label: m.kind, color: markerColors[m.kind] })),
            50,
          ),
      ],
      setScale: [
        (u, key) => {
          if (key !== 'x') return
          const xs = u.data[0]
          const min = u.scales.x!.min
          const max = u.scales.x!.max
          const now =
            xs.length > 0 &&
            min != null &&
            max != null &&
            (min > xs[0]! + 1 || max < xs[xs.length - 1]! - 1)
          if (now !== zoomed) {
            zoomed = now
            onZoom(now)
          }
        },
      ],
    },
  }
  const u = new uPlot(opts, [[]], el)
  return {
    update(data) {
      markers = data.markers
      if (zoomed) {
        // Keep the user's zoom while readings arrive; redraw re-ranges the values within it.
        u.setData(aligned(data), false)
        u.redraw()
      } else u.setData(aligned(data))
    },
    resize(width, height) {
      if (width > 0 && (width !== u.width || height !== u.height)) u.setSize({ width, height })
    },
    resetZoom() {
      const xs = u.data[0]
      if (xs.length) u.setScale('x', { min: xs[0]!, max: xs[xs.length - 1]! })
    },
    destroy() {
      u.destroy()
      legendEl.replaceChildren()
    },
  }
}
