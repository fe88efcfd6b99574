import { useMemo, useState } from 'react'
import { elementKey } from '../../../shared/dtdl/types'
import { describeSchema, unitSymbol } from '../../../shared/dtdl/values'
import { clock } from '../format'
import { latestValues } from '../latest-values'
import { byComponent } from '../model-view'
import type { PlotMarker } from '../plot-model'
import { defaultPlotKeys, plottableSeries, seriesColors } from '../plot-series'
import { useApp, useDevice } from '../store'
import { valueText } from '../value-text'
import { Plot } from './Plot'
import { PlotChooser } from './PlotChooser'

export function Telemetry() {
  const snapshot = useDevice((d) => d.snapshot)
  const samples = useDevice((d) => d.telemetry)
  const timeline = useDevice((d) => d.timeline)
  const model = useApp((s) => s.info?.model ?? null)
  // Where each failover and failback landed: the plot marks them so a gap reads against its cause.
  const markers = useMemo(
    () =>
      timeline.flatMap((e): PlotMarker[] =>
        e.cause?.code === 'connected' && e.cause.move ? [{ at: e.at, kind: e.cause.move }] : [],
      ),
    [timeline],
  )
  const off = snapshot ? !snapshot.behaviours.telemetry : false
  const newest = snapshot?.lastTelemetry ?? null
  const last = newest ?? samples[samples.length - 1] ?? null
  const c = snapshot?.counters

  const groups = useMemo(() => (model ? byComponent(model.telemetry, model) : []), [model])
  const values = useMemo(
    () => latestValues(samples, newest, model?.telemetry ?? []),
    [samples, newest, model],
  )
  const plottable = useMemo(() => (model ? plottableSeries(model) : []), [model])
  const plotGroups = useMemo(() => (model ? byComponent(plottable, model) : []), [plottable, model])
  // The choice belongs to the model it was made for: another template starts from its default.
  const [choice, setChoice] = useState<{ modelId: string; keys: string[] } | null>(null)
  const chosenText = (
    choice && choice.modelId === model?.id
      ? choice.keys.filter((k) => plottable.some((p) => p.key === k))
      : defaultPlotKeys(plottable)
  ).join('\n')
  const series = useMemo(
    () =>
      chosenText
        .split('\n')
        .filter(Boolean)
        .map((k) => plottable.find((p) => p.key === k)!),
    [chosenText, plottable],
  )
  const colorOf = (key: string) => {
    const i = series.findIndex((s) => s.key === key)
    return i < 0 ? undefined : seriesColors[i % seriesColors.length]
  }
  const headed = groups.length > 1

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
      <div
        className="value-groups"
        data-testid="telemetry-values"
        tabIndex={0}
        role="region"
        aria-label="Latest values"
      >
        {groups.map((g) => (
          <div
            key={g.component ?? ''}
            className="value-group"
            data-testid="telemetry-group"
            data-component={g.component ?? ''}
          >
            {headed && <h3 className="value-group-head">{g.label}</h3>}
            <div className="values">
              {g.items.map((t) => {
                const key = elementKey(t)
                const unit = unitSymbol(t.unit)
                const color = colorOf(key)
                const v = values.get(key)
                return (
                  <div
                    key={key}
                    className={color ? 'value value-plotted' : 'value'}
                    style={color ? { borderColor: color } : undefined}
                    title={`${t.name}: ${describeSchema(t.schema)}`}
                  >
                    <span className="value-label">{t.displayName}</span>
                    <span
                      className="value-number"
                      data-testid={`telemetry-${key}`}
                      title={valueText(v, t.schema, 400)}
                    >
                      {valueText(v, t.schema, 24)}
                      {unit && v !== undefined ? <span className="value-unit">{unit}</span> : null}
                    </span>
                  </div>
                )
              })}
            </div>
          </div>
        ))}
      </div>
      {plottable.length > 0 && (
        <PlotChooser
          groups={plotGroups}
          chosen={series.map((s) => s.key)}
          onChange={(keys) => model && setChoice({ modelId: model.id, keys })}
        />
      )}
      <Plot
        samples={samples}
        series={series}
        markers={markers}
        off={off}
        periodMs={snapshot?.periods.telemetryMs ?? 5000}
        emptyText={model && plottable.length === 0 ? 'No numeric telemetry to plot' : undefined}
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
