// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { SessionSnapshot, TimelineEntry } from '../../../shared/domain'
import { HubMap } from '../../../renderer/src/components/HubMap'
import { mapModel } from '../../../renderer/src/map-model'
import { useApp } from '../../../renderer/src/store'

afterEach(cleanup)

const A = '127.0.0.1:8884'
const B = '127.0.0.1:8885'

function snapshotOn(host: string | null, over: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    deviceId: 'failover_js',
    state: host ? { kind: 'connected', hub: host, since: 0 } : { kind: 'provisioning', attempt: 1 },
    hub: host ? { host, label: host === A ? 'A' : 'B', isHome: host === A } : null,
    homeHub: A,
    hubLabels: { [B]: 'B', [A]: 'A' },
    hubHealth: { [A]: { status: 'up', at: 1 }, [B]: { status: 'up', at: 1 } },
    dpsHealth: { status: 'up', at: 1 },
    ...over,
  } as SessionSnapshot
}

const failover: TimelineEntry = {
  id: 7,
  at: 1000,
  state: 'connected',
  hub: B,
  mark: 'failover',
  reason: '',
  cause: {
    code: 'connected',
    hub: B,
    via: 'dps',
    home: false,
    move: 'failover',
    from: A,
    ms: 1070,
  },
}

describe('the map', () => {
  it('shows the device on its home hub, hubs in letter order, nothing moved yet', () => {
    useApp.setState({ snapshot: snapshotOn(A), timeline: [] })
    render(<HubMap />)
    const hubs = screen.getAllByTestId(/^map-hub-/).map((g) => g.getAttribute('data-testid'))
    expect(hubs).toEqual(['map-hub-A', 'map-hub-B'])
    expect(screen.getByTestId('map-hub-A').dataset).toMatchObject({
      home: 'true',
      current: 'true',
      health: 'up',
    })
    expect(screen.getByTestId('map-hub-B').dataset).toMatchObject({
      home: 'false',
      current: 'false',
    })
    expect(screen.getByTestId('hub-map').getAttribute('data-device-on')).toBe(A)
    expect(screen.queryByTestId('map-move')).toBeNull()
    expect(screen.getByTestId('hub-map').getAttribute('aria-label')).toMatch(
      /Device failover_js is connected to hub A \(its home hub\)\. Hub A: up\. Hub B: up\. DPS: up\./,
    )
  })

  it('after a failover: on the other hub, the dead hub as the device found it, the move and its time', () => {
    useApp.setState({
      snapshot: snapshotOn(B, {
        hubHealth: {
          [A]: { status: 'unreachable', at: 2, detail: 'ECONNREFUSED' },
          [B]: { status: 'up', at: 2 },
        },
      }),
      timeline: [failover],
    })
    render(<HubMap />)
    expect(screen.getByTestId('map-hub-A').dataset).toMatchObject({
      health: 'unreachable',
      home: 'true',
      current: 'false',
    })
    expect(screen.getByTestId('map-hub-B').dataset.current).toBe('true')
    const move = screen.getByTestId('map-move')
    expect(move.dataset.move).toBe('failover')
    expect(move.textContent).toMatch(/failover · 1\.1 s/)
    expect(screen.getByTestId('hub-map').getAttribute('aria-label')).toMatch(
      /failed over; home is hub A.*Hub A: unreachable.*Last failover: hub A to hub B in 1\.07 s/,
    )
  })

  it('while asking DPS the device is between the hubs, linked to DPS', () => {
    useApp.setState({
      snapshot: snapshotOn(null, { dpsHealth: { status: 'throttled', at: 3 } }),
      timeline: [],
    })
    render(<HubMap />)
    expect(screen.getByTestId('hub-map').getAttribute('data-device-on')).toBe('')
    expect(screen.getByTestId('map-dps').dataset.health).toBe('throttled')
    expect(screen.getByTestId('map-device').dataset.state).toBe('provisioning')
  })

  it('names real hubs by their first label, and shows hubs met that were never labelled', () => {
    const real = 'contoso-ne.azure-devices.net'
    const other = 'contoso-we.azure-devices.net'
    const m = mapModel(
      snapshotOn(null, {
        hubLabels: {},
        homeHub: real,
        hubHealth: { [real]: { status: 'silent', at: 1 }, [other]: { status: 'up', at: 1 } },
      }),
      [],
    )
    expect(m.hubs.map((h) => [h.label, h.health, h.isHome])).toEqual([
      ['contoso-ne', 'silent', true],
      ['contoso-we', 'up', false],
    ])
  })
})
