import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react'
import {
  fleetStartSchema,
  fleetViewLimits,
  type FleetSnapshot,
  type FleetStartRequest,
} from '../../../shared/fleet-view'
import { clock } from '../format'
import {
  dpsChartData,
  dpsLines,
  idRange,
  isActive,
  minuteText,
  quotaLimits,
  seconds,
  statusWords,
  waveChartData,
  waveLines,
  type LineDefs,
} from '../fleet-model'
import { actions, useApp } from '../store'
import { canDrawCharts, createLineChart, type LineChart, type LineChartData } from './fleet-chart'

/** The view asks for the fleet this often while it is open: that keeps the lab's counts coming. */
const watchMs = 5000

/**
 * The fleet beside the single device: start a small fleet against the embedded lab, watch its
 * devices per hub, the wave an outage makes (devices lost → back, with the lab's events marked),
 * DPS accepted and throttled per second, the slowest devices of the last wave (each opens in the
 * single-device view) and the lab's quota counts.
 */
export function FleetView() {
  const fleet = useApp((s) => s.fleet)
  useEffect(() => {
    void actions.watchFleet()
    const t = setInterval(() => void actions.watchFleet(), watchMs)
    return () => clearInterval(t)
  }, [])
  return (
    <div className="fleet-view" data-testid="fleet-view">
      <FleetControls fleet={fleet} />
      {fleet && (
        <>
          <div className="fleet-grid">
            <WaveCard fleet={fleet} />
            <SlowestCard fleet={fleet} />
          </div>
          <div className="fleet-grid">
            <DpsCard fleet={fleet} />
            <QuotaCard fleet={fleet} />
          </div>
        </>
      )}
    </div>
  )
}

interface Draft {
  devices: string
  prefix: string
  telemetrySec: string
}
type Errors = Partial<Record<'devices' | 'prefix' | 'telemetryMs' | 'form', string>>

