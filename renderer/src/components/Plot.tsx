import { useMemo } from 'react'
import type { TelemetrySample } from '../../../shared/domain'
import { useNow } from '../hooks'
import { plotModel, type PlotMarker, type PlotSeries } from '../plot-model'

const box = { width: 360, height: 150, left: 34, right: 34, top: 8, bottom: 20 }

interface Props {
  samples: TelemetrySample[]
  series: PlotSeries[]
  /** Failovers and failbacks, drawn as vertical markers. */
  markers?: PlotMarker[]
  /** Telemetry is switched off: said on the plot, not just implied by a flat line. */
  off?: boolean
  periodMs?: number
}

/**
 * The live telemetry plot: time along the bottom, one value axis per series with the model's
 * units, the readings as lines that break where they stopped, and a marker at each failover and
 * failback so a gap can be read against the move that caused it.
 */
export function Plot({ samples, series, markers = [], off = false, periodMs = 5000 }: Props) {
  const now = useNow(1000)
  const m = useMemo(
    () => plotModel(samples, series, markers, box, now, periodMs),
    [samples, series, markers, now, periodMs],
  )
  const { height: h, width: w, left, right, top, bottom } = box
  const y0 = h - bottom
  const described = series.map((s) => `${s.label}${s.unit ? ` (${s.unit})` : ''}`).join(' and ')
  return (
    <svg
      className={off ? 'plot plot-off' : 'plot'}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`${described} over time${off ? '; telemetry is switched off' : ''}`}
      data-testid="telemetry-plot"
      data-off={String(off)}
      data-points={m.points}
    >
      <rect x={left} y={top} width={w - left - right} height={y0 - top} className="plot-bg" />
      {m.series.map((s) =>
        s.axis.ticks.map((t) => (
          <g key={`${s.name}-${t.value}`} className={`plot-axis plot-axis-${s.side}`}>
            {s.side === 'left' && (
              <line x1={left} x2={w - right} y1={t.pos} y2={t.pos} className="plot-grid" />
            )}
            <text
              x={s.side === 'left' ? left - 4 : w - right + 4}
              y={t.pos + 3}
              textAnchor={s.side === 'left' ? 'end' : 'start'}
              className={`plot-tick ${s.className}`}
            >
              {t.text}
            </text>
          </g>
        )),
      )}
      {m.series.map((s) =>
        s.axis.unit ? (
          <text
            key={`${s.name}-unit`}
            x={s.side === 'left' ? 2 : w - 2}
            y={top + 8}
            textAnchor={s.side === 'left' ? 'start' : 'end'}
            className={`plot-unit ${s.className}`}
            data-testid={`plot-unit-${s.name}`}
          >
            {s.axis.unit}
          </text>
        ) : null,
      )}
      {m.time.ticks.map((t) => (
        <text
          key={t.value}
          x={t.pos}
          y={h - 6}
          textAnchor="middle"
          className="plot-tick"
          data-testid="plot-time-tick"
        >
          {t.text}
        </text>
      ))}
      {m.markers.map((mk, i) => (
        <g
          key={`${mk.kind}-${mk.at}`}
          className={`plot-marker plot-marker-${mk.kind}`}
          data-testid="plot-marker"
          data-kind={mk.kind}
        >
          <title>{`${mk.kind} at ${new Date(mk.at).toLocaleTimeString()}`}</title>
          <line x1={mk.x} x2={mk.x} y1={top} y2={y0} />
          {/* Labels only where they have room; the line and its tooltip say it anyway. */}
          {(i === m.markers.length - 1 || m.markers[i + 1]!.x - mk.x > 44) && (
            <text x={mk.x + 2} y={top + 9} className="plot-marker-label">
              {mk.kind}
            </text>
          )}
        </g>
      ))}
      {m.series.map((s) =>
        s.path ? <path key={s.name} d={s.path} className={`plot-line ${s.className}`} /> : null,
      )}
      {off ? (
        <text
          x={(left + w - right) / 2}
          y={(top + y0) / 2}
          textAnchor="middle"
          className="plot-empty"
          data-testid="plot-off"
        >
          Telemetry is switched off
        </text>
      ) : (
        m.points < 2 && (
          <text
            x={(left + w - right) / 2}
            y={(top + y0) / 2}
            textAnchor="middle"
            className="plot-empty"
          >
            waiting for telemetry…
          </text>
        )
      )}
    </svg>
  )
}
