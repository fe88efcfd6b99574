import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../../../electron/fleet/errors'
import { fleetLimits } from '../../../electron/fleet/limits'
import { mergeReports, readReportFile } from '../../../electron/fleet/merge'
import type { FleetReport } from '../../../electron/fleet/report'
import { device, outageDevices, report } from './reports'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-merge-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const save = (name: string, r: unknown) => {
  const file = join(dir, name)
  writeFileSync(file, typeof r === 'string' ? r : JSON.stringify(r))
  return file
}

/** The devices of `all` in shards, as the runners of a sharded fleet would have reported them. */
function split(all: FleetReport, cuts: number[]): FleetReport[] {
  const bounds = [0, ...cuts, all.fleet.devices]
  return bounds.slice(1).map((to, i) => {
    const from = bounds[i]!
    return report(
      all.devices.filter((d) => d.index >= from && d.index < to),
      // Only one runner (the one that ran the scenario) knows the events.
      i === 0 ? all.events : [],
      { ranges: [{ from, to }], shards: cuts.length + 1 },
    )
  })
}

describe('fleet merge', () => {
  it('recomputes percentiles from raw timestamps: the merge equals the single report of the same data', () => {
    const whole = report(outageDevices(100, 7))
    const parts = split(whole, [13, 50, 51])
    const files = parts.map((p, i) => save(`shard-${i}.json`, p))
    const merged = mergeReports(files.map(readReportFile))
    expect(merged.waves).toEqual(whole.waves)
    expect(merged.totals).toEqual(whole.totals)
    expect(merged.devices).toEqual(whole.devices)
    expect(merged.events).toEqual(whole.events)
    expect(merged.fleet.ranges).toEqual([{ from: 0, to: 100 }])
    expect(merged.notes).toEqual([])
    // An average of the shards' p95 would not be the fleet's p95.
    const avg = parts.reduce((s, p) => s + p.waves[0]!.backMs.p95!, 0) / parts.length
    expect(avg).not.toBe(whole.waves[0]!.backMs.p95)
  })

  it("takes the lab's DPS counts once for shards of one lab, and adds up labs of their own", () => {
    const dps = (accepted: number) => ({
      registrations: { accepted, throttled: accepted * 2 },
      polls: { accepted, throttled: 0 },
    })
    const [a, b] = split(report(outageDevices(10, 3)), [5])
    const one = mergeReports(
      [
        { ...a!, labDps: dps(40) },
        { ...b!, labDps: dps(42) },
      ].map((r, i) => readReportFile(save(`one-${i}.json`, r))),
    )
    expect(one.labDps).toEqual(dps(42))
    const own = mergeReports(
      [
        { ...a!, labDps: dps(40) },
        {
          ...b!,
          fleet: { ...b!.fleet, target: { ...b!.fleet.target, idScope: '0ne00000002' } },
          labDps: dps(5),
        },
      ].map((r, i) => readReportFile(save(`own-${i}.json`, r))),
    )
    expect(own.labDps).toEqual(dps(45))
  })

  it('refuses a device that is in two reports', () => {
    const a = save('a.json', report([device(0), device(1)], [], { ranges: [{ from: 0, to: 2 }] }))
    const b = save('b.json', report([device(1), device(2)], [], { ranges: [{ from: 1, to: 3 }] }))
    expect(() => mergeReports([a, b].map(readReportFile))).toThrow(
      /fleet-1 is in both .*a\.json and .*b\.json/,
    )
  })

  it('refuses reports of another fleet', () => {
    const a = save('a.json', report([device(0)], []))
    const b = save('b.json', report([device(1, {}, 'other')], [], { prefix: 'other' }))
    expect(() => mergeReports([a, b].map(readReportFile))).toThrow(/fleet "other"/)
    const c = save('c.json', report([device(1)], [], { devices: 50 }))
    expect(() => mergeReports([a, c].map(readReportFile))).toThrow(/50-device fleet/)
  })

  it('says which devices no report holds', () => {
    const a = save('a.json', report([device(0)], [], { ranges: [{ from: 0, to: 50 }] }))
    expect(mergeReports([readReportFile(a)]).notes[0]).toMatch(
      /50 of the fleet's 100 devices are in none/,
    )
  })

  it('refuses files that are not reports, each with its name and why', () => {
    const good = report([device(0)], [])
    const cases: [unknown, RegExp][] = [
      ['{ nope', /not JSON/],
      ['[]', /not a fleet report/],
      [{ ...good, kind: 'something-else' }, /kind/],
      [
        { ...good, devices: [{ ...good.devices[0], registrations: -1 }] },
        /devices\[0\]\.registrations/,
      ],
      [{ ...good, devices: [{ ...good.devices[0], extra: 1 }] }, /devices\[0\]/],
      [{ ...good, devices: [{ ...good.devices[0], id: 'fleet-7' }] }, /fleet-7 is not fleet-0/],
      [{ ...good, devices: [device(100)] }, /past the fleet's 100 devices/],
    ]
    for (const [content, why] of cases) {
      const f = save('bad.json', content)
      expect(() => readReportFile(f)).toThrow(UsageError)
      expect(() => readReportFile(f)).toThrow(why)
    }
    expect(() => readReportFile(join(dir, 'missing.json'))).toThrow(/no such file/)
    expect(() => readReportFile(dir)).toThrow(/not a regular file/)
  })

  it('bounds a file before reading it', () => {
    const f = save('huge.json', '')
    // Sparse: the size is there, the bytes are not.
    truncateSync(f, fleetLimits.maxReportBytes + 1)
    expect(() => readReportFile(f)).toThrow(/at most/)
  })
})
