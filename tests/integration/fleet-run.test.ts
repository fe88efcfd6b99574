import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../electron/fleet/cli'
import type { FleetReport } from '../../electron/fleet/report'
import { pickFraction } from '../../electron/fleet/scenario'
import { testIo } from '../unit/fleet/test-io'
import { waitFor } from '../support/lab'

// The fleet runner end to end, in this process: its own embedded lab (a child process on free
// ports), real DeviceSessions over TLS, a scenario driving the lab's control API, the report.

const dir = mkdtempSync(join(tmpdir(), 'fleet-it-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as FleetReport

describe('fleet run against an embedded lab', () => {
  it('20 devices, half of them failed over by the scenario: all back on the other hub, nothing lost', async () => {
    const file = join(dir, 'run.json')
    const t = testIo()
    const code = await main(
      [
        '--devices',
        '20',
        '--duration',
        '16s',
        '--telemetry',
        '500ms',
        '--reported',
        '2s',
        '--lab-dps-retry-after',
        '0',
        '--scenario',
        '6s failover 50%',
        '--report',
        file,
      ],
      t.io,
    )
    expect(t.stderr()).toMatch(/scenario: 6s failover 50%/)
    expect(code).toBe(0)
    const r = read(file)
    expect(r.kind).toBe('iotc-fleet-report')
    expect(r.fleet).toMatchObject({
      prefix: 'fleet',
      devices: 20,
      shards: 1,
      ended: 'completed',
      scenario: '6s failover 50%',
    })
    expect(r.fleet.target.kind).toBe('lab')
    expect(Object.keys(r.fleet.hubs).sort()).toEqual(['A', 'B'])

    const moved = new Set(pickFraction(20, 0.5).map((i) => `fleet-${i}`))
    expect(r.devices).toHaveLength(20)
    for (const d of r.devices) {
      expect(d.lab).not.toBeNull()
      expect(d.lost).toBe(0)
      if (!moved.has(d.id)) {
        expect(d.moves).toEqual([])
        expect(d.hub).toBe(d.home)
        continue
      }
      // Back on the other hub, with both figures of its move and its raw timestamps.
      expect(d.hub).not.toBeNull()
      expect(d.hub).not.toBe(d.home)
      expect(d.moves).toHaveLength(1)
      const m = d.moves[0]!
      expect(m).toMatchObject({ kind: 'failover', from: d.home, to: d.hub })
      expect(m.connectedMs).toBeGreaterThan(0)
      expect(m.firstAckMs).toBeGreaterThanOrEqual(m.connectedMs!)
      expect(m.connectedAt).toBe(m.lostAt! + m.connectedMs!)
      expect(m.registrations).toBeGreaterThanOrEqual(1)
    }
    expect(r.totals).toMatchObject({
      devices: 20,
      movedDevices: 10,
      lost: 0,
      duplicates: 0,
      missing: 0,
      notConnectedAtEnd: 0,
    })
    expect(r.totals.produced).toBeGreaterThan(0)
    expect(r.totals.acknowledged + r.totals.queued).toBe(r.totals.produced)
    expect(r.totals.registrationsPerMovedDevice).not.toBeNull()

    const wave = r.waves.find((w) => w.kind === 'failover')!
    expect(r.events[wave.event!]!.text).toMatch(/^6s failover 50% \(10 devices\)/)
    expect(wave).toMatchObject({ devices: 10, back: 10, notBack: 0 })
    expect(wave.backMs.p50).not.toBeNull()
    expect(wave.backMs.p100).toBeGreaterThanOrEqual(wave.backMs.p95!)
    expect(wave.ackMs.p100).not.toBeNull()
    expect(r.processes).toHaveLength(1)
    expect(r.processes[0]!.peakRssBytes).toBeGreaterThan(0)
  })

  it('Ctrl+C closes the sessions, stops the lab and writes the report of what it has', async () => {
    const file = join(dir, 'interrupted.json')
    const t = testIo()
    const running = main(
      ['--devices', '5', '--duration', '5m', '--telemetry', '500ms', '--report', file],
      t.io,
    )
    await waitFor('every device connected', () => /connected 5\/5/.test(t.stderr()), 45_000)
    t.abort()
    expect(await running).toBe(130)
    const r = read(file)
    expect(r.fleet.ended).toBe('interrupted')
    expect(r.devices).toHaveLength(5)
    expect(r.totals.lost).toBe(0)
    expect(r.totals.duplicates).toBe(0)
  })
})
