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

  it('names hubs on IP addresses by address and port, so two hubs on one machine are told apart', () => {
    const m = mapModel(snapshotOn(B, { hubLabels: {} }), [failover])
    expect(m.hubs.map((h) => h.label)).toEqual([A, B])
    expect(m.summary).toMatch(/Last failover: hub 127\.0\.0\.1:8884 to hub 127\.0\.0\.1:8885/)
  })

  it('tells IPv6 hubs apart, with or without a port', () => {
    const v6a = '[::1]:8884'
    const v6b = '[::1]:8885'
    const bare = 'fe80::1'
    const m = mapModel(
      snapshotOn(null, {
        hubLabels: {},
        homeHub: v6a,
        hubHealth: {
          [v6b]: { status: 'up', at: 1 },
          [bare]: { status: 'up', at: 1 },
        },
      }),
      [],
    )
    expect(m.hubs.map((h) => h.label)).toEqual([v6a, v6b, bare])
  })

  it('names hubs whose first labels are the same by more of their host', () => {
    const one = 'localhost:8884'
    const two = 'localhost:8885'
    const m = mapModel(
      snapshotOn(null, {
        hubLabels: {},
        homeHub: one,
        hubHealth: { [two]: { status: 'up', at: 1 } },
      }),
      [],
    )
    const labels = m.hubs.map((h) => h.label)
    expect(new Set(labels).size).toBe(2)
    expect(labels).toEqual([one, two])
    const named = mapModel(
      snapshotOn(null, {
        hubLabels: {},
        homeHub: 'lab.example.com:8884',
        hubHealth: { 'lab.example.com:8885': { status: 'up', at: 1 } },
      }),
      [],
    )
    expect(named.hubs.map((h) => h.label)).toEqual(['lab:8884', 'lab:8885'])
  })

  it('draws a hub box wide enough for an address, without overlapping its neighbour', () => {
    useApp.setState({ snapshot: snapshotOn(B, { hubLabels: {} }), timeline: [failover] })
    render(<HubMap />)
    const boxes = [A, B].map((h) => screen.getByTestId(`map-hub-${h}`).querySelector('rect')!)
    const span = boxes.map((r) => {
      const x = Number(r.getAttribute('x'))
      return [x, x + Number(r.getAttribute('width'))] as const
    })
    // "Hub 127.0.0.1:8884 · home" at 13 px needs more than the 140 px a letter's box has.
    expect(span[0]![1] - span[0]![0]).toBeGreaterThan(140)
    expect(span[0]![1]).toBeLessThan(span[1]![0])
    expect(screen.getByTestId('hub-map').getAttribute('aria-label')).toMatch(
      /Last failover: hub 127\.0\.0\.1:8884 to hub 127\.0\.0\.1:8885/,
    )
  })
})
