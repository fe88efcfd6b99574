import { describe, expect, it } from 'vitest'
import { TelemetryLog } from '../../../lab/telemetry'

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
})
