// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { TelemetrySample } from '../../../shared/domain'
import { Plot } from '../../../renderer/src/components/Plot'
import { plotModel } from '../../../renderer/src/plot-model'

afterEach(cleanup)

const series = [
  { name: 'temp', label: 'Temperature', unit: '°C', className: 's1' },
  { name: 'humidity', label: 'Humidity', unit: '%', className: 's2' },
]
const now = Date.now()
const samples = (n: number, periodMs: number, end = now): TelemetrySample[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    at: end - (n - 1 - i) * periodMs,
    values: { temp: 20 + Math.sin(i / 10), humidity: 40 + Math.cos(i / 7) },
  }))

describe('the telemetry plot', () => {
  it('has a time axis, a value axis per series with the model units, and marks each move', () => {
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
    const ticks = screen.getAllByTestId('plot-time-tick').map((t) => t.textContent)
    expect(ticks.length).toBeGreaterThanOrEqual(2)
    for (const t of ticks) expect(t).toMatch(/^\d\d:\d\d(:\d\d)?$/)
    expect(screen.getAllByTestId('plot-marker').map((m) => m.getAttribute('data-kind'))).toEqual([
      'failover',
      'failback',
    ])
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe(
      'Temperature (°C) and Humidity (%) over time',
    )
  })

  it('says so when telemetry is switched off', () => {
    render(<Plot samples={samples(10, 1000)} series={series} off periodMs={1000} />)
    expect(screen.getByTestId('telemetry-plot').dataset.off).toBe('true')
    expect(screen.getByTestId('plot-off').textContent).toBe('Telemetry is switched off')
  })

  it('breaks the line where readings stopped, instead of drawing across the pause', () => {
    const before = samples(10, 1000, now - 60_000)
    const after = samples(10, 1000, now)
    const m = plotModel(
      [...before, ...after],
      series,
      [],
      { width: 360, height: 150, left: 34, right: 34, top: 8, bottom: 20 },
      now,
      1000,
    )
    expect(m.series[0]!.path.match(/M/g)).toHaveLength(2)
  })

  it('draws thirty minutes of fast telemetry from a few points per pixel', () => {
    const many = samples(18_000, 100)
    const m = plotModel(
      many,
      series,
      [],
      { width: 360, height: 150, left: 34, right: 34, top: 8, bottom: 20 },
      now,
      100,
    )
    expect(m.points).toBeLessThan(2000)
    expect(m.to - m.from).toBeLessThanOrEqual(30 * 60_000)
    // The extremes survive the thinning.
    const temps = many.map((s) => s.values.temp!)
    const top = m.series[0]!.axis.ticks.at(-1)!.value
    expect(top).toBeGreaterThanOrEqual(Math.max(...temps) - 1e-9)
  })
})

describe('value axes', () => {
  it('run from a round value at or below the lowest reading to one at or above the highest', async () => {
    const { niceTicks } = await import('../../../renderer/src/plot-model')
    for (const [lo, hi] of [
      [20.3, 21.7],
      [40.1, 59.9],
      [-3, 7],
      [5, 5],
    ] as const) {
      const t = niceTicks(lo, hi)
      expect(t[0]!).toBeLessThanOrEqual(lo)
      expect(t.at(-1)!).toBeGreaterThanOrEqual(hi)
      expect(t.length).toBeLessThanOrEqual(6)
    }
  })
})
