import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../electron/fleet/cli'
import type { FleetReport } from '../../electron/fleet/report'
import { testIo } from '../unit/fleet/test-io'

// The outage wave at the smallest size that shows it: 200 unmodified DeviceSessions, hub A
// killed while the lab's DPS is held to a quota (240 registrations a minute, 2 at once), so most
// of A's devices meet 429s on their way to B. The engine's manners are what is asserted: every
// moved device back, nothing lost, and DPS asked about once per move — not how long it took.

const dir = mkdtempSync(join(tmpdir(), 'fleet-wave-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('an outage wave through a rate-limited DPS', () => {
  it("200 devices, hub A killed: all of A's devices on B, 0 lost, at most 1.1 DPS registrations per moved device", async () => {
    const file = join(dir, 'wave.json')
    const t = testIo()
    const code = await main(
      [
        '--devices',
        '200',
        '--duration',
        '6m',
        '--until-settled',
        '--telemetry',
        '5s',
        '--lab-dps-detect',
        '1',
        '--scenario',
        '12s dps rate 240/min burst 2; 14s kill a',
        '--report',
        file,
      ],
      t.io,
    )
    expect(code, t.stderr()).toBe(0)
    const r = JSON.parse(readFileSync(file, 'utf8')) as FleetReport
    expect(r.fleet.endedWhy).toMatch(/^settled after/)
    const wave = r.waves.find((w) => w.kind === 'failover')!
    expect(wave.cause).toBe('14s kill a')
    // The home hubs are spread evenly: about half the fleet was on A.
    expect(wave.devices).toBeGreaterThan(60)
    expect(wave).toMatchObject({ back: wave.devices, notBack: 0 })
    expect(wave.throttled).toBeGreaterThan(0)
    expect(r.totals).toMatchObject({
      movedDevices: wave.devices,
      lost: 0,
      duplicates: 0,
      missing: 0,
      notConnectedAtEnd: 0,
      connectedAtEnd: { B: 200 },
    })
    expect(r.totals.registrationsPerMovedDevice).toBeLessThanOrEqual(1.1)
    // The lab's own count agrees: one registration per device at the start, about one per move.
    expect(r.labDps!.registrations.accepted).toBeLessThanOrEqual(200 + 1.1 * wave.devices)
    expect(r.labDps!.registrations.throttled).toBe(r.totals.throttled)
    // DPS naming the dead hub costs a device one wasted registration at most, never a storm.
    for (const d of r.devices)
      for (const m of d.moves) expect(m.registrations, d.id).toBeLessThanOrEqual(2)
    for (const d of r.devices) expect(d.lost, d.id).toBe(0)
  }, 400_000)
})
