import type { TelemetrySample } from '../../../shared/domain'

interface Series {
  name: string
  label: string
  className: string
}

const W = 320
const H = 110
const PAD = 4

/** A small live line plot, one line per series, each scaled to its own range. */
export function Plot({ samples, series }: { samples: TelemetrySample[]; series: Series[] }) {
  const recent = samples.slice(-120)
  return (
    <svg
      className="plot"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="telemetry plot"
      data-testid="telemetry-plot"
    >
      <rect x="0" y="0" width={W} height={H} className="plot-bg" />
      {[0.25, 0.5, 0.75].map((f) => (
        <line key={f} x1="0" x2={W} y1={H * f} y2={H * f} className="plot-grid" />
      ))}
      {series.map((s) => {
        const pts = recent
          .map((r) => r.values[s.name])
          .filter((v): v is number => typeof v === 'number')
        if (pts.length < 2) return null
        const min = Math.min(...pts)
        const max = Math.max(...pts)
        const span = max - min || 1
        const step = (W - PAD * 2) / (pts.length - 1)
        const d = pts
          .map(
            (v, i) =>
              `${(PAD + i * step).toFixed(1)},${(H - PAD - ((v - min) / span) * (H - PAD * 2)).toFixed(1)}`,
          )
          .join(' ')
        return <polyline key={s.name} points={d} className={`plot-line ${s.className}`} />
      })}
      {recent.length < 2 && (
        <text x={W / 2} y={H / 2} textAnchor="middle" className="plot-empty">
          waiting for telemetry…
        </text>
      )}
    </svg>
  )
}
