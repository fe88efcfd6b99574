import { describe, expect, it } from 'vitest'
import { SeqRanges } from '../../../lab/seq-ranges'
import { TelemetryBudget, TelemetryLog } from '../../../lab/telemetry'

const msg = (seq: number | null, messageId: string | null = seq === null ? null : `d-${seq}`) => ({
  seq,
  messageId,
  body: { seq },
  properties: {},
  systemProperties: {},
  hub: 'a' as const,
  arrivedAt: 't',
})

describe('a device telemetry log', () => {
  it('keeps the last messages in order once it wraps, and serializes them as listed', () => {
    const log = new TelemetryLog(3)
    for (let s = 1; s <= 5; s++) log.add(msg(s))
    expect(log.list().map((r) => r.seq)).toEqual([3, 4, 5])
    expect(log.list(2).map((r) => r.seq)).toEqual([4, 5])
    expect(log.list(0)).toEqual([])
    expect(JSON.parse(log.listJson())).toEqual(log.list())
    expect(JSON.parse(log.listJson(1))).toEqual(log.list(1))
  })

  it('keeps no more than its byte budget, dropping the oldest, but always the newest', () => {
    const log = new TelemetryLog(100, 2000)
    for (let s = 1; s <= 10; s++) log.add({ ...msg(s), body: 'x'.repeat(500) })
    expect(log.list().map((r) => r.seq)).toEqual([8, 9, 10])
    log.add({ ...msg(11), body: 'x'.repeat(5000) })
    expect(log.list().map((r) => r.seq)).toEqual([11])
    expect(log.stats().count).toBe(11)
  })

  it('tells duplicates apart by message id, long ids included', () => {
    const log = new TelemetryLog()
    const long = 'm'.repeat(5000)
    log.add(msg(1, long))
    log.add(msg(2, long))
    log.add(msg(3, long + 'x'))
    expect(log.stats()).toMatchObject({ unique: 2, duplicates: 1 })
    expect(log.list()[0]!.messageId).toBe(long)
  })

  it('counts duplicates and gaps over everything received, not only what is kept', () => {
    const log = new TelemetryLog(2)
    for (const s of [1, 2, 2, 5, 3]) log.add(msg(s))
    log.add(msg(null))
    expect(log.stats()).toEqual({
      count: 6,
      unique: 4,
      duplicates: 1,
      firstSeq: 1,
      lastSeq: 5,
      missing: [4],
    })
  })

  it('lists at most 1000 missing seqs however far apart the ends are', () => {
    const log = new TelemetryLog()
    log.add(msg(0))
    log.add(msg(1e14))
    const s = log.stats()
    expect(s.missing).toHaveLength(1000)
    expect(s.missing[0]).toBe(1)
  })

  it('remembers a bounded window of message ids: a repeat inside it is a duplicate, every id counts once', () => {
    const log = new TelemetryLog(10, 1 << 20, 3)
    for (const id of ['a', 'b', 'c', 'd', 'b', 'a']) log.add(msg(null, id))
    // 'b' was among the last three ids; 'a' had left the window and counts as new again.
    expect(log.stats()).toMatchObject({ count: 6, unique: 5, duplicates: 1 })
  })
})

