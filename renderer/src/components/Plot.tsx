import { useEffect, useMemo, useRef, useState } from 'react'
import type { TelemetrySample } from '../../../shared/domain'
import { useNow } from '../hooks'
import { plotData, plotScales, type PlotMarker, type PlotSeries } from '../plot-model'
import { seriesTextColors } from '../plot-series'
import { canDrawCharts, createChart, type Chart } from './plot-chart'

const chartHeight = 130
const fallbackWidth = 400

interface Props {
  samples: readonly TelemetrySample[]
  /** At most a few; the same array until the choice changes (a new array makes a new chart). */
  series: readonly PlotSeries[]
  /** Failovers and failbacks, drawn as vertical markers. */
  markers?: readonly PlotMarker[]
  /** Telemetry is switched off: said on the plot, not just implied by a flat line. */
  off?: boolean
  periodMs?: number
  /** What an empty plot says instead of "Pick a field to plot" (a model with nothing numeric). */
  emptyText?: string | undefined
}

const noMarkers: readonly PlotMarker[] = []

/**
 * The live telemetry plot (uPlot): time along the bottom, a value axis per unit, the readings as
 * lines that break where they stopped, a marker at each failover and failback; drag to zoom,
 * double-click (or Reset zoom) for the whole window, hover for the values in the legend.
 */
export function Plot({
  samples,
  series,
  markers = noMarkers,
  off = false,
  periodMs = 5000,
  emptyText,
}: Props) {
  const now = useNow(1000)
  const canvasBox = useRef<HTMLDivElement>(null)
  const legendBox = useRef<HTMLDivElement>(null)
  const chart = useRef<Chart | null>(null)
  const [width, setWidth] = useState(fallbackWidth)
  const [zoomed, setZoomed] = useState(false)
  const data = useMemo(
    () => plotData(samples, series, markers, now, periodMs, width),
    [samples, series, markers, now, periodMs, width],
  )

  useEffect(() => {
    const el = canvasBox.current
    const legend = legendBox.current
    if (!el || !legend || series.length === 0 || !canDrawCharts()) return
    const c = createChart(
      el,
      legend,
      series,
      { width: el.clientWidth || fallbackWidth, height: chartHeight },
      setZoomed,
    )
    // Its data comes from the effect below, which runs after this one whenever the series change.
    chart.current = c
    return () => {
      chart.current = null
      c.destroy()
      setZoomed(false)
    }
  }, [series])

  useEffect(() => {
    chart.current?.update(data)
  }, [data])

  useEffect(() => {
    const el = canvasBox.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver(([entry]) => {
      const w = Math.round(entry?.contentRect.width ?? 0)
      if (w <= 0) return
      setWidth(w)
      chart.current?.resize(w, chartHeight)
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  const scales = plotScales(series)
  const described = series.map((s) => `${s.label}${s.unit ? ` (${s.unit})` : ''}`).join(', ')
  const empty =
    series.length === 0
      ? (emptyText ?? 'Pick a field to plot')
      : off
        ? null
        : data.points < 2
          ? 'waiting for telemetry…'
          : null
  return (
    <figure
      className={off ? 'plot plot-off' : 'plot'}
      data-testid="telemetry-plot"
      data-off={String(off)}
      data-points={data.points}
      data-series={series.map((s) => s.key).join(' ')}
    >
      <div className="plot-units" aria-hidden="true">
        {scales.slice(0, 2).map((sc, j) => (
          <span
            key={sc.key}
            className={j === 0 ? 'plot-unit' : 'plot-unit plot-unit-right'}
            style={
              sc.series.length === 1
                ? { color: seriesTextColors[sc.series[0]! % seriesTextColors.length] }
                : undefined
            }
            data-testid={`plot-unit-${series[sc.series[0]!]!.key}`}
          >
            {sc.unit}
          </span>
        ))}
      </div>
      <div
        className="plot-canvas"
        ref={canvasBox}
        role="img"
        aria-label={
          series.length
            ? `${described} over time${off ? '; telemetry is switched off' : ''}`
            : 'Nothing plotted'
        }
      />
      {off && (
        <p className="plot-empty" data-testid="plot-off">
          Telemetry is switched off
        </p>
      )}
      {empty && <p className="plot-empty">{empty}</p>}
      <div className="plot-legend" ref={legendBox} />
      {zoomed && (
        <button
          type="button"
          className="link plot-reset"
          data-testid="plot-reset-zoom"
          onClick={() => chart.current?.resetZoom()}
        >
          Reset zoom
        </button>
      )}
      {data.markers.length > 0 && (
        <ul className="sr-only" aria-label="Failovers and failbacks in the plot">
          {data.markers.map((m) => (
            <li key={`${m.kind}-${m.at}`} data-testid="plot-marker" data-kind={m.kind}>
              {m.kind} at {new Date(m.at).toLocaleTimeString()}
            </li>
          ))}
        </ul>
      )}
    </figure>
  )
}
