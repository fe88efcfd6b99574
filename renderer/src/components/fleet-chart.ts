import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { clock } from '../format'
import { chartFont, drawMarkers, type DrawnMarker } from './chart-markers'
import { numberText } from '../value-text'

// The fleet view's charts (uPlot, as the telemetry plot): counts over time on one value axis, with
// a dashed line and a word at each event. Where the page cannot draw (happy-dom), none is made;
// the view says the same in text beside it. canDrawCharts is the telemetry plot's check.
export { canDrawCharts } from './plot-chart'

export interface LineDef {
  label: string
  color: string
}

export type ChartMarker = DrawnMarker

export interface LineChartData {
  xs: number[]
  ys: number[][]
  markers: readonly ChartMarker[]
}

export interface LineChart {
  update(data: LineChartData): void
  resize(width: number, height: number): void
  destroy(): void
}

// A canvas cannot read CSS variables: the colours styles.css gives the same names.
const muted = '#667085'
const grid = '#eef0f3'
const font = chartFont
const stepped = uPlot.paths.stepped?.({ align: 1 })

export function createLineChart(
  el: HTMLElement,
  legendEl: HTMLElement,
  lines: readonly LineDef[],
  size: { width: number; height: number },
): LineChart {
  let markers: readonly ChartMarker[] = []
  const opts: uPlot.Options = {
    width: size.width,
    height: size.height,
    ms: 1,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true, mount: (_u, table) => legendEl.appendChild(table) },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [
      { label: 'Time', value: (_u, v: number | null) => (v == null ? '—' : clock(v, false)) },
      ...lines.map((l): uPlot.Series => ({
        label: l.label,
        stroke: l.color,
        width: 1.8,
        // Counts hold until the next reading: steps, not slopes between two samples.
        paths: stepped,
        points: { show: false },
        value: (_u, v: number | null) => (v == null ? '—' : numberText(v)),
      })),
    ],
    axes: [
      {
        stroke: muted,
        font,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        values: (_u, splits) => splits.map((v) => clock(v, false)),
      },
      {
        stroke: muted,
        font,
        size: (_u, values) =>
          values?.length ? 18 + 7 * Math.max(...values.map((v) => v.length)) : 30,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        values: (_u, splits) => splits.map((v) => numberText(v)),
      },
    ],
    hooks: { draw: [(u) => drawMarkers(u, markers, 70)] },
  }
  const u = new uPlot(opts, [[], ...lines.map(() => [])], el)
  return {
    update(data) {
      markers = data.markers
      u.setData([data.xs, ...data.ys])
    },
    resize(width, height) {
      if (width > 0 && (width !== u.width || height !== u.height)) u.setSize({ width, height })
    },
    destroy() {
      u.destroy()
      legendEl.replaceChildren()
    },
  }
}
