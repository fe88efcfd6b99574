import { describe, expect, it } from 'vitest'
import { selection } from '../../../lab/cli-exam'
import type { Check } from '../../../lab/exam/checks'
import type { WireEvent } from '../../../lab/exam/evidence'
import { thresholdRows, thresholdsMarkdown, thresholdsText } from '../../../lab/exam/thresholds'
import { WireLog } from '../../../lab/wire-log'

// The lab's record of watched devices (bounded, paged, nothing for the others), and how
// `lizard exam --only / --skip` choose events and checks.

const poll = (at: number): WireEvent => ({ at, kind: 'dps-poll', outcome: 'answered' })

describe('WireLog', () => {
  it('records watched devices only, and pages what it has without giving anything twice', () => {
    const log = new WireLog(100, 16, () => 0)
    log.add('other', poll(1))
    expect(log.read('other')).toBeNull()
    expect(log.watch('d')).toBe(true)
    expect(log.has('d')).toBe(true)
    for (let i = 1; i <= 10; i++) log.add('d', poll(i))
    const p1 = log.read('d', { limit: 4 })!
    expect(p1.events.map((e) => e.at)).toEqual([1, 2, 3, 4])
    expect(p1).toMatchObject({ more: true, next: 4, missed: 0 })
    const p2 = log.read('d', { after: p1.next })!
    expect(p2.events.map((e) => e.at)).toEqual([5, 6, 7, 8, 9, 10])
    expect(p2).toMatchObject({ more: false, next: 10 })
    expect(log.read('d', { after: 10 })!).toMatchObject({ events: [], next: 10, more: false })
    expect(log.read('d', { since: 9 })!.events.map((e) => e.at)).toEqual([9, 10])
  })

  it('keeps at most its bound per device, counting what a slow reader missed', () => {
    const log = new WireLog(10, 16, () => 0)
    log.watch('d')
    for (let i = 1; i <= 25; i++) log.add('d', poll(i))
    const page = log.read('d')!
    expect(page.events.length).toBeLessThanOrEqual(10)
    expect(page.events.at(-1)!.at).toBe(25)
    expect(page.dropped).toBe(25 - page.events.length)
    expect(page.missed).toBe(page.dropped)
    // A reader that had seen up to 20 missed nothing it had not read.
    expect(log.read('d', { after: 20 })!).toMatchObject({ missed: 0 })
    expect(log.read('d', { after: 20 })!.events.map((e) => e.at)).toEqual([21, 22, 23, 24, 25])
  })

  it('watches a bounded number of devices, renews without losing evidence, and expires', () => {
    let now = 0
    const log = new WireLog(100, 2, () => now)
    expect(log.watch('a', 1000)).toBe(true)
    expect(log.watch('b', 1000)).toBe(true)
    expect(log.watch('c', 1000)).toBe(false)
    log.add('a', poll(1))
    expect(log.watch('a', 5000)).toBe(true)
    expect(log.read('a')!.events).toHaveLength(1)
    now = 2000
    expect(log.read('b')).toBeNull()
    expect(log.watch('c', 1000)).toBe(true)
    expect(log.until('a')).toBe(5000)
    expect(log.unwatch('a')).toBe(true)
    expect(log.read('a')).toBeNull()
  })
})

describe('lizard exam --only / --skip', () => {
  const check = (id: string): Check => ({ id, status: 'pass', figure: '', why: '' })
  const all = [
    'manual-failover.back',
    'kill.back',
    'kill.data',
    'restart.cached-hub',
    'identity.model-id',
    'template.conformance',
    'exam.interrupted',
  ].map(check)
  const kept = (only: string[], skip: string[] = []) =>
    all.filter(selection(only, skip).keep).map((c) => c.id)

  it('events name what runs; checks name what is reported and the events they need', () => {
    expect(selection([], []).events).toHaveLength(6)
    expect(selection(['kill', 'restart'], []).events).toEqual(['kill', 'restart'])
    expect(selection(['restart', 'kill'], []).events).toEqual(['kill', 'restart'])
    expect(selection(['kill.data'], []).events).toEqual(['kill'])
    expect(selection(['identity.model-id'], []).events).toEqual([])
    expect(selection(['back'], []).events).toHaveLength(6)
    expect(selection([], ['throttle', 'blackhole']).events).toEqual([
      'manual-failover',
      'manual-failback',
      'kill',
      'restart',
    ])
    expect(kept(['kill'])).toEqual(all.map((c) => c.id))
    expect(kept(['kill.data', 'identity'])).toEqual([
      'kill.data',
      'identity.model-id',
      'exam.interrupted',
    ])
    expect(kept(['restart', 'identity.model-id'])).toEqual([
      'restart.cached-hub',
      'identity.model-id',
      'exam.interrupted',
    ])
    expect(kept([], ['template', 'back'])).toEqual([
      'kill.data',
      'restart.cached-hub',
      'identity.model-id',
      'exam.interrupted',
    ])
  })
})

describe('the thresholds table', () => {
  it('is the same rows in the terminal, the README and the report', () => {
    const rows = thresholdRows()
    expect(rows.length).toBeGreaterThanOrEqual(8)
    const md = thresholdsMarkdown().split('\n')
    expect(md).toHaveLength(rows.length + 2)
    expect(md[0]).toBe('| figure | pass | warn | checks |')
    const text = thresholdsText()
    for (const r of rows) expect(text).toContain(r.what)
  })
})
