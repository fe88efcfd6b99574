import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Outbox, OutboxBusy } from '../../../electron/device/outbox'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** The pid of a process that has come and gone. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!

const tel = (n: number) => ({ kind: 'telemetry' as const, at: n, body: { temp: n } })

describe('Outbox', () => {
  it('numbers telemetry 1, 2, 3… and keeps items in order until settled', () => {
    const box = new Outbox(dir, 100)
    const a = box.add(tel(1)).item
    const r = box.add({ kind: 'reported', at: 2, patch: { battery: 99 } }).item
    const b = box.add(tel(3)).item
    expect(a.kind === 'telemetry' && a.seq).toBe(1)
    expect(b.kind === 'telemetry' && b.seq).toBe(2)
    expect(box.pending().map((i) => i.id)).toEqual([a.id, r.id, b.id])
    box.settle(r.id, 'acked')
    expect(box.pending().map((i) => i.id)).toEqual([a.id, b.id])
    box.close()
  })

  it('survives a crash: unsettled items come back in order, sequence numbers continue', () => {
    const box = new Outbox(dir, 100)
    for (let i = 1; i <= 5; i++) box.add(tel(i))
    box.settle(box.pending()[0]!.id, 'acked')
    // The process dies here (close() writes nothing to the journal, so the file is as a crash
    // leaves it): its last write was torn half-way and its lock file stays behind.
    box.close()
    appendFileSync(join(dir, 'outbox.jsonl'), '{"op":"add","id":99,"kind":"tele')
    writeFileSync(join(dir, 'outbox.lock'), String(deadPid()))
    const again = new Outbox(dir, 100)
    expect(again.pending().map((i) => (i.kind === 'telemetry' ? i.seq : -1))).toEqual([2, 3, 4, 5])
    const next = again.add(tel(6)).item
    expect(next.kind === 'telemetry' && next.seq).toBe(6)
    again.close()
    // The torn line is gone, so the item added after restart was not glued onto it.
    expect(
      new Outbox(dir, 100).pending().map((i) => (i.kind === 'telemetry' ? i.seq : -1)),
    ).toEqual([2, 3, 4, 5, 6])
  })

  it('reads past lines a hand or a bad disk mangled: each skipped and counted, every good item kept, numbering sane', () => {
    const box = new Outbox(dir, 100)
    for (let i = 1; i <= 3; i++) box.add(tel(i))
    box.close()
    appendFileSync(
      join(dir, 'outbox.jsonl'),
      [
        'null',
        '{"op":"meta","lastId":"x","lastSeq":"x"}',
        `{"op":"meta","lastId":${2 ** 53},"lastSeq":1e300}`,
        '{"op":"add","id":50,"kind":"telemetry","at":1,"body":{"temp":1}}', // no seq
        '{"op":"add","id":51,"kind":"smoke-signal","at":1}',
        '{"op":"add","id":"52","kind":"reported","at":1,"patch":{}}',
        '{"op":"add","id":53,"kind":"reported","at":1,"patch":[1]}',
        '{"op":"done","id":{"x":1}}',
        '[1,2,3]',
        '',
      ].join('\n'),
    )
    const again = new Outbox(dir, 100)
    expect(again.unreadableLines).toBe(9)
    expect(again.pending().map((i) => (i.kind === 'telemetry' ? i.seq : -1))).toEqual([1, 2, 3])
    // New items get new ids and the next seqs: none overwrites another.
    const a = again.add(tel(4)).item
    const b = again.add(tel(5)).item
    expect([a.kind === 'telemetry' && a.seq, b.kind === 'telemetry' && b.seq]).toEqual([4, 5])
    expect(new Set(again.pending().map((i) => i.id)).size).toBe(5)
    again.close()
    // What was unreadable is not carried into the new journal.
    expect(new Outbox(dir, 100).unreadableLines).toBe(0)
  })

  it('compacts acknowledged entries away without losing the sequence high-water mark', () => {
    const box = new Outbox(dir, 10_000)
    for (let i = 1; i <= 600; i++) box.settle(box.add(tel(i)).item.id, 'acked')
    box.add(tel(601))
    const lines = readFileSync(join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n')
    expect(lines.length).toBeLessThan(700)
    box.close()
    const again = new Outbox(dir, 10_000)
    expect(again.pending()).toHaveLength(1)
    const next = again.add(tel(602)).item
    expect(next.kind === 'telemetry' && next.seq).toBe(602)
    again.close()
  })

  it('is bounded: past the limit the oldest items are dropped and reported', () => {
    const box = new Outbox(dir, 3)
    for (let i = 1; i <= 3; i++) box.add(tel(i))
    const { dropped } = box.add(tel(4))
    expect(dropped.map((d) => (d.kind === 'telemetry' ? d.seq : -1))).toEqual([1])
    expect(box.pending().map((i) => (i.kind === 'telemetry' ? i.seq : -1))).toEqual([2, 3, 4])
    box.close()
    expect(new Outbox(dir, 3).size).toBe(3)
  })

  it("is one session's alone: a second one, here or in a live process, is refused until close", () => {
    const box = new Outbox(dir, 100)
    expect(() => new Outbox(dir, 100)).toThrow(OutboxBusy)
    box.close()
    // A lock left by a process that is still running (our parent stands in for it).
    writeFileSync(join(dir, 'outbox.lock'), String(process.ppid))
    expect(() => new Outbox(dir, 100)).toThrow(/another running copy of the app \(pid \d+\)/)
    writeFileSync(join(dir, 'outbox.lock'), String(deadPid()))
    const next = new Outbox(dir, 100)
    expect(JSON.parse(readFileSync(join(dir, 'outbox.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
    })
    next.close()
    expect(() => readFileSync(join(dir, 'outbox.lock'))).toThrow(/ENOENT/)
  })

  it.skipIf(process.platform === 'win32')(
    'a write that fails (a full disk) takes no sequence number and leaves no torn line',
    () => {
      const fixture = join(import.meta.dirname, 'fixtures/outbox-disk-full.ts')
      const run = spawnSync(
        'bash',
        ['-c', `ulimit -f 4 && exec "${process.execPath}" --import tsx "${fixture}"`],
        { encoding: 'utf8', timeout: 20_000 },
      )
      const r = JSON.parse(run.stdout) as {
        error: string
        last: number
        next: number
        journaled: number[]
      }
      expect(r.error).toBe('EFBIG')
      expect(r.next).toBe(r.last + 1)
      expect(r.journaled).toEqual(Array.from({ length: r.last + 1 }, (_, i) => i + 1))
    },
  )
})
