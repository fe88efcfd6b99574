import { describe, expect, it } from 'vitest'
import { percentiles } from '../../../electron/fleet/percentiles'
import { computeWaves, waveGapMs } from '../../../electron/fleet/waves'
import { device, move, outageDevices, outageEvents, report, t0 } from './reports'

describe('percentiles by nearest rank', () => {
  it('are values of the data, the ⌈p·n⌉-th smallest', () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    expect(percentiles(v)).toEqual({ p50: 5, p95: 10, p100: 10 })
    expect(percentiles([7])).toEqual({ p50: 7, p95: 7, p100: 7 })
    expect(percentiles([])).toEqual({ p50: null, p95: null, p100: null })
  })
  it('count devices not back as later than all: a percentile that lands on one is null', () => {
    expect(percentiles([1, 2, 3], 1)).toEqual({ p50: 2, p95: null, p100: null })
    expect(percentiles([1], 3)).toEqual({ p50: null, p95: null, p100: null })
  })
})

describe('report math', () => {
  it('totals: connected per hub, moves, registrations per moved device, lost', () => {
    const devices = [
      device(0, {
        moves: [move('failover', t0, 1000, 1100, { registrations: 2 })],
        registrations: 3,
        hub: 'B',
      }),
      device(1, { registrations: 1 }),
      device(2, { hub: null, state: 'waiting', produced: 12, acknowledged: 9, queued: 3 }),
      device(3, {
        produced: 10,
        acknowledged: 8,
        queued: 0,
        lost: 2,
        lab: { count: 9, unique: 8, duplicates: 1, missing: 2 },
      }),
    ]
    const t = report(devices, []).totals
    expect(t.connectedAtEnd).toEqual({ A: 2, B: 1 })
    expect(t.notConnectedAtEnd).toBe(1)
    expect(t.movedDevices).toBe(1)
    expect(t.moves).toEqual({ failover: 1, failback: 0 })
    expect(t.registrations).toBe(6)
    // Registrations beyond each device's first connection, per moved device.
    expect(t.registrationsPerMovedDevice).toBe(2)
    expect(t).toMatchObject({
      produced: 42,
      acknowledged: 37,
      queued: 3,
      lost: 2,
      duplicates: 1,
      missing: 2,
    })
  })

  it('duplicates are null (not 0) when any device has no lab counts', () => {
    expect(report([device(0, { lab: null }), device(1)], []).totals.duplicates).toBeNull()
  })

  it('waves: moves grouped by the event that caused them, counted from it', () => {
    const r = report(outageDevices(100))
    expect(r.waves.map((w) => [w.kind, w.event, w.devices, w.back])).toEqual([
      ['failover', 0, 50, 50],
      ['failback', 2, 50, 50],
    ])
    const over = r.waves[0]!
    expect(over.t0).toBe(outageEvents[0]!.at)
    expect(over.backMs.p100).toBe(
      Math.max(
        ...r.devices.filter((d) => d.moves[0]).map((d) => d.moves[0]!.connectedAt - over.t0),
      ),
    )
    // Some failbacks were never acknowledged: the ack figure's p100 is not known.
    expect(r.waves[1]!.ackMs.p100).toBeNull()
    expect(r.waves[1]!.backMs.p100).not.toBeNull()
  })

  it('a device still away at the end counts in its wave as not back', () => {
    const devices = [
      device(0, { moves: [move('failover', t0 + 31_000, 2000, 2100)], hub: 'B' }),
      device(1, { away: { hub: 'A', detectedAt: t0 + 31_000 }, hub: null }),
    ]
    const [w] = report(devices).waves
    expect(w).toMatchObject({ kind: 'failover', devices: 2, back: 1, notBack: 1 })
    expect(w!.backMs.p50).not.toBeNull()
    expect(w!.backMs.p100).toBeNull()
  })

  it('without events, moves close in time make one wave; a long gap starts another', () => {
    const devices = [
      device(0, { moves: [move('failover', t0, 1000, 1200)] }),
      device(1, { moves: [move('failover', t0 + 5000, 1000, 1200)] }),
      device(2, { moves: [move('failover', t0 + 5000 + waveGapMs + 1, 1000, 1200)] }),
    ]
    const waves = computeWaves(devices, [])
    expect(waves.map((w) => [w.event, w.devices, w.t0])).toEqual([
      [null, 2, t0],
      [null, 1, t0 + 5000 + waveGapMs + 1],
    ])
  })
})
