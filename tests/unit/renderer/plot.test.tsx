// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { TelemetrySample } from '../../../shared/domain'
import { Plot } from '../../../renderer/src/components/Plot'
import { plotData, plotScales, type PlotSeries } from '../../../renderer/src/plot-model'
import { plottableSeries } from '../../../renderer/src/plot-series'
import { controllerModel } from './models'

afterEach(cleanup)

const series: PlotSeries[] = [
  { key: 'temp', label: 'Temperature', unit: '°C', component: null, field: 'temp', path: [] },
  { key: 'humidity', label: 'Humidity', unit: '%', component: null, field: 'humidity', path: [] },
]
const now = Date.now()
const samples = (
  n: number,
  periodMs: number,
  end = now,
  component: string | null = null,
): TelemetrySample[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    at: end - (n - 1 - i) * periodMs,
    component,
    values: { temp: 20 + Math.sin(i / 10), humidity: 40 + Math.cos(i / 7) },
  }))

/** The runs of a line: stretches of readings between breaks (null), ignoring undefined. */
const runs = (ys: (number | null | undefined)[]) => {
  let count = 0
  let inRun = false
  for (const y of ys) {
    if (typeof y === 'number') {
      if (!inRun) count++
      inRun = true
    } else if (y === null) inRun = false
  }
  return count
}

describe('the telemetry plot’s data', () => {
  it('spans the window on the time axis and keeps the moves inside it', () => {
    const d = plotData(
      samples(60, 1000),
      series,
      [
        { at: now - 30_000, kind: 'failover' },
        { at: now - 10_000, kind: 'failback' },
        { at: now - 60 * 60_000, kind: 'failover' },
      ],
      now,
      1000,
    )
    expect(d.xs[0]).toBe(d.from)
    expect(d.xs.at(-1)).toBe(d.to)
    expect(d.to - d.from).toBe(60_000)
    expect(d.ys).toHaveLength(2)
    for (const y of d.ys) expect(y).toHaveLength(d.xs.length)
    expect(d.markers.map((m) => m.kind)).toEqual(['failover', 'failback'])
  })

  it('breaks the line where readings stopped, instead of drawing across the pause', () => {
    const d = plotData(
      [...samples(10, 1000, now - 60_000), ...samples(10, 1000, now)],
      series,
      [],
      now,
      1000,
    )
    expect(runs(d.ys[0]!)).toBe(2)
  })

  it('lines up components on one time axis without breaking a line at the other’s messages', () => {
    const t1: PlotSeries = { ...series[0]!, key: 'thermostat1/temp', component: 'thermostat1' }
    const t2: PlotSeries = { ...series[0]!, key: 'thermostat2/temp', component: 'thermostat2' }
    const d = plotData(
      [
        ...samples(20, 1000, now, 'thermostat1'),
        ...samples(20, 1000, now - 500, 'thermostat2'),
      ].sort((a, b) => a.at - b.at),
      [t1, t2],
      [],
      now,
      1000,
    )
    expect(d.ys.map(runs)).toEqual([1, 1])
    expect(d.ys[0]!.filter((y) => typeof y === 'number')).toHaveLength(20)
    expect(d.ys[1]!.filter((y) => typeof y === 'number')).toHaveLength(20)
  })

  it('reads the numeric parts of a geopoint, a vector or an object', () => {
    const parts = plottableSeries(controllerModel).filter((s) =>
      ['location.lat', 'thermostat1/accel.y'].includes(s.key),
    )
    const d = plotData(
      [
        {
          seq: 1,
          at: now - 2000,
          component: null,
          values: { location: { lat: 47.6, lon: -122.1 } },
        },
        {
          seq: 2,
          at: now - 1000,
          component: 'thermostat1',
          values: { accel: { x: 0, y: -3, z: 9.8 } },
        },
      ],
      parts,
      [],
      now,
      1000,
    )
    expect(d.ys.map((y) => y.filter((v) => typeof v === 'number'))).toEqual([[47.6], [-3]])
  })

  it('draws thirty minutes of fast telemetry from a few points per pixel, keeping the extremes', () => {
    const many = samples(18_000, 100)
    const d = plotData(many, series, [], now, 100, 292)
    expect(d.points).toBeLessThan(2000)
    expect(d.to - d.from).toBeLessThanOrEqual(30 * 60_000)
    const temps = many.map((s) => s.values['temp'] as number)
    const drawn = d.ys[0]!.filter((v): v is number => typeof v === 'number')
    expect(Math.max(...drawn)).toBe(Math.max(...temps))
    expect(Math.min(...drawn)).toBe(Math.min(...temps))
  })

  it('gives series in the same unit one axis', () => {
    const t2 = { ...series[0]!, key: 'thermostat2/temp' }
    expect(plotScales([series[0]!, series[1]!, t2]).map((s) => [s.unit, s.series])).toEqual([
      ['°C', [0, 2]],
      ['%', [1]],
    ])
  })
})

describe('the telemetry plot', () => {
  it('names its series with their units, marks each move, and says how much it drew', () => {
    render(
      <Plot
        samples={samples(60, 1000)}
        series={series}
        markers={[
          { at: now - 30_000, kind: 'failover' },
          { at: now - 10_000, kind: 'failback' },
        ]}
        periodMs={1000}
      />,
    )
    expect(screen.getByTestId('plot-unit-temp').textContent).toBe('°C')
    expect(screen.getByTestId('plot-unit-humidity').textContent).toBe('%')
    expect(screen.getAllByTestId('plot-marker').map((m) => m.getAttribute('data-kind'))).toEqual([
      'failover',
      'failback',
    ])
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe(
      'Temperature (°C), Humidity (%) over time',
    )
    expect(Number(screen.getByTestId('telemetry-plot').dataset.points)).toBe(60)
  })

  it('says so when telemetry is switched off', () => {
    render(<Plot samples={samples(10, 1000)} series={series} off periodMs={1000} />)
    expect(screen.getByTestId('telemetry-plot').dataset.off).toBe('true')
    expect(screen.getByTestId('plot-off').textContent).toBe('Telemetry is switched off')
  })
})
