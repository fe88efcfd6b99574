// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  defaultBehaviours,
  defaultPeriods,
  zeroCounters,
  type SessionSnapshot,
  type TelemetrySample,
} from '../../../shared/domain'
import { Telemetry } from '../../../renderer/src/components/Telemetry'
import { useApp } from '../../../renderer/src/store'
import { appInfo, controllerModel, failoverModel } from './models'

afterEach(cleanup)

const snapshot = (over: Partial<SessionSnapshot> = {}) =>
  ({
    behaviours: { ...defaultBehaviours },
    periods: { ...defaultPeriods },
    counters: zeroCounters(),
    lastTelemetry: null,
    ...over,
  }) as SessionSnapshot

const now = Date.now()
let seq = 0
const sample = (
  component: string | null,
  values: Record<string, unknown>,
  ago = 0,
): TelemetrySample => ({
  seq: ++seq,
  at: now - ago,
  component,
  values,
})

beforeEach(() => {
  useApp.setState({
    info: appInfo(controllerModel),
    snapshot: snapshot(),
    telemetry: [],
    timeline: [],
  })
})

const value = (key: string) => screen.getByTestId(`telemetry-${key}`).textContent

describe('the telemetry card', () => {
  it('shows a card per field, grouped by component (the model’s own first), with units', () => {
    useApp.setState({
      telemetry: [
        sample('thermostat1', { temperature: 21.04, accel: { x: 0.1, y: -0.25, z: 9.81 } }, 3000),
        sample(
          null,
          { workingSet: 10480.6, location: { lat: 47.63972, lon: -122.12821 }, mode: 'boost' },
          2000,
        ),
        sample('thermostat2', { temperature: 19.5 }, 1000),
        // The newest message of thermostat1: its temperature wins over the older one.
        sample('thermostat1', { temperature: 22.46 }, 500),
      ],
    })
    render(<Telemetry />)
    const groups = screen.getAllByTestId('telemetry-group')
    expect(groups.map((g) => g.dataset.component)).toEqual(['', 'thermostat1', 'thermostat2'])
    expect(groups.map((g) => g.querySelector('h3')?.textContent)).toEqual([
      'Temperature Controller',
      'Thermostat One',
      'Thermostat Two',
    ])
    expect(within(groups[1]!).getByText('Temperature')).toBeTruthy()

    expect(value('workingSet')).toBe('10481KiB')
    expect(value('location')).toBe('47.63972, -122.12821')
    // An enum shows its value's display name.
    expect(value('mode')).toBe('Boost')
    expect(value('thermostat1/temperature')).toBe('22.5°C')
    expect(value('thermostat2/temperature')).toBe('19.5°C')
    // A field the newest message of its component left out keeps its last value.
    expect(value('thermostat1/accel')).toBe('0.1, -0.25, 9.81')
  })

  it('shows a dash for a field nothing has been sent for yet', () => {
    useApp.setState({ info: appInfo(failoverModel), telemetry: [sample(null, { temp: 20 })] })
    render(<Telemetry />)
    expect(value('temp')).toBe('20°C')
    expect(value('humidity')).toBe('—')
  })
})

describe('the plot chooser', () => {
  const plotted = () => screen.getByTestId('telemetry-plot').dataset.series!.split(' ')
  const pick = (key: string) => screen.getByTestId(`plot-pick-${key}`) as HTMLInputElement

  it('plots the first numeric fields by default, then lets a few be picked from every numeric part', async () => {
    render(<Telemetry />)
    // Whole numeric fields first (the enum and the geopoint are not), then parts of the others.
    expect(plotted()).toEqual([
      'workingSet',
      'thermostat1/temperature',
      'thermostat2/temperature',
      'location.lat',
    ])
    // Parts of a geopoint and a vector can be plotted too; at most four at once.
    expect(pick('location.lon').disabled).toBe(true)
    expect(pick('thermostat1/accel.z').disabled).toBe(true)
    expect(screen.getByTestId('plot-chooser-full')).toBeTruthy()

    await act(async () => fireEvent.click(pick('workingSet')))
    expect(plotted()).toEqual([
      'thermostat1/temperature',
      'thermostat2/temperature',
      'location.lat',
    ])
    expect(pick('thermostat1/accel.z').disabled).toBe(false)
    await act(async () => fireEvent.click(pick('thermostat1/accel.z')))
    expect(plotted()).toEqual([
      'thermostat1/temperature',
      'thermostat2/temperature',
      'location.lat',
      'thermostat1/accel.z',
    ])
  })

  it('starts from the default again for another template', async () => {
    render(<Telemetry />)
    await act(async () => fireEvent.click(pick('workingSet')))
    await act(async () => useApp.setState({ info: appInfo(failoverModel) }))
    expect(plotted()).toEqual(['temp', 'humidity'])
    expect(screen.getByTestId('plot-unit-temp').textContent).toBe('°C')
    expect(screen.getByTestId('plot-unit-humidity').textContent).toBe('%')
  })
})
