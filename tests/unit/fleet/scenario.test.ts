import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../electron/fleet/errors'
import { parseScenario, pickFraction } from '../../../electron/fleet/scenario'
import { formatDuration, parseDuration } from '../../../electron/fleet/durations'

const tenMin = 600_000

describe('scenario grammar', () => {
  it('reads the whole story, in time order', () => {
    const steps = parseScenario(
      '200s dps throttle 20s; 30s outage a 60s; 150s failover 10%; 1m kill b\n70s restore b; 4m failback; 5m outage b 1m30s blackhole; 6m failover 0.25 ttl 2; 7m dps stop 5s; 8m dps restore',
      tenMin,
    )
    expect(steps.map((s) => [s.atMs, s.action])).toEqual([
      [30_000, { kind: 'outage', hub: 'a', forSec: 60, blackhole: false }],
      [60_000, { kind: 'kill', hub: 'b' }],
      [70_000, { kind: 'restore', hub: 'b' }],
      [150_000, { kind: 'failover', fraction: 0.1, ttlMinutes: 5 }],
      [200_000, { kind: 'dps', mode: 'throttle', forMs: 20_000 }],
      [240_000, { kind: 'failback' }],
      [300_000, { kind: 'outage', hub: 'b', forSec: 90, blackhole: true }],
      [360_000, { kind: 'failover', fraction: 0.25, ttlMinutes: 2 }],
      [420_000, { kind: 'dps', mode: 'stop', forMs: 5000 }],
      [480_000, { kind: 'dps-restore' }],
    ])
    expect(steps[0]!.text).toBe('30s outage a 60s')
  })

  it("sets the lab's quotas: a preset, or the DPS rate alone", () => {
    const steps = parseScenario(
      '1s quotas iot-central; 2s dps rate 600/min; 3s dps rate 0; 4s quotas off; 5s dps rate 240 burst 2',
      tenMin,
    )
    expect(steps.map((s) => s.action)).toEqual([
      { kind: 'quotas', preset: 'iot-central' },
      { kind: 'dps-rate', perMinute: 600, burst: null },
      { kind: 'dps-rate', perMinute: 0, burst: null },
      { kind: 'quotas', preset: 'off' },
      { kind: 'dps-rate', perMinute: 240, burst: 2 },
    ])
  })

  it.each([
    ['', /no steps/],
    ['1s quotas', /quotas iot-central, quotas standalone or quotas off/],
    ['1s quotas azure', /\(got "azure"\)/],
    ['1s dps rate fast', /dps rate <registrations per minute>/],
    ['1s dps rate 99999999/min', /dps rate <registrations per minute>/],
    ['1s dps rate 200/min burst 0', /burst <registrations at once/],
    ['outage a 60s', /step 1 .*start with the time/],
    ['30s outage c 60s', /name the hub: a or b \(got "c"\)/],
    ['30s outage a', /outage <hub> <duration>/],
    ['30s outage a 60s quietly', /unexpected "quietly"/],
    ['10s failover 200%', /at most 100%/],
    ['10s failover 0%', /more than 0/],
    ['10s failover some', /10% or 0.1/],
    ['10s failover 10% ttl 45', /1 to 30 minutes/],
    ['10s dps pause 5s', /dps throttle <duration>/],
    ['10s explode a', /unknown action "explode"/],
    ['10m kill a', /not before the run ends/],
    ['10s failback', /no failover before it/],
    ['10s kill a; 20s kill', /step 2 .*name the hub/],
  ])('%j is refused: %s', (text, why) => {
    expect(() => parseScenario(text, tenMin)).toThrow(UsageError)
    expect(() => parseScenario(text, tenMin)).toThrow(why)
  })

  it('bounds its size', () => {
    expect(() => parseScenario('1s kill a;'.repeat(500), tenMin)).toThrow(/at most/)
  })
})

describe('failover of a fraction', () => {
  it('picks round(f·n) devices, spread evenly, the same every time, at least one', () => {
    expect(pickFraction(20, 0.5)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
    expect(pickFraction(1000, 0.1)).toHaveLength(100)
    expect(pickFraction(1000, 0.1)).toEqual(pickFraction(1000, 0.1))
    expect(pickFraction(5, 0.01)).toHaveLength(1)
    expect(pickFraction(7, 1)).toEqual([0, 1, 2, 3, 4, 5, 6])
    // Every tenth of the index range has its tenth.
    const picked = pickFraction(1000, 0.1)
    for (let s = 0; s < 10; s++)
      expect(picked.filter((i) => i >= s * 100 && i < (s + 1) * 100)).toHaveLength(10)
  })
})

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1500],
    ['2.5s', 2500],
    ['45', 45_000],
    ['1d', 86_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
    expect(parseDuration(formatDuration(ms))).toBe(ms)
  })
  it.each(['abc', '', '-5s', '5 parsecs', '1m-', 's', '1x'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})
