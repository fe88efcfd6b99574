import { useMemo } from 'react'
import { unitSymbol } from '../../../shared/model'
import { useApp } from '../store'
import { clock } from '../format'
import type { PlotMarker } from '../plot-model'
import { Plot } from './Plot'

const seriesClasses = ['s1', 's2', 's3', 's4']
/** Until the model arrives: the reference samples' two readings. */
const defaultFields = [
  { name: 'temp', displayName: 'Temperature', schema: 'double' as const },
  { name: 'humidity', displayName: 'Humidity', schema: 'double' as const },
]

export function Telemetry() {
  const snapshot = useApp((s) => s.snapshot)
  const samples = useApp((s) => s.telemetry)
  const timeline = useApp((s) => s.timeline)
  const model = useApp((s) => s.info?.model)
  // Where each failover and failback landed: the plot marks them so a gap reads against its cause.
  const markers = useMemo(
    () =>
      timeline.flatMap((e): PlotMarker[] =>
        e.cause?.code === 'connected' && e.cause.move ? [{ at: e.at, kind: e.cause.move }] : [],
      ),
    [timeline],
  )
  const off = snapshot ? !snapshot.behaviours.telemetry : false
  const last = snapshot?.lastTelemetry ?? samples[samples.length - 1] ?? null
  const fields = model?.telemetry ?? defaultFields
  const c = snapshot?.counters
  const series = useMemo(
    () =>
      fields.map((f, i) => ({
        name: f.name,
        label: f.displayName,
        unit: unitSymbol('unit' in f ? f.unit : undefined),
        className: seriesClasses[i % seriesClasses.length]!,
      })),
    [fields],
  )

  return (
    <section className="card telemetry" aria-label="Telemetry">
      <div className="card-head">
        <h2>Telemetry</h2>
        {off && (
          <span className="badge badge-off" data-testid="telemetry-off">
            switched off
          </span>
        )}
        {last && (
          <span className="muted small" data-testid="telemetry-last-seq">
            seq {last.seq} · {clock(last.at, false)}
          </span>
        )}
      </div>
      <div className="values">
        {fields.map((f, i) => (
          <div key={f.name} className={`value ${seriesClasses[i % seriesClasses.length]}`}>
            <span className="value-label">{f.displayName}</span>
            <span className="value-number" data-testid={`telemetry-${f.name}`}>
              {last && typeof last.values[f.name] === 'number'
                ? last.values[f.name]!.toFixed(1)
                : '—'}
              {'unit' in f && f.unit ? (
                <span className="value-unit">{unitSymbol(f.unit)}</span>
              ) : null}
            </span>
          </div>
        ))}
      </div>
      <Plot
        samples={samples}
        series={series}
        markers={markers}
        off={off}
        periodMs={snapshot?.periods.telemetryMs ?? 5000}
      />
      <div className="counters">
        <Counter label="sent" testId="counter-sent" value={c?.telemetrySent} />
        <Counter label="acked" testId="counter-acked" value={c?.telemetryAcked} />
        <Counter
          label="reported"
          testId="counter-reported"
          value={c?.reportedSent}
          title={c ? `reported-property patches: ${c.reportedAcked} acknowledged` : undefined}
        />
        <Counter label="queued" testId="counter-queued" value={c?.queued} warn={!!c?.queued} />
        <Counter label="dropped" testId="counter-dropped" value={c?.dropped} warn={!!c?.dropped} />
        {!!c?.duplicatesRisk && (
          <Counter label="resent" testId="counter-resent" value={c.duplicatesRisk} />
        )}
      </div>
    </section>
  )
}

function Counter({
  label,
  value,
  testId,
  warn,
  title,
}: {
  label: string
  value: number | undefined
  testId: string
  warn?: boolean
  title?: string
}) {
  return (
    <div className={warn ? 'counter counter-warn' : 'counter'} title={title}>
      <span className="counter-value" data-testid={testId}>
        {value ?? '—'}
      </span>
      <span className="counter-label">{label}</span>
    </div>
  )
}
