// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Result } from '../../../shared/contract'
import {
  defaultBehaviours,
  defaultPeriods,
  zeroCounters,
  type SessionSnapshot,
} from '../../../shared/domain'
import {
  idleFleetSnapshot,
  type FleetDeviceDetail,
  type FleetDeviceRequest,
  type FleetSnapshot,
  type FleetStartRequest,
} from '../../../shared/fleet-view'
import { App } from '../../../renderer/src/App'
import { FleetView } from '../../../renderer/src/components/FleetView'
import { actions, connectStore, useApp } from '../../../renderer/src/store'
import { fakeRendererApi } from './fake-api'
import { appInfo, failoverModel } from './models'

// The fleet view: the start form and its bounds, what a running fleet shows, and a slow device
// opened in the single-device view (read-only) and closed again.

const t0 = Date.parse('2026-01-01T10:00:00Z')

function snapshotOf(deviceId: string, hub: string | null): SessionSnapshot {
  return {
    deviceId,
    modelId: failoverModel.id,
    state: hub ? { kind: 'connected', hub, since: t0 } : { kind: 'idle' },
    hub: hub ? { host: hub, label: hub === 'hb' ? 'B' : 'A', isHome: hub === 'ha' } : null,
    homeHub: 'ha',
    behaviours: { ...defaultBehaviours },
    periods: { ...defaultPeriods },
    counters: zeroCounters(),
    lastTelemetry: null,
    reported: {},
    desired: {},
    lastError: null,
    commandResponses: {},
    hubLabels: { ha: 'A', hb: 'B' },
    hubHealth: {},
    dpsHealth: { status: 'unknown', at: null },
  }
}

function running(): FleetSnapshot {
  return {
    ...idleFleetSnapshot(true, null),
    status: 'running',
    prefix: 'fleet',
    devices: 20,
    telemetryMs: 10_000,
    startedAt: t0,
    started: 20,
    hubs: [
      { label: 'A', connected: 0 },
      { label: 'B', connected: 18 },
    ],
    connected: 18,
    moving: 2,
    totals: {
      registrations: 31,
      throttles: 4,
      moves: 9,
      produced: 200,
      acknowledged: 190,
      queued: 10,
      lost: null,
    },
    series: [
      { at: t0, a: 11, b: 9, away: 0, waiting: 0 },
      { at: t0 + 1000, a: 0, b: 9, away: 11, waiting: 0 },
      { at: t0 + 5000, a: 0, b: 18, away: 2, waiting: 0 },
    ],
    dps: [{ at: t0 + 1000, accepted: 3, throttled: 1.5 }],
    markers: [{ at: t0 + 500, kind: 'hub-down', hub: 'A', text: 'hub A killed' }],
    waves: [
      {
        kind: 'failover',
        cause: 'hub A killed',
        t0: t0 + 500,
        devices: 11,
        back: 9,
        notBack: 2,
        registrations: 10,
        registrationsPerDevice: 1.11,
        throttled: 4,
        p50: 2100,
        p95: null,
        p100: null,
      },
    ],
    slowest: [
      { id: 'fleet-7', backMs: null, awayMs: 6000, registrations: 2, throttled: 1, hub: null },
      { id: 'fleet-3', backMs: 4200, awayMs: null, registrations: 1, throttled: 0, hub: 'B' },
    ],
    lab: {
      at: t0 + 5000,
      limits: {
        dpsRate: 200,
        dpsBurstInForce: 17,
        pollLimit: 5,
        pollWindowSec: 10,
        hubConnectRate: 100,
      },
      totals: {
        registrations: { accepted: 31, throttled: 4 },
        polls: { accepted: 31, throttled: 0 },
        hubA: { accepted: 11, throttled: 0 },
        hubB: { accepted: 20, throttled: 0 },
      },
      perMinute: [
        {
          minute: '2026-01-01T10:00:00.000Z',
          registrations: { accepted: 31, throttled: 4 },
          polls: { accepted: 31, throttled: 0 },
          hubA: { accepted: 11, throttled: 0 },
          hubB: { accepted: 20, throttled: 0 },
        },
      ],
      dpsPerSecond: { accepted: 3, throttled: 1.5 },
      homeHubs: { a: 11, b: 10 },
      connected: { a: 0, b: 19 },
    },
  }
}

/** An app that answers the fleet's calls and remembers them. */
function fakeApp(fleet: FleetSnapshot) {
  const started: FleetStartRequest[] = []
  const opened: FleetDeviceRequest[] = []
  let stopped = 0
  const ok = <T,>(value: T) => Promise.resolve<Result<T>>({ ok: true, value })
  const api = fakeRendererApi({
    fleetState: () => ok(fleet),
    fleetStart: (r: FleetStartRequest) => {
      started.push(r)
      return ok({ ...fleet, status: 'starting', devices: r.devices })
    },
    fleetStop: () => {
      stopped++
      return ok({ ...fleet, status: 'stopped' })
    },
    fleetDevice: (r: FleetDeviceRequest) => {
      opened.push(r)
      const detail: FleetDeviceDetail = {
        id: r.id,
        live: false,
        snapshot: snapshotOf(r.id, 'hb'),
        timeline:
          r.timelineAfter === undefined
            ? [{ id: 1, at: t0, state: 'connected', reason: 'connected to hub B', hub: 'hb' }]
            : [],
        telemetry: [],
        inbound: [],
        reported: [],
      }
      return ok(detail)
    },
  })
  return { api, started, opened, stopped: () => stopped }
}

const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)))

beforeEach(() => {
  actions.showView('device')
  useApp.setState({ fleet: null, fleetDevice: null, pending: {}, notices: [] })
})
afterEach(cleanup)