describe("the lab's telemetry budget", () => {
  const deviceLog = (deviceId: string, budget: TelemetryBudget, kept = 50_000) =>
    new TelemetryLog(kept, 64 * 1024 * 1024, 200_000, { deviceId, budget })
  const from = (deviceId: string, seq: number) => ({ ...msg(seq), messageId: `${deviceId}-${seq}` })

  it('keeps the latest messages of all devices together, dropping the oldest anywhere', () => {
    const budget = new TelemetryBudget(5)
    const a = deviceLog('a', budget)
    const b = deviceLog('b', budget)
    for (let s = 1; s <= 3; s++) a.add(from('a', s))
    for (let s = 1; s <= 4; s++) b.add(from('b', s))
    expect(a.list().map((r) => r.seq)).toEqual([3])
    expect(b.list().map((r) => r.seq)).toEqual([1, 2, 3, 4])
    expect(budget.kept).toBe(5)
    // Stats still count everything each device sent.
    expect(a.stats()).toMatchObject({ count: 3, unique: 3, firstSeq: 1, lastSeq: 3 })
  })

  it("bounds the lab's bytes, and stays exact when a device's own bound dropped first", () => {
    const budget = new TelemetryBudget(1000, 3000)
    const a = deviceLog('a', budget, 2)
    const b = deviceLog('b', budget)
    for (let s = 1; s <= 10; s++) a.add({ ...from('a', s), body: 'x'.repeat(400) })
    expect(a.list().map((r) => r.seq)).toEqual([9, 10])
    for (let s = 1; s <= 4; s++) b.add({ ...from('b', s), body: 'y'.repeat(400) })
    expect(budget.bytes).toBeLessThanOrEqual(3000)
    expect(a.list().length + b.list().length).toBe(budget.kept)
    expect(b.list().map((r) => r.seq)).toEqual([1, 2, 3, 4])
  })

  it("tells the engine's ids apart by seq, remembering none, and duplicates them as before", () => {
    const budget = new TelemetryBudget(10, 1 << 20, 2)
    const a = deviceLog('dev', budget)
    for (const s of [1, 2, 3, 2, 1]) a.add(from('dev', s))
    expect(a.stats()).toMatchObject({ count: 5, unique: 3, duplicates: 2 })
    expect(budget.ids).toBe(0)
    // Other ids are remembered; past the lab's bound the device adding one forgets its oldest.
    for (const id of ['x', 'y', 'z', 'z']) a.add(msg(null, id))
    expect(budget.ids).toBe(2)
    expect(a.stats()).toMatchObject({ unique: 6, duplicates: 3 })
    a.add(msg(null, 'x'))
    expect(a.stats()).toMatchObject({ unique: 7, duplicates: 3 })
    // The same seq under another id is not the engine's message again.
    a.add({ ...msg(1), messageId: 'other-1' })
    expect(a.stats().duplicates).toBe(3)
  })

  it('holds 10,000 devices within the budget, not 10,000 times a device', () => {
    const budget = new TelemetryBudget(20_000, 8 * 1024 * 1024)
    const logs = Array.from({ length: 10_000 }, (_, i) => deviceLog(`fleet-${i}`, budget))
    for (let s = 1; s <= 5; s++) logs.forEach((l, i) => l.add(from(`fleet-${i}`, s)))
    expect(budget.kept).toBe(20_000)
    expect(logs.reduce((n, l) => n + l.list().length, 0)).toBe(20_000)
    expect(logs[0]!.stats().count).toBe(5)
    expect(logs[9_999]!.list().map((r) => r.seq)).toEqual([4, 5])
  })
})

describe('seq ranges', () => {
  it('hold a long run in one range and list the gaps between, in any arrival order', () => {
    const r = new SeqRanges()
    for (let s = 1; s <= 100_000; s++) r.add(s)
    expect(r.missing(10)).toEqual([])
    for (const s of [100_005, 100_003, 100_002, 100_001, 99_999]) r.add(s)
    expect([r.first, r.last]).toEqual([1, 100_005])
    expect(r.missing(10)).toEqual([100_004])
    expect(r.add(100_003)).toBe(false)
    r.add(100_004)
    expect(r.missing(10)).toEqual([])
    r.add(-2)
    expect(r.missing(10)).toEqual([-1, 0])
  })

  it('join the lowest ranges past their bound, listing only the newer gaps', () => {
    const r = new SeqRanges(3)
    for (const s of [1, 3, 5, 7, 9]) r.add(s)
    expect(r.missing(10)).toEqual([6, 8])
    expect([r.first, r.last]).toEqual([1, 9])
  })
})