function FleetControls({ fleet }: { fleet: FleetSnapshot | null }) {
  const busy = useApp((s) => !!s.pending['fleet'])
  const [draft, setDraft] = useState<Draft>({
    devices: String(fleetViewLimits.defaultDevices),
    prefix: fleetViewLimits.defaultPrefix,
    telemetrySec: String(fleetViewLimits.defaultTelemetryMs / 1000),
  })
  const [errors, setErrors] = useState<Errors>({})
  const active = isActive(fleet?.status)
  const available = fleet?.available ?? false
  const set = (k: keyof Draft, v: string) => {
    setDraft((d) => ({ ...d, [k]: v }))
    setErrors({})
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const typed = (text: string) => (text.trim() === '' ? NaN : Number(text))
    const request: FleetStartRequest = {
      devices: typed(draft.devices),
      prefix: draft.prefix.trim(),
      telemetryMs: Math.round(typed(draft.telemetrySec) * 1000),
    }
    const parsed = fleetStartSchema.safeParse(request)
    if (!parsed.success) {
      const next: Errors = {}
      for (const issue of parsed.error.issues) {
        const k = (issue.path[0] as keyof Errors | undefined) ?? 'form'
        next[k] ??= issue.message
      }
      return setErrors(next)
    }
    const err = await actions.startFleet(parsed.data)
    if (err)
      setErrors(
        err.field && ['devices', 'prefix', 'telemetryMs'].includes(err.field)
          ? { [err.field]: err.message }
          : { form: err.message },
      )
  }

  return (
    <section className="card fleet-controls" aria-label="Fleet">
      <div className="card-head">
        <h2>Fleet</h2>
        {fleet && <FleetStatusLine fleet={fleet} />}
      </div>
      {fleet && !available && (
        <p className="banner banner-warn" data-testid="fleet-unavailable">
          {fleet.unavailableReason}
        </p>
      )}
      <form className="fleet-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Devices" error={errors.devices} hint={`1 to ${fleetViewLimits.maxDevices}`}>
          {(id, describedBy) => (
            <input
              id={id}
              type="number"
              min={1}
              max={fleetViewLimits.maxDevices}
              data-testid="fleet-devices"
              value={draft.devices}
              aria-invalid={errors.devices ? true : undefined}
              aria-describedby={describedBy}
              onChange={(e) => set('devices', e.target.value)}
            />
          )}
        </Field>
        <Field label="Id prefix" error={errors.prefix} hint="ids are prefix-0, prefix-1, …">
          {(id, describedBy) => (
            <input
              id={id}
              type="text"
              data-testid="fleet-prefix"
              value={draft.prefix}
              maxLength={fleetViewLimits.maxPrefixChars}
              aria-invalid={errors.prefix ? true : undefined}
              aria-describedby={describedBy}
              onChange={(e) => set('prefix', e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Telemetry every (s)"
          error={errors.telemetryMs}
          hint="1 to 3600 seconds, per device"
        >
          {(id, describedBy) => (
            <input
              id={id}
              type="number"
              min={1}
              max={3600}
              data-testid="fleet-telemetry"
              value={draft.telemetrySec}
              aria-invalid={errors.telemetryMs ? true : undefined}
              aria-describedby={describedBy}
              onChange={(e) => set('telemetrySec', e.target.value)}
            />
          )}
        </Field>
        <div className="fleet-buttons">
          <button
            type="submit"
            className="primary"
            data-testid="fleet-start"
            disabled={!available || active || busy}
          >
            Start fleet
          </button>
          <button
            type="button"
            className="danger"
            data-testid="fleet-stop"
            disabled={!active || fleet?.status === 'stopping' || busy}
            onClick={() => void actions.stopFleet()}
            title="Closes every session of the fleet cleanly; the single device keeps running"
          >
            Stop fleet
          </button>
        </div>
      </form>
      {errors.form && (
        <p className="banner banner-bad" role="alert" data-testid="fleet-error">
          {errors.form}
        </p>
      )}
      {fleet?.problem && (
        <p className="banner banner-bad" data-testid="fleet-problem">
          {fleet.problem}
        </p>
      )}
      {fleet && fleet.status !== 'idle' && <FleetCounts fleet={fleet} />}
    </section>
  )
}

function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string
  error: string | undefined
  hint: string
  children: (id: string, describedBy: string) => ReactNode
}) {
  const id = useId()
  return (
    <div className={error ? 'field field-error' : 'field'}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children(id, `${id}-msg`)}
      <span id={`${id}-msg`} className={error ? 'field-msg' : 'field-hint'}>
        {error ?? hint}
      </span>
    </div>
  )
}

function FleetStatusLine({ fleet }: { fleet: FleetSnapshot }) {
  const started = fleet.startedAt ? ` since ${clock(fleet.startedAt, false)}` : ''
  const detail =
    fleet.status === 'starting'
      ? `${fleet.started}/${fleet.devices} connects issued`
      : fleet.status === 'running'
        ? `${fleet.devices} devices${started}`
        : fleet.status === 'stopped'
          ? `${fleet.devices} devices, every session closed`
          : ''
  return (
    <span className="muted small" data-testid="fleet-status" data-status={fleet.status}>
      <strong className="fleet-status-word">{statusWords[fleet.status]}</strong>
      {detail && ` · ${detail}`}
      {idRange(fleet) && <span className="mono"> · {idRange(fleet)}</span>}
    </span>
  )
}

function FleetCounts({ fleet }: { fleet: FleetSnapshot }) {
  const t = fleet.totals
  const stat = (label: string, value: number | string, testId: string, warn = false) => (
    <div className={warn ? 'fleet-stat stat-warn' : 'fleet-stat'}>
      <dt>{label}</dt>
      <dd data-testid={testId} data-count={typeof value === 'number' ? value : undefined}>
        {value}
      </dd>
    </div>
  )
  return (
    <>
      <dl className="fleet-counts" aria-label="Devices now">
        {fleet.hubs.map((h) => (
          <div key={h.label} className="fleet-stat fleet-hub">
            <dt>Hub {h.label}</dt>
            <dd data-testid={`fleet-hub-${h.label}`} data-count={h.connected}>
              {h.connected}
            </dd>
          </div>
        ))}
        {stat('connected', `${fleet.connected}/${fleet.devices}`, 'fleet-connected')}
        {stat('lost, not back', fleet.moving, 'fleet-moving', fleet.moving > 0)}
        {stat('starting', fleet.starting, 'fleet-starting')}
        {stat('failed', fleet.failed, 'fleet-failed', fleet.failed > 0)}
        {stat('throttled now', fleet.throttledNow, 'fleet-throttled-now', fleet.throttledNow > 0)}
      </dl>
      <dl className="fleet-counts fleet-totals" aria-label="Totals so far">
        {stat('DPS registrations', t.registrations, 'fleet-registrations')}
        {stat('throttled (429)', t.throttles, 'fleet-throttles')}
        {stat('moves', t.moves, 'fleet-moves')}
        {stat('produced', t.produced, 'fleet-produced')}
        {stat('acknowledged', t.acknowledged, 'fleet-acknowledged')}
        {stat('queued', t.queued, 'fleet-queued', t.queued > 0)}
        {stat(
          'lost',
          t.lost === null ? 'when stopped' : t.lost,
          'fleet-lost',
          t.lost !== null && t.lost > 0,
        )}
      </dl>
    </>
  )
}

function WaveCard({ fleet }: { fleet: FleetSnapshot }) {
  const data = useMemo(() => waveChartData(fleet), [fleet])
  const hasChart = fleet.series.length > 0
  return (
    <section className="card fleet-wave" aria-label="Wave">
      <div className="card-head">
        <h2>Wave</h2>
        <span className="muted small">devices per hub, lost → back, over the run</span>
      </div>
      {hasChart ? (
        <LineChartView
          lines={waveLines}
          data={data}
          testId="fleet-wave-chart"
          label="Devices connected to hub A and hub B, lost and not back, and not connected yet, over the run"
        />
      ) : (
        <p className="empty">The chart starts with a fleet.</p>
      )}
      {fleet.markers.length > 0 && (
        <ol className="fleet-markers" aria-label="Events">
          {fleet.markers.map((m) => (
            <li
              key={`${m.at}-${m.kind}-${m.hub ?? ''}`}
              data-testid="fleet-marker"
              data-kind={m.kind}
            >
              <span className="mono muted">{clock(m.at)}</span> {m.text}
            </li>
          ))}
        </ol>
      )}
      {fleet.waves.length > 0 && (
        <table className="fleet-table" data-testid="fleet-waves">
          <caption className="sr-only">Waves: how long until 50, 95 and 100 % were back</caption>
          <thead>
            <tr>
              <th scope="col">wave</th>
              <th scope="col">devices</th>
              <th scope="col">back</th>
              <th scope="col">50 %</th>
              <th scope="col">95 %</th>
              <th scope="col">100 %</th>
              <th scope="col">DPS reg. / device</th>
              <th scope="col">429s</th>
            </tr>
          </thead>
          <tbody>
            {fleet.waves.map((w) => (
              <tr
                key={`${w.kind}-${w.t0}`}
                data-testid="fleet-wave"
                data-kind={w.kind}
                data-devices={w.devices}
                data-back={w.back}
              >
                <td>
                  {w.kind} · {w.cause}
                </td>
                <td>{w.devices}</td>
                <td>{w.back}</td>
                <td>{seconds(w.p50)}</td>
                <td>{seconds(w.p95)}</td>
                <td>{seconds(w.p100)}</td>
                <td>{w.registrationsPerDevice ?? '—'}</td>
                <td>{w.throttled}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function SlowestCard({ fleet }: { fleet: FleetSnapshot }) {
  const last = fleet.waves[fleet.waves.length - 1]
  return (
    <section className="card fleet-slowest" aria-label="Slowest devices">
      <div className="card-head">
        <h2>Slowest devices</h2>
        {last && <span className="muted small">of the last wave ({last.kind})</span>}
      </div>
      {fleet.slowest.length === 0 ? (
        <p className="empty">
          No wave yet: kill a hub in the lab panel and watch the devices move.
        </p>
      ) : (
        <ol className="fleet-slow-list">
          {fleet.slowest.map((d) => (
            <li key={d.id}>
              <button
                type="button"
                className="fleet-slow"
                data-testid="fleet-slow-device"
                data-id={d.id}
                title="Open this device in the single-device view"
                onClick={() => void actions.openFleetDevice(d.id)}
              >
                <span className="mono">{d.id}</span>
                <span className={d.backMs === null ? 'stat-warn' : ''}>
                  {d.backMs === null
                    ? `not back · ${seconds(d.awayMs)}`
                    : `back in ${seconds(d.backMs)}`}
                </span>
                <span className="muted">
                  {d.registrations} reg.{d.throttled ? ` · ${d.throttled} × 429` : ''}
                  {d.hub ? ` · hub ${d.hub}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

function DpsCard({ fleet }: { fleet: FleetSnapshot }) {
  const data = useMemo(() => dpsChartData(fleet), [fleet])
  const rate = fleet.lab?.dpsPerSecond ?? null
  return (
    <section className="card fleet-dps" aria-label="DPS per second">
      <div className="card-head">
        <h2>DPS per second</h2>
        <span className="muted small">registrations the lab&apos;s DPS let in and throttled</span>
      </div>
      <dl className="fleet-counts">
        <div className="fleet-stat">
          <dt>accepted / s</dt>
          <dd data-testid="fleet-dps-accepted">{rate ? rate.accepted : '—'}</dd>
        </div>
        <div className="fleet-stat">
          <dt>throttled / s</dt>
          <dd
            data-testid="fleet-dps-throttled"
            className={rate && rate.throttled > 0 ? 'stat-warn' : undefined}
          >
            {rate ? rate.throttled : '—'}
          </dd>
        </div>
      </dl>
      {fleet.dps.length > 0 && (
        <LineChartView
          lines={dpsLines}
          data={data}
          testId="fleet-dps-chart"
          label="DPS registrations accepted and throttled per second, over the run"
          height={120}
        />
      )}
      {fleet.labProblem && (
        <p className="muted small" data-testid="fleet-lab-problem">
          {fleet.labProblem}
        </p>
      )}
    </section>
  )
}

function QuotaCard({ fleet }: { fleet: FleetSnapshot }) {
  const lab = fleet.lab
  const limits = quotaLimits(fleet)
  return (
    <section className="card fleet-quotas" aria-label="Lab quotas">
      <div className="card-head">
        <h2>Lab quotas</h2>
        <span className="muted small">as the lab counts them (lizard stats)</span>
      </div>
      {!lab || !limits ? (
        <p className="empty">{fleet.available ? 'Reading the lab…' : 'No lab to read.'}</p>
      ) : (
        <>
          <table className="fleet-table" data-testid="fleet-quotas">
            <caption className="sr-only">
              Quotas: limit, accepted and throttled since the lab started
            </caption>
            <thead>
              <tr>
                <th scope="col">quota</th>
                <th scope="col">limit</th>
                <th scope="col">accepted</th>
                <th scope="col">throttled</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  [
                    'DPS registrations',
                    limits.registrations,
                    lab.totals.registrations,
                    'registrations',
                  ],
                  ['DPS polls', limits.polls, lab.totals.polls, 'polls'],
                  ['hub A new connections', limits.hub, lab.totals.hubA, 'hubA'],
                  ['hub B new connections', limits.hub, lab.totals.hubB, 'hubB'],
                ] as const
              ).map(([name, limit, c, key]) => (
                <tr key={key} data-testid="fleet-quota" data-quota={key}>
                  <th scope="row">{name}</th>
                  <td>{limit}</td>
                  <td data-testid={`fleet-quota-${key}-accepted`}>{c.accepted}</td>
                  <td>{c.throttled}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {lab.perMinute.length > 0 && (
            <table className="fleet-table fleet-minutes" data-testid="fleet-quota-minutes">
              <caption>Per minute, accepted/throttled</caption>
              <thead>
                <tr>
                  <th scope="col">minute</th>
                  <th scope="col">DPS reg.</th>
                  <th scope="col">DPS polls</th>
                  <th scope="col">hub A</th>
                  <th scope="col">hub B</th>
                </tr>
              </thead>
              <tbody>
                {lab.perMinute.map((m) => (
                  <tr key={m.minute}>
                    <th scope="row">{minuteText(m.minute)}</th>
                    <td>
                      {m.registrations.accepted}/{m.registrations.throttled}
                    </td>
                    <td>
                      {m.polls.accepted}/{m.polls.throttled}
                    </td>
                    <td>
                      {m.hubA.accepted}/{m.hubA.throttled}
                    </td>
                    <td>
                      {m.hubB.accepted}/{m.hubB.throttled}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small" data-testid="fleet-home-split">
            Home hubs of the lab&apos;s registered devices: A {lab.homeHubs.a} · B {lab.homeHubs.b};
            connected now: A {lab.connected.a} · B {lab.connected.b}
          </p>
        </>
      )}
    </section>
  )
}

const fallbackWidth = 400

/** A uPlot chart of a few lines; the text beside it says what it shows where it cannot draw. */
function LineChartView({
  lines,
  data,
  label,
  testId,
  height = 150,
}: {
  lines: LineDefs
  data: LineChartData
  label: string
  testId: string
  height?: number
}) {
  const box = useRef<HTMLDivElement>(null)
  const legend = useRef<HTMLDivElement>(null)
  const chart = useRef<LineChart | null>(null)

  useEffect(() => {
    const el = box.current
    const lg = legend.current
    if (!el || !lg || !canDrawCharts()) return
    const c = createLineChart(el, lg, lines, { width: el.clientWidth || fallbackWidth, height })
    chart.current = c
    return () => {
      chart.current = null
      c.destroy()
    }
  }, [lines, height])

  useEffect(() => {
    chart.current?.update(data)
  }, [data])

  useEffect(() => {
    const el = box.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver(([entry]) => {
      const w = Math.round(entry?.contentRect.width ?? 0)
      if (w > 0) chart.current?.resize(w, height)
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [height])

  return (
    <figure className="plot fleet-chart" data-testid={testId} data-points={data.xs.length}>
      <div className="plot-canvas" ref={box} role="img" aria-label={label} />
      {data.xs.length < 2 && <p className="plot-empty">waiting for readings…</p>}
      <div className="plot-legend" ref={legend} />
    </figure>
  )
}