describe('the fleet view', () => {
  it('starts a fleet with the numbers typed, and refuses what is out of bounds beside the field', async () => {
    const fx = fakeApp(idleFleetSnapshot(true, null))
    connectStore(fx.api)
    render(<FleetView />)
    await settle()
    const devices = screen.getByLabelText('Devices')
    expect(devices).toHaveProperty('value', '100')
    fireEvent.change(devices, { target: { value: '501' } })
    fireEvent.click(screen.getByTestId('fleet-start'))
    await settle()
    expect(screen.getByText('devices: 1 to 500')).toBeTruthy()
    expect(devices.getAttribute('aria-invalid')).toBe('true')
    expect(fx.started).toEqual([])

    fireEvent.change(devices, { target: { value: '20' } })
    fireEvent.change(screen.getByLabelText('Id prefix'), { target: { value: 'lot-7' } })
    fireEvent.change(screen.getByLabelText('Telemetry every (s)'), { target: { value: '2' } })
    fireEvent.click(screen.getByTestId('fleet-start'))
    await settle()
    expect(fx.started).toEqual([{ devices: 20, prefix: 'lot-7', telemetryMs: 2000 }])
    expect(screen.getByTestId('fleet-status').dataset['status']).toBe('starting')
  })

  it('says why a fleet cannot run (IoT Central in use), with Start off', async () => {
    const reason = 'A fleet runs against the embedded lab: switch the device profile to it.'
    connectStore(fakeApp(idleFleetSnapshot(false, reason)).api)
    render(<FleetView />)
    await settle()
    expect(screen.getByTestId('fleet-unavailable').textContent).toBe(reason)
    expect(screen.getByTestId('fleet-start')).toHaveProperty('disabled', true)
    expect(screen.getByTestId('fleet-stop')).toHaveProperty('disabled', true)
  })

  it('shows a running fleet: per hub, the wave and its events, DPS per second, the quotas', async () => {
    const fx = fakeApp(running())
    connectStore(fx.api)
    render(<FleetView />)
    await settle()
    expect(screen.getByTestId('fleet-hub-A').dataset['count']).toBe('0')
    expect(screen.getByTestId('fleet-hub-B').dataset['count']).toBe('18')
    expect(screen.getByTestId('fleet-moving').textContent).toBe('2')
    expect(screen.getByTestId('fleet-wave-chart').dataset['points']).toBe('3')
    expect(screen.getByTestId('fleet-marker').textContent).toMatch(/hub A killed/)
    const wave = screen.getByTestId('fleet-wave')
    expect(wave.dataset).toMatchObject({ kind: 'failover', devices: '11', back: '9' })
    expect(within(wave).getByText('2.1 s')).toBeTruthy()
    expect(screen.getByTestId('fleet-dps-accepted').textContent).toBe('3')
    expect(screen.getByTestId('fleet-dps-throttled').textContent).toBe('1.5')
    expect(screen.getByTestId('fleet-quota-registrations-accepted').textContent).toBe('31')
    expect(within(screen.getByTestId('fleet-quotas')).getByText('200/min, burst 17')).toBeTruthy()
    expect(screen.getByTestId('fleet-lost').textContent).toBe('when stopped')
    const slow = screen.getAllByTestId('fleet-slow-device')
    expect(slow.map((b) => b.dataset['id'])).toEqual(['fleet-7', 'fleet-3'])
    expect(slow[0]!.textContent).toMatch(/not back · 6.0 s/)
    expect(slow[1]!.textContent).toMatch(/back in 4.2 s/)

    fireEvent.click(screen.getByTestId('fleet-stop'))
    await settle()
    expect(fx.stopped()).toBe(1)
  })

  it('opens a slow device in the single-device view, read-only, and goes back to the fleet', async () => {
    const fx = fakeApp(running())
    connectStore(fx.api)
    render(<App />)
    await settle()
    await act(async () => {
      useApp.setState({ info: appInfo(failoverModel), snapshot: snapshotOf('failover_js', 'ha') })
    })
    expect(screen.getByTestId('header-device').textContent).toBe('failover_js')
    fireEvent.click(screen.getByTestId('view-fleet'))
    await settle()
    fireEvent.click(screen.getAllByTestId('fleet-slow-device')[1]!)
    await settle()
    expect(fx.opened).toEqual([{ id: 'fleet-3' }])
    expect(screen.getByTestId('fleet-device-bar').dataset['id']).toBe('fleet-3')
    expect(screen.getByTestId('header-device').textContent).toBe('fleet-3')
    expect(screen.getByTestId('header-hub').dataset['hub']).toBe('B')
    expect(screen.getByTestId('header-fleet-device')).toBeTruthy()
    // Nothing here acts on the fleet device: no connect buttons, no switches, no report.
    expect(screen.queryByTestId('btn-connect')).toBeNull()
    expect(screen.queryByTestId('report-download')).toBeNull()
    expect(screen.getByTestId('behaviour-telemetry')).toHaveProperty('disabled', true)
    expect(screen.queryByTestId('fleet-view')).toBeNull()

    fireEvent.click(screen.getByTestId('fleet-back'))
    await settle()
    expect(screen.getByTestId('fleet-view')).toBeTruthy()
    expect(screen.queryByTestId('fleet-device-bar')).toBeNull()
    expect(screen.getByTestId('header-device').textContent).toBe('failover_js')
    fireEvent.click(screen.getByTestId('view-device'))
    await settle()
    expect(screen.queryByTestId('fleet-view')).toBeNull()
    expect(screen.getByTestId('btn-connect')).toBeTruthy()
  })
})
