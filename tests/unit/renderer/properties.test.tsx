// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { SessionSnapshot } from '../../../shared/domain'
import { Properties } from '../../../renderer/src/components/Properties'
import { useApp } from '../../../renderer/src/store'
import { appInfo, controllerModel } from './models'

afterEach(cleanup)

const cell = (id: string) => screen.getByTestId(id).textContent

describe('the properties card', () => {
  it('groups properties by component and reads a component’s values inside its twin object', () => {
    useApp.setState({
      info: appInfo(controllerModel),
      inbound: [],
      reported: [],
      snapshot: {
        reported: {
          serialNumber: 'SN-0042',
          mode: { value: 'eco', ac: 200, av: 3, ad: 'completed' },
          thermostat1: {
            __t: 'c',
            maxTempSinceLastReboot: 31.25,
            targetTemperature: { value: 'hot', ac: 400, av: 7, ad: 'expected a number' },
          },
          legacy: 1,
        },
        desired: { $version: 7, mode: 'eco', thermostat1: { __t: 'c', targetTemperature: 'hot' } },
      } as unknown as SessionSnapshot,
    })
    render(<Properties />)
    const groups = screen.getAllByTestId('property-group')
    expect(groups.map((g) => g.dataset.component)).toEqual(['', 'thermostat1'])
    expect(groups.map((g) => g.querySelector('th')?.textContent)).toEqual([
      'Temperature Controller',
      'Thermostat One',
    ])

    expect(cell('property-reported-serialNumber')).toBe('SN-0042')
    expect(cell('property-desired-serialNumber')).toBe('')
    expect(cell('property-reported-thermostat1/maxTempSinceLastReboot')).toBe('31.3')
    // A writable property's reported value is its acknowledgement: the value and its status.
    expect(cell('property-reported-mode')).toBe('Eco ac 200 v3')
    expect(cell('property-desired-mode')).toBe('Eco')
    expect(cell('property-ack-thermostat1/targetTemperature')).toBe('ac 400 v7')
    expect(screen.getByTestId('property-ack-thermostat1/targetTemperature').title).toBe(
      'expected a number',
    )
    expect(cell('property-desired-thermostat1/targetTemperature')).toBe('"hot"')
    // What the model does not name is still shown.
    expect(cell('property-legacy')).toMatch(/^legacy/)
  })
})
